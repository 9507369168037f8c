import type { BotIdentity, CommandRequest, InteractionRequest, Reply, SlackApi } from '../slack/types.js';

/** Who acts, in which workspace, with what: shared by commands and by clicks and forms. */
export interface ActingContext<Services = unknown> {
  readonly teamId: string;
  /** Who typed, clicked or submitted. */
  readonly userId: string;
  readonly bot: BotIdentity;
  readonly slack: SlackApi;
  readonly services: Services;
  readonly signal: AbortSignal;
}

/** What a command sees: its arguments and a way to answer, never a transport. */
export interface CommandContext<Services = unknown> extends ActingContext<Services> {
  /** Arguments after the command name, quotes honoured. */
  readonly args: readonly string[];
  /** The raw text after the command name. */
  readonly rest: string;
  readonly request: CommandRequest;
  reply(reply: Reply | string): Promise<void>;
  /** Answers with this command's usage line (wrong arguments). */
  usage(): Promise<void>;
}

/** What a command family's interaction handler sees: the click or submission, and its one ack. */
export interface InteractionCommandContext<Services = unknown> extends ActingContext<Services> {
  readonly interaction: InteractionRequest;
  /** Acknowledges once (a `view_submission` answer rides in it); later calls do nothing. */
  ack(response?: Readonly<Record<string, unknown>>): Promise<void>;
}

/** The buttons and forms a command family owns: clicks by `action_id`, submissions by the view's `callback_id`. */
export interface CommandInteractions<Services = unknown> {
  readonly actionIds?: readonly string[];
  readonly callbackIds?: readonly string[];
  handle(context: InteractionCommandContext<Services>): Promise<void>;
}

/** One command family (`task`, `plan`, …). */
export interface CommandDefinition<Services = unknown> {
  readonly name: string;
  /** Other words that run it (`?` for help). */
  readonly aliases?: readonly string[];
  /** One line per form, e.g. `task add <title>`. */
  readonly usage: string;
  readonly summary: string;
  readonly examples?: readonly string[];
  /** Second words it understands (`add`, `list`…), so a typo of both words still finds it. */
  readonly subcommands?: readonly string[];
  /** Buttons and forms it owns (optional). */
  readonly interactions?: CommandInteractions<Services>;
  run(context: CommandContext<Services>): Promise<void>;
}

/** Identity function that types a command definition. */
export function defineCommand<Services = unknown>(definition: CommandDefinition<Services>): CommandDefinition<Services> {
  return definition;
}
