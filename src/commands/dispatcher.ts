import type { RequestContext, RequestHandler } from '../slack/types.js';
import type { CommandContext, CommandDefinition } from './command.js';
import { closest, tokenize } from './tokenize.js';

/**
 * Routes a request's first word to a command. An empty request gets the help
 * text; an unknown word gets "did you mean"; errors a command throws propagate
 * (the fleet answers them with a reference).
 */
export function createDispatcher<Services>(
  commands: readonly CommandDefinition<Services>[],
  services: Services,
): RequestHandler {
  const byName = new Map<string, CommandDefinition<Services>>();
  for (const command of commands) {
    for (const name of [command.name, ...(command.aliases ?? [])]) byName.set(name.toLowerCase(), command);
  }
  const names = commands.map((c) => c.name);
  return {
    async handle(context: RequestContext): Promise<void> {
      const text = context.request.text.trim();
      const [word = 'help'] = tokenize(text);
      const command = byName.get(word.toLowerCase());
      const rest = text.slice(text.indexOf(word) + word.length).trim();
      const reply = (answer: string | { text: string; blocks?: readonly unknown[] }): Promise<void> =>
        context.reply(typeof answer === 'string' ? { text: answer } : answer);
      if (!command) {
        const guess = closest(word, names);
        await reply(`I don't know \`${word}\`.${guess ? ` Did you mean \`${guess}\`?` : ''} Try \`help\`.`);
        return;
      }
      const commandContext: CommandContext<Services> = {
        args: text === '' ? [] : tokenize(rest),
        rest,
        request: context.request,
        teamId: context.request.teamId,
        userId: context.request.userId,
        bot: context.bot,
        slack: context.slack,
        services,
        signal: context.signal,
        reply,
        usage: () => reply(`Usage: ${command.usage.split('\n').map((line) => `\`${line}\``).join('\n')}`),
      };
      await command.run(commandContext);
    },
  };
}
