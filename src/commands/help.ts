import { defineCommand, type CommandDefinition } from './command.js';

/** `help [command]`, generated from the command definitions it is given. */
export function helpCommand(commands: () => readonly CommandDefinition<unknown>[]): CommandDefinition<unknown> {
  return defineCommand({
    name: 'help',
    aliases: ['?'],
    usage: 'help [command]',
    summary: 'List what I can do, or explain one command.',
    examples: ['help', 'help ping'],
    async run({ args, reply, bot }) {
      const all = commands();
      const wanted = args[0]?.toLowerCase();
      if (wanted) {
        const command = all.find((c) => c.name === wanted || c.aliases?.includes(wanted));
        if (!command) return reply(`There is no \`${wanted}\` command. Try \`help\`.`);
        const examples = command.examples?.length ? `\nExamples: ${command.examples.map((e) => `\`${e}\``).join(', ')}` : '';
        return reply(`*${command.name}*: ${command.summary}\n${command.usage.split('\n').map((u) => `• \`${u}\``).join('\n')}${examples}`);
      }
      const lines = all.map((c) => `• \`${c.usage.split('\n')[0]}\`: ${c.summary}`);
      return reply(`Mention me (<@${bot.botUserId}>), DM me, or use /flotilla:\n${lines.join('\n')}`);
    },
  });
}
