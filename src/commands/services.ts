import type { PlanStore } from '../db/plans-repository.js';
import type { TaskStore } from '../db/tasks-repository.js';
import type { SlackApi } from '../slack/types.js';
import { TtlCache } from './cache.js';
import type { CommandContext } from './command.js';
import { isValidTimeZone, type Today } from './parse.js';

/** What the team commands work with: stores scoped by team, a clock, and cached Slack look-ups. */
export interface CommandServices {
  readonly tasks: TaskStore;
  readonly plans: PlanStore;
  /** The current instant (injected so tests and demos can fix it). */
  readonly now: () => Date;
  /** Workspace time zone per team: one `team.info` per team per hour, UTC when unknown. */
  readonly zones: TtlCache<string>;
  /** Display names per team and user, for lists that should not ping everyone they name. */
  readonly names: TtlCache<string>;
}

export type TeamContext = CommandContext<CommandServices>;

const ZONE_TTL_MS = 60 * 60_000;
const NAME_TTL_MS = 60 * 60_000;

/** Services over the given stores, with fresh caches. */
export function createServices(stores: { tasks: TaskStore; plans: PlanStore; now?: () => Date }): CommandServices {
  return {
    tasks: stores.tasks,
    plans: stores.plans,
    now: stores.now ?? (() => new Date()),
    zones: new TtlCache<string>(ZONE_TTL_MS),
    names: new TtlCache<string>(NAME_TTL_MS),
  };
}

/** "Now" in the workspace's time zone (cached per team; UTC when Slack does not say or fails). */
export async function teamToday(context: TeamContext): Promise<Today> {
  const { services, teamId, slack } = context;
  const timeZone = await services.zones.get(teamId, () => loadTimeZone(slack)).catch(() => 'UTC');
  return { now: services.now(), timeZone };
}

async function loadTimeZone(slack: SlackApi): Promise<string> {
  const zone = slack.teamTimeZone ? await slack.teamTimeZone() : 'UTC';
  return isValidTimeZone(zone) ? zone : 'UTC';
}

/** A user's display name (cached); their mention form when Slack cannot tell. Never rejects. */
export async function displayName(context: TeamContext, userId: string): Promise<string> {
  const { services, teamId, slack } = context;
  return services.names
    .get(`${teamId}/${userId}`, async () => (await slack.userInfo(userId)).name)
    .catch(() => `<@${userId}>`);
}

/** Display names of several users at once, keyed by id. */
export async function displayNames(context: TeamContext, userIds: Iterable<string>): Promise<Map<string, string>> {
  const unique = [...new Set(userIds)];
  const names = await Promise.all(unique.map((id) => displayName(context, id)));
  return new Map(unique.map((id, i) => [id, names[i]!]));
}

/** Whether the user is a workspace admin or owner (asked fresh from `users.info`; rejects when Slack fails). */
export async function isWorkspaceAdmin(context: TeamContext, userId: string): Promise<boolean> {
  return (await context.slack.userInfo(userId)).isAdmin;
}
