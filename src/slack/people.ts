import type { CachedUser, UserCacheStore } from '../db/users-repository.js';
import type { SlackApi } from './types.js';

/** One member as commands and the summary see them. */
export interface Person {
  readonly userId: string;
  /** Display name, else real name, else handle. */
  readonly name: string;
  /** Workspace admin or owner. */
  readonly isAdmin: boolean;
  readonly tz: string | null;
  readonly isBot: boolean;
  /** Deactivated: left the workspace. */
  readonly isDeleted: boolean;
}

/** A day: how long a cached user (and a team's member list) is trusted. */
export const PEOPLE_MAX_AGE_MS = 24 * 60 * 60_000;

interface SlackUserJson {
  id?: unknown; name?: unknown; real_name?: unknown; tz?: unknown; deleted?: unknown;
  is_admin?: unknown; is_owner?: unknown; is_primary_owner?: unknown; is_bot?: unknown;
  profile?: { display_name?: unknown; real_name?: unknown };
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** A Slack user object (`users.info`, `users.list`, the `user_change` event) as a cache row; undefined without an id. */
export function cachedUserFrom(teamId: string, json: unknown, fetchedAt: Date): CachedUser | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const user = json as SlackUserJson;
  const userId = text(user.id);
  if (userId === null) return undefined;
  return {
    teamId, userId, name: text(user.name) ?? userId, realName: text(user.real_name) ?? text(user.profile?.real_name),
    displayName: text(user.profile?.display_name), tz: text(user.tz),
    isAdmin: user.is_admin === true, isOwner: user.is_owner === true || user.is_primary_owner === true,
    isBot: user.is_bot === true, isDeleted: user.deleted === true, fetchedAt,
  };
}

function toPerson(user: CachedUser): Person {
  return {
    userId: user.userId, name: user.displayName ?? user.realName ?? user.name, isAdmin: user.isAdmin || user.isOwner,
    tz: user.tz, isBot: user.isBot, isDeleted: user.isDeleted,
  };
}

/**
 * Who is who in each workspace, from the `users` cache: a user older than a
 * day (or unknown) is read again with `users.info`; a team's admins come from
 * one `users.list` pass per day. When Slack cannot answer, a stale row still
 * serves. `user_change` events refresh one user at once ({@link People.remember}).
 */
export class People {
  constructor(
    private readonly store: UserCacheStore,
    private readonly now: () => Date,
    private readonly maxAgeMs = PEOPLE_MAX_AGE_MS,
  ) {}

  /** The member `userId`; rejects when they are neither cached nor known to Slack. */
  async get(teamId: string, userId: string, slack: SlackApi): Promise<Person> {
    const cached = await this.store.get(teamId, userId);
    if (cached && this.#isFresh(cached.fetchedAt)) return toPerson(cached);
    try {
      const answer = await slack.call<{ user?: unknown }>('users.info', { user: userId });
      const fresh = cachedUserFrom(teamId, answer.user, this.now());
      if (!fresh) throw new Error(`users.info answered no user for ${userId}`);
      await this.store.put([fresh]);
      return toPerson(fresh);
    } catch (error) {
      if (cached) return toPerson(cached); // Slack is down or slow: yesterday's name beats none
      throw error;
    }
  }

  /** Several members at once, by id; the ones that cannot be found are left out. Never rejects on Slack failures. */
  async getMany(teamId: string, userIds: Iterable<string>, slack: SlackApi): Promise<Map<string, Person>> {
    const unique = [...new Set(userIds)];
    const cached = new Map((await this.store.getMany(teamId, unique)).map((user) => [user.userId, user]));
    const found = await Promise.all(unique.map(async (id) => {
      const row = cached.get(id);
      if (row && this.#isFresh(row.fetchedAt)) return toPerson(row);
      return this.get(teamId, id, slack).catch(() => undefined);
    }));
    return new Map(found.filter((p): p is Person => p !== undefined).map((p) => [p.userId, p]));
  }

  /** The active human admins and owners; the member list is read from Slack once a day. Rejects when it was never read and Slack fails. */
  async admins(teamId: string, slack: SlackApi): Promise<Person[]> {
    const listedAt = await this.store.listedAt(teamId);
    if (listedAt === null || !this.#isFresh(listedAt)) {
      try {
        await this.#listAll(teamId, slack);
      } catch (error) {
        if (listedAt === null) throw error;
      }
    }
    return (await this.store.admins(teamId)).map(toPerson);
  }

  /** Stores a user object Slack sent (the `user_change` event): the cache is fresh at once. */
  async remember(teamId: string, userJson: unknown): Promise<boolean> {
    const user = cachedUserFrom(teamId, userJson, this.now());
    if (!user) return false;
    await this.store.put([user]);
    return true;
  }

  async #listAll(teamId: string, slack: SlackApi): Promise<void> {
    const at = this.now();
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const answer = await slack.call<{ members?: unknown[]; response_metadata?: { next_cursor?: string } }>(
        'users.list', { limit: 200, ...(cursor ? { cursor } : {}) },
      );
      await this.store.put((answer.members ?? []).flatMap((m) => cachedUserFrom(teamId, m, at) ?? []));
      cursor = answer.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    await this.store.markListed(teamId, at);
  }

  #isFresh(fetchedAt: Date): boolean {
    return this.now().getTime() - fetchedAt.getTime() < this.maxAgeMs;
  }
}
