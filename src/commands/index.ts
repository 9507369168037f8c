import type { PlanStore } from '../db/plans-repository.js';
import type { TaskStore } from '../db/tasks-repository.js';
import type { RequestHandler } from '../slack/types.js';
import type { CommandDefinition } from './command.js';
import { createDispatcher } from './dispatcher.js';
import { helpCommand } from './help.js';
import { pingCommand } from './ping.js';
import { blockedCommand, didCommand, meetingCommand, planCommand, standupCommand } from './plan.js';
import { createServices, type CommandServices } from './services.js';
import { taskCommand } from './tasks.js';

export type { CommandContext, CommandDefinition } from './command.js';
export { defineCommand } from './command.js';
export type { CommandServices } from './services.js';

export interface CommandHandlerOptions {
  /** Where tasks live (scoped by team). */
  readonly tasks: TaskStore;
  /** Where daily plan entries live (scoped by team). */
  readonly plans: PlanStore;
  /** The clock; default the system's. */
  readonly now?: () => Date;
  /** Commands beyond the built-in set (tests, extensions). */
  readonly extra?: readonly CommandDefinition<unknown>[];
}

/** The built-in commands (help, ping, task, plan, did, blocked, meeting, standup) plus `extra`, behind one dispatcher. */
export function createCommandHandler(options: CommandHandlerOptions): RequestHandler {
  const commands: CommandDefinition<CommandServices>[] = [];
  commands.push(
    helpCommand(() => commands), taskCommand, planCommand, didCommand, blockedCommand, meetingCommand, standupCommand,
    pingCommand, ...(options.extra ?? []),
  );
  return createDispatcher(commands, createServices(options));
}
