import type { CommandContext } from './command.js';
import { closest } from './tokenize.js';

/** One form of a command family (`task add`, `leave list`…): the arguments after its word. */
export type Subcommand<Services> = (context: CommandContext<Services>, args: readonly string[]) => Promise<void>;

/** A family's second words: handlers by name, and other words for them. */
export interface SubcommandTable<Services> {
  /** The family's name, as typed (`task`). */
  readonly family: string;
  readonly handlers: Readonly<Record<string, Subcommand<Services>>>;
  readonly aliases?: Readonly<Record<string, string>>;
}

/** The handler that `word` names, directly or by an alias (any case), or undefined. */
export function findSubcommand<Services>(table: SubcommandTable<Services>, word: string): Subcommand<Services> | undefined {
  const name = word.toLowerCase();
  return table.handlers[table.aliases?.[name] ?? name];
}

/** Just the names of a family's forms, whatever runs them. */
export interface SubcommandNames {
  readonly family: string;
  readonly handlers: Readonly<Record<string, unknown>>;
}

/** The closest second word to a typo, if one is close enough. */
export function guessSubcommand(table: SubcommandNames, word: string, maxDistance?: number): string | undefined {
  return closest(word.toLowerCase(), Object.keys(table.handlers), maxDistance);
}

/** "I don't know `task frob`. Did you mean `task find`? Try `help task`." */
export function replyUnknownSubcommand(context: Pick<CommandContext, 'reply'>, table: SubcommandNames, word: string, guess = guessSubcommand(table, word)): Promise<void> {
  return context.reply(`I don't know \`${table.family} ${word}\`.${guess ? ` Did you mean \`${table.family} ${guess}\`?` : ''} Try \`help ${table.family}\`.`);
}

/** Answers one form's usage line, after `problem` when there is one (wrong arguments). */
export function replyUsage(context: Pick<CommandContext, 'reply'>, usage: string, problem = ''): Promise<void> {
  return context.reply(`${problem ? `${problem}\n` : ''}Usage: \`${usage}\``);
}
