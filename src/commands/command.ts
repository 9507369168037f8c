import type { BotIdentity, CommandRequest, Reply, SlackApi } from '../slack/types.js';

/** What a command sees: its arguments and a way to answer, never a transport. */
export interface CommandContext<Services = unknown> {
  /** Arguments after the command name, quotes honoured. */
  readonly args: readonly string[];
  /** The raw text after the command name. */
  readonly rest: string;
  readonly request: CommandRequest;
  readonly teamId: string;
  readonly userId: string;
  readonly bot: BotIdentity;
  readonly slack: SlackApi;
  readonly services: Services;
  readonly signal: AbortSignal;
  reply(reply: Reply | string): Promise<void>;
  /** Answers with this command's usage line (wrong arguments). */
  usage(): Promise<void>;
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
  run(context: CommandContext<Services>): Promise<void>;
}

/** Identity function that types a command definition. */
export function defineCommand<Services = unknown>(definition: CommandDefinition<Services>): CommandDefinition<Services> {
  return definition;
}
