import { contextLine, message, section } from './blocks.js';
import { defineCommand, type CommandDefinition } from './command.js';

/**
 * `help [command]`, generated from the command definitions it is given: the
 * overview lists each command's first usage line and summary; `help <command>`
 * shows every usage line and the examples.
 */
export function helpCommand(commands: () => readonly CommandDefinition<unknown>[]): CommandDefinition<unknown> {
  return defineCommand({
    name: 'help',
    aliases: ['?'],
    usage: 'help [command]',
    summary: 'List what I can do, or explain one command.',
    examples: ['help', 'help task'],
    async run({ args, reply, bot }) {
      const all = commands();
      const wanted = args[0]?.toLowerCase();
      if (wanted) {
        const command = all.find((c) => c.name === wanted || c.aliases?.includes(wanted));
        if (!command) return reply(`There is no \`${wanted}\` command. Try \`help\`.`);
        const usage = command.usage.split('\n').map((u) => `• \`${u}\``).join('\n');
        const examples = command.examples?.length ? `\nExamples: ${command.examples.map((e) => `\`${e}\``).join(', ')}` : '';
        const text = `*${command.name}*: ${command.summary}\n${usage}${examples}`;
        return reply(message(text, [section(text)]));
      }
      const lines = all.map((c) => `• \`${c.usage.split('\n')[0]}\`: ${c.summary}`);
      const intro = `Mention me (<@${bot.botUserId}>), DM me, or use /flotilla:`;
      const hint = 'Details and examples: `help <command>`. Dates: today, tomorrow, yesterday, mon…sun, 2025-05-16, 16/05.';
      return reply(message(`${intro}\n${lines.join('\n')}\n${hint}`, [section(`${intro}\n${lines.join('\n')}`), contextLine(hint)]));
    },
  });
}
