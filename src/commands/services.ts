import { randomBytes } from 'node:crypto';
import type { LeaveRecord, LeaveStore } from '../db/leave-repository.js';
import type { PlanStore } from '../db/plans-repository.js';
import type { SettingsStore, WorkspaceSettings } from '../db/settings-repository.js';
import type { TaskStore } from '../db/tasks-repository.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { Logger } from '../lib/logger.js';
import type { People } from '../slack/people.js';
import type { TeamZones } from '../slack/team-zone.js';
import type { SlackApi } from '../slack/types.js';
import type { ActingContext, CommandContext } from './command.js';
import type { Today } from './parse.js';

/**
 * Keeps the day's "who is out" summary true after it was posted: told of
 * every leave status change, it updates the posted message when the change
 * touches that day. Never rejects (failures are logged).
 */
export interface SummaryUpdates {
  leaveChanged(teamId: string, request: LeaveRecord, slack: SlackApi): Promise<void>;
}

/** What the team commands work with: stores scoped by team, a clock, the people cache and time zones. */
export interface CommandServices {
  readonly tasks: TaskStore;
  readonly plans: PlanStore;
  readonly leave: LeaveStore;
  readonly settings: SettingsStore;
  /** Names, admin flags and time zones of members (the `users` cache). */
  readonly people: People;
  readonly zones: TeamZones;
  readonly summary: SummaryUpdates;
  /** The current instant (injected so tests and demos can fix it). */
  readonly now: () => Date;
  readonly logger: Logger;
}

/** The parts a command needs to act for one user of one team, whether it came as a command or as a click. */
export type Actor = Pick<ActingContext<CommandServices>, 'teamId' | 'userId' | 'slack' | 'services'>;

export type TeamContext = CommandContext<CommandServices>;

/** A team's settings and "now" in its time zone. */
export interface TeamCalendar {
  readonly settings: WorkspaceSettings;
  readonly today: Today;
}

/** The team's settings and "now" in its time zone (settings, else Slack's, else UTC). */
export async function teamCalendar(actor: Actor): Promise<TeamCalendar> {
  const settings = await actor.services.settings.get(actor.teamId);
  const timeZone = await actor.services.zones.zoneOf(actor.teamId, settings.timeZone, actor.slack);
  return { settings, today: { now: actor.services.now(), timeZone } };
}

/** "Now" in the workspace's time zone. */
export async function teamToday(actor: Actor): Promise<Today> {
  return (await teamCalendar(actor)).today;
}

/** A user's display name (from the users cache); their mention form when Slack cannot tell. Never rejects. */
export async function displayName(actor: Actor, userId: string): Promise<string> {
  return actor.services.people.get(actor.teamId, userId, actor.slack).then((p) => p.name, () => `<@${userId}>`);
}

/** Display names of several users at once, keyed by id (mention form for the unknown). Never rejects. */
export async function displayNames(actor: Actor, userIds: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(userIds)];
  const people = await actor.services.people.getMany(actor.teamId, unique, actor.slack);
  return new Map(unique.map((id) => [id, people.get(id)?.name ?? `<@${id}>`]));
}

/** Whether the user is a workspace admin or owner (users cache, refreshed daily and on `user_change`; rejects when Slack fails and nothing is cached). */
export async function isWorkspaceAdmin(actor: Actor, userId: string): Promise<boolean> {
  return (await actor.services.people.get(actor.teamId, userId, actor.slack)).isAdmin;
}

/**
 * Runs a notification (a DM, a message update) that must never block what
 * caused it: a failure is logged with a reference, which is returned.
 */
export async function bestEffort(actor: Actor, what: string, work: () => Promise<unknown>, fields: Record<string, unknown> = {}): Promise<string | undefined> {
  try {
    await work();
    return undefined;
  } catch (error) {
    const ref = randomBytes(4).toString('hex');
    actor.services.logger.warn({ ref, team_id: actor.teamId, slackError: classifySlackError(error).slackError, ...fields }, `could not ${what}`);
    return ref;
  }
}
