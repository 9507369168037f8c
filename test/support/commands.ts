import { defineCommand, type CommandDefinition } from '../../src/commands/index.js';

/** `echo <text>`: replies its text, so a test can tell its replies apart. */
export const echoCommand: CommandDefinition<unknown> = defineCommand({
  name: 'echo', usage: 'echo <text>', summary: 'Repeat the text (tests).',
  async run({ rest, reply }) { await reply(`echo: ${rest}`); },
});

/** `boom`: a handler that throws, as a buggy command would. */
export const boomCommand: CommandDefinition<unknown> = defineCommand({
  name: 'boom', usage: 'boom', summary: 'Throw (tests).',
  async run() { throw new Error('kaboom from a test command'); },
});
