import type { RequestHandler } from '../slack/types.js';
import type { CommandDefinition } from './command.js';
import { createDispatcher } from './dispatcher.js';
import { helpCommand } from './help.js';
import { pingCommand } from './ping.js';

export type { CommandContext, CommandDefinition } from './command.js';
export { defineCommand } from './command.js';

/** The built-in commands plus `extra` ones, behind one dispatcher. */
export function createCommandHandler(extra: readonly CommandDefinition<unknown>[] = []): RequestHandler {
  const commands: CommandDefinition<unknown>[] = [];
  commands.push(helpCommand(() => commands), pingCommand, ...extra);
  return createDispatcher(commands, undefined);
}
