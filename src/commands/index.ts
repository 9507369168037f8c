import type { LeaveStore } from '../db/leave-repository.js';
import type { PlanStore } from '../db/plans-repository.js';
import type { SettingsStore } from '../db/settings-repository.js';
import type { TaskStore } from '../db/tasks-repository.js';
import type { Logger } from '../lib/logger.js';
import { silentLogger } from '../lib/logger.js';
import type { People } from '../slack/people.js';
import type { TeamZones } from '../slack/team-zone.js';
import type { EventContext, RequestHandler } from '../slack/types.js';
import type { CommandDefinition } from './command.js';
import { createDispatcher } from './dispatcher.js';
import { helpCommand } from './help.js';
import { holidayCommand } from './holiday.js';
import { leaveCommand } from './leave.js';
import { outCommand } from './out.js';
import { pingCommand } from './ping.js';
import { blockedCommand, didCommand, meetingCommand, planCommand, standupCommand } from './plan.js';
import type { CommandServices, SummaryUpdates } from './services.js';
import { settingsCommand } from './settings.js';
import { taskCommand } from './tasks.js';

export type { CommandContext, CommandDefinition } from './command.js';
export { defineCommand } from './command.js';
export type { CommandServices, SummaryUpdates } from './services.js';

export interface CommandHandlerOptions {
  /** Where tasks live (scoped by team). */
  readonly tasks: TaskStore;
  /** Where daily plan entries live (scoped by team). */
  readonly plans: PlanStore;
  /** Leave requests, their history and the approvers' messages. */
  readonly leave: LeaveStore;
  /** Settings, approvers and holidays. */
  readonly settings: SettingsStore;
  /** The users cache (names, admin flags, time zones). */
  readonly people: People;
  readonly zones: TeamZones;
  /** Keeps a posted daily summary true after late decisions; default: does nothing. */
  readonly summary?: SummaryUpdates;
  /** The clock; default the system's. */
  readonly now?: () => Date;
  readonly logger?: Logger;
  /** Commands beyond the built-in set (tests, extensions). */
  readonly extra?: readonly CommandDefinition<unknown>[];
}

/** Events that keep the users cache fresh at once. */
const USER_EVENTS: ReadonlySet<string> = new Set(['user_change', 'team_join']);

/**
 * The built-in commands (help, ping, task, plan, did, blocked, meeting,
 * standup, leave, out, settings, holiday) plus `extra`, behind one
 * dispatcher; their buttons and forms too; and `user_change` / `team_join`
 * events, which refresh the users cache.
 */
export function createCommandHandler(options: CommandHandlerOptions): RequestHandler {
  const commands: CommandDefinition<CommandServices>[] = [];
  commands.push(
    helpCommand(() => commands), taskCommand, planCommand, didCommand, blockedCommand, meetingCommand, standupCommand,
    leaveCommand, outCommand, settingsCommand, holidayCommand, pingCommand, ...(options.extra ?? []),
  );
  const services: CommandServices = {
    tasks: options.tasks, plans: options.plans, leave: options.leave, settings: options.settings,
    people: options.people, zones: options.zones, summary: options.summary ?? { leaveChanged: async () => undefined },
    now: options.now ?? (() => new Date()), logger: options.logger ?? silentLogger(),
  };
  return {
    ...createDispatcher(commands, services),
    async handleEvent(context: EventContext): Promise<void> {
      if (USER_EVENTS.has(String(context.event['type']))) await services.people.remember(context.teamId, context.event['user']);
    },
  };
}
