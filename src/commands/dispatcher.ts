import { isDatabaseUnavailable } from '../db/errors.js';
import { TemporarilyUnavailableError } from '../lib/errors.js';
import type { InteractionContext, Reply, RequestContext, RequestHandler } from '../slack/types.js';
import type { CommandContext, CommandDefinition, CommandInteractions } from './command.js';
import { afterFirstWord, closest, tokenize } from './tokenize.js';

/**
 * Routes a request's first word to a command. An empty request gets the help
 * text; an unknown word gets "did you mean" naming the closest command (or
 * command and subcommand, e.g. `task list`); errors a command throws
 * propagate (the fleet answers them with a reference), a database that
 * cannot be reached as TemporarilyUnavailableError (commands without data,
 * such as help and ping, never touch it and keep answering).
 */
export function createDispatcher<Services>(
  commands: readonly CommandDefinition<Services>[],
  services: Services,
): RequestHandler {
  const byName = new Map<string, CommandDefinition<Services>>();
  for (const command of commands) {
    for (const name of [command.name, ...(command.aliases ?? [])]) byName.set(name.toLowerCase(), command);
  }
  const interactions = interactionRoutes(commands);
  return {
    /** Routes a click by its action's `action_id`, a form by its view's `callback_id`; unknown ones are left to the fleet (acked empty). */
    async handleInteraction(context: InteractionContext): Promise<void> {
      const owner = interactions.get(interactionKey(context.interaction.payload));
      if (!owner) return;
      await unavailableAsSuch(() => owner.handle({
        interaction: context.interaction, teamId: context.interaction.teamId, userId: context.interaction.userId,
        bot: context.bot, slack: context.slack, services, signal: context.signal, ack: (response) => context.ack(response),
      }));
    },
    async handle(context: RequestContext): Promise<void> {
      const text = context.request.text.trim();
      const words = tokenize(text);
      const [word = 'help'] = words;
      const command = byName.get(word.toLowerCase());
      const reply = (answer: Reply | string): Promise<void> => context.reply(typeof answer === 'string' ? { text: answer } : answer);
      if (!command) {
        const guess = suggest(commands, word, words[1]);
        await reply(`I don't know \`${word}\`.${guess ? ` Did you mean \`${guess}\`?` : ''} Try \`help\`.`);
        return;
      }
      const rest = afterFirstWord(text);
      const commandContext: CommandContext<Services> = {
        args: tokenize(rest),
        rest,
        request: context.request,
        teamId: context.request.teamId,
        userId: context.request.userId,
        bot: context.bot,
        slack: context.slack,
        services,
        signal: context.signal,
        reply,
        usage: () => reply(`Usage:\n${command.usage.split('\n').map((line) => `\`${line}\``).join('\n')}`),
      };
      await unavailableAsSuch(() => command.run(commandContext));
    },
  };
}

/** Runs `work`; a database that cannot be reached is rethrown as TemporarilyUnavailableError, which the fleet answers as such. */
async function unavailableAsSuch(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    throw isDatabaseUnavailable(error) ? new TemporarilyUnavailableError('database', { cause: error }) : error;
  }
}

/** `action:<action_id>` of a click's first action, `view:<callback_id>` of a form. */
function interactionKey(payload: Readonly<Record<string, unknown>>): string {
  const action = (payload['actions'] as Array<{ action_id?: unknown }> | undefined)?.[0];
  if (typeof action?.action_id === 'string') return `action:${action.action_id}`;
  const callbackId = (payload['view'] as { callback_id?: unknown } | undefined)?.callback_id;
  return typeof callbackId === 'string' ? `view:${callbackId}` : '';
}

function interactionRoutes<Services>(commands: readonly CommandDefinition<Services>[]): Map<string, CommandInteractions<Services>> {
  const routes = new Map<string, CommandInteractions<Services>>();
  for (const { interactions } of commands) {
    if (!interactions) continue;
    for (const id of interactions.actionIds ?? []) routes.set(`action:${id}`, interactions);
    for (const id of interactions.callbackIds ?? []) routes.set(`view:${id}`, interactions);
  }
  return routes;
}

/** The closest `command subcommand` to the first two words, else the closest command name. */
function suggest(commands: readonly CommandDefinition<unknown>[], word: string, second: string | undefined): string | undefined {
  if (second !== undefined) {
    const forms = commands.flatMap((c) => (c.subcommands ?? []).map((sub) => `${c.name} ${sub}`));
    const both = closest(`${word} ${second}`, forms, 2);
    if (both) return both;
  }
  return closest(word, commands.flatMap((c) => [c.name, ...(c.aliases ?? [])]).filter((name) => name.length > 1));
}
