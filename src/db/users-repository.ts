import type { Kysely, Selectable } from 'kysely';
import type { Schema, UsersTable } from './schema.js';

/** One Slack user as cached: names, flags and time zone, and when Slack said so. */
export interface CachedUser {
  readonly teamId: string;
  readonly userId: string;
  /** The handle (`name`). */
  readonly name: string;
  readonly realName: string | null;
  readonly displayName: string | null;
  readonly tz: string | null;
  readonly isAdmin: boolean;
  readonly isOwner: boolean;
  readonly isBot: boolean;
  readonly isDeleted: boolean;
  readonly fetchedAt: Date;
}

/** The `users` cache; all scoped by team. */
export interface UserCacheStore {
  get(teamId: string, userId: string): Promise<CachedUser | undefined>;
  getMany(teamId: string, userIds: readonly string[]): Promise<CachedUser[]>;
  /** Inserts or replaces each user's row. */
  put(users: readonly CachedUser[]): Promise<void>;
  /** Active, human workspace admins and owners, by id. */
  admins(teamId: string): Promise<CachedUser[]>;
  /** When the whole member list was last read from Slack into the cache (null: never). */
  listedAt(teamId: string): Promise<Date | null>;
  markListed(teamId: string, at: Date): Promise<void>;
}

/** The users cache in PostgreSQL (`users`, primary key team and user). */
export class UsersRepository implements UserCacheStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  async get(teamId: string, userId: string): Promise<CachedUser | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
    return row && toUser(row);
  }

  async getMany(teamId: string, userIds: readonly string[]): Promise<CachedUser[]> {
    if (userIds.length === 0) return [];
    const rows = await this.#db.selectFrom('users').selectAll().where('team_id', '=', teamId).where('user_id', 'in', [...userIds]).execute();
    return rows.map(toUser);
  }

  async put(users: readonly CachedUser[]): Promise<void> {
    if (users.length === 0) return;
    const rows = users.map((u) => ({
      team_id: u.teamId, user_id: u.userId, name: u.name, real_name: u.realName, display_name: u.displayName, tz: u.tz,
      is_admin: u.isAdmin, is_owner: u.isOwner, is_bot: u.isBot, is_deleted: u.isDeleted, fetched_at: u.fetchedAt,
    }));
    await this.#db.insertInto('users').values(rows).onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet((eb) => ({
      name: eb.ref('excluded.name'), real_name: eb.ref('excluded.real_name'), display_name: eb.ref('excluded.display_name'),
      tz: eb.ref('excluded.tz'), is_admin: eb.ref('excluded.is_admin'), is_owner: eb.ref('excluded.is_owner'),
      is_bot: eb.ref('excluded.is_bot'), is_deleted: eb.ref('excluded.is_deleted'), fetched_at: eb.ref('excluded.fetched_at'),
    }))).execute();
  }

  async admins(teamId: string): Promise<CachedUser[]> {
    const rows = await this.#db.selectFrom('users').selectAll().where('team_id', '=', teamId)
      .where((eb) => eb.or([eb('is_admin', '=', true), eb('is_owner', '=', true)]))
      .where('is_bot', '=', false).where('is_deleted', '=', false).orderBy('user_id').execute();
    return rows.map(toUser);
  }

  async listedAt(teamId: string): Promise<Date | null> {
    const row = await this.#db.selectFrom('workspace_settings').select('users_listed_at').where('team_id', '=', teamId).executeTakeFirst();
    return row?.users_listed_at ?? null;
  }

  async markListed(teamId: string, at: Date): Promise<void> {
    await this.#db.insertInto('workspace_settings').values({ team_id: teamId, users_listed_at: at })
      .onConflict((oc) => oc.column('team_id').doUpdateSet({ users_listed_at: at }))
      .execute();
  }
}

function toUser(row: Selectable<UsersTable>): CachedUser {
  return {
    teamId: row.team_id, userId: row.user_id, name: row.name, realName: row.real_name, displayName: row.display_name, tz: row.tz,
    isAdmin: row.is_admin, isOwner: row.is_owner, isBot: row.is_bot, isDeleted: row.is_deleted, fetchedAt: row.fetched_at,
  };
}
