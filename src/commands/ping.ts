import { defineCommand } from './command.js';

/** `ping`: the cheapest proof that the bot hears and answers. */
export const pingCommand = defineCommand({
  name: 'ping',
  usage: 'ping',
  summary: 'Check that I am listening.',
  async run({ reply }) {
    await reply('pong');
  },
});
