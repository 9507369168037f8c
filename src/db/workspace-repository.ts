import { sql, type Insertable, type Kysely } from 'kysely';
import { createLogger, type Logger } from '../lib/logger.js';
import type { SecretBox } from '../lib/secret-box.js';
import { connectionKey } from '../slack/connection-key.js';
import type { ConnectionSpec } from '../slack/types.js';
import type { Schema, WorkspaceRow, WorkspacesTable } from './schema.js';

/** One workspace as the rest of flotilla sees it: tokens decrypted, camelCase. */
export interface WorkspaceRecord {
  readonly teamId: string;
  readonly teamName: string;
  readonly teamDomain: string | null;
  readonly connection: ConnectionSpec;
  readonly botToken: string;
  readonly appId: string | null;
  readonly botUserId: string;
  readonly botId: string | null;
  readonly enabled: boolean;
  readonly restartRequestedAt: Date | null;
  /** Who installed the app by OAuth (a Slack user id); null for an operator's `workspace add`. */
  readonly installedBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** When a workspace last changed (tokens, names, transport, enabled) and last asked for a restart. */
export interface WorkspaceVersion {
  readonly teamId: string;
  readonly updatedAt: Date;
  readonly restartRequestedAt: Date | null;
  /** The lease key of its connection (`slack/connection-key.ts`); null when it has none or it cannot be computed here. */
  readonly connectionKey: string | null;
}

const GET_MANY_CHUNK = 1_000;
/** Rows per statement of `upsertMany` (10 parameters each, well under PostgreSQL's 65,535). */
const UPSERT_CHUNK = 500;

export interface WorkspaceInput {
  readonly teamId: string;
  readonly teamName: string;
  /** Omitted (undefined) on an update keeps the stored value. */
  readonly teamDomain?: string | null | undefined;
  readonly connection: ConnectionSpec;
  readonly botToken: string;
  /** Omitted (undefined) on an update keeps the stored value. */
  readonly appId?: string | null | undefined;
  readonly botUserId: string;
  /** Omitted (undefined) on an update keeps the stored value. */
  readonly botId?: string | null | undefined;
  /** The installing user of an OAuth install. Omitted (undefined) on an update keeps the stored value. */
  readonly installedBy?: string | null | undefined;
}

export interface WorkspaceRemoval {
  readonly teamId: string;
  readonly teamName: string;
  readonly reason: string;
  readonly actor: string;
  readonly removedAt: Date;
}

/**
 * The `workspaces` table and its removal log. Tokens are sealed with the
 * SecretBox (bound to team and token kind) before they reach the database and
 * opened on the way out; plain tokens are never stored.
 */
export class WorkspaceRepository {
  readonly #db: Kysely<Schema>;
  readonly #box: SecretBox;
  readonly #logger: Logger;
  /** Rows this process could not key (tokens it cannot decrypt), by the version it tried. */
  readonly #unkeyable = new Map<string, number>();

  /** `logger` receives rows that cannot be decrypted; default: errors to stdout as JSON. */
  constructor(kysely: Kysely<Schema>, box: SecretBox, logger?: Logger) {
    this.#db = kysely;
    this.#box = box;
    this.#logger = logger ?? createLogger({ level: 'error' });
  }

  /**
   * Every workspace (or only enabled ones), by team id. A row whose tokens
   * cannot be decrypted (wrong key) is skipped and logged by team id; it never
   * fails the whole list.
   */
  async list(options: { enabledOnly?: boolean } = {}): Promise<WorkspaceRecord[]> {
    let query = this.#db.selectFrom('workspaces').selectAll().orderBy('team_id');
    if (options.enabledOnly) query = query.where('enabled', '=', true);
    return this.#toRecords(await query.execute());
  }

  #toRecords(rows: readonly WorkspaceRow[]): WorkspaceRecord[] {
    const { records, unreadable } = this.#open(rows);
    if (unreadable.length > 0) this.#reportUnreadable(unreadable);
    return records;
  }

  #open(rows: readonly WorkspaceRow[]): { records: WorkspaceRecord[]; unreadable: string[] } {
    const records: WorkspaceRecord[] = [];
    const unreadable: string[] = [];
    for (const row of rows) {
      try {
        records.push(this.#toRecord(row));
      } catch {
        unreadable.push(row.team_id);
      }
    }
    return { records, unreadable };
  }

  /** One line for any number of rows: instances of one fleet must share FLOTILLA_ENCRYPTION_KEY. */
  #reportUnreadable(teamIds: readonly string[]): void {
    this.#logger.error(
      { count: teamIds.length, teamIds: teamIds.slice(0, 20) },
      `cannot decrypt the tokens of ${teamIds.length} workspace(s): this FLOTILLA_ENCRYPTION_KEY is not the one that stored them; leaving those rows alone`,
    );
  }

  /**
   * Which workspaces exist, when each last changed and the lease key of its
   * connection, without reading or decrypting tokens: what a reconcile
   * compares, cheap at 100,000 rows. Socket Mode rows stored without a key
   * (before migration 0005, or by an older version) are keyed here, once;
   * a socket whose key cannot be computed here (tokens this key cannot
   * decrypt) is left out, and alone, for an instance that can.
   */
  async listVersions(options: { enabledOnly?: boolean } = {}): Promise<WorkspaceVersion[]> {
    let query = this.#db.selectFrom('workspaces').select(['team_id', 'updated_at', 'restart_requested_at', 'connection_key', 'transport']);
    if (options.enabledOnly) query = query.where('enabled', '=', true);
    const rows = await query.execute();
    const unkeyed = rows.filter((row) => row.connection_key === null && row.transport === 'socket-mode' && !this.#isKnownUnkeyable(row));
    const filled = unkeyed.length > 0 ? await this.#fillConnectionKeys(unkeyed) : new Map<string, string>();
    const versions: WorkspaceVersion[] = [];
    for (const row of rows) {
      const key = row.connection_key ?? filled.get(row.team_id) ?? null;
      // A socket without a key cannot be leased: left out (and alone) until an instance that can decrypt it keys it.
      if (key === null && (row.transport === 'socket-mode' || row.transport === 'rtm')) continue;
      versions.push({ teamId: row.team_id, updatedAt: row.updated_at, restartRequestedAt: row.restart_requested_at, connectionKey: key });
    }
    return versions;
  }

  #isKnownUnkeyable(row: { team_id: string; updated_at: Date }): boolean {
    return this.#unkeyable.get(row.team_id) === row.updated_at.getTime();
  }

  /**
   * Computes and stores the connection key of Socket Mode rows that lack one
   * (rows from before migration 0005, or written by an older version). Needs
   * the plain app token, so each is decrypted once; undecryptable rows are
   * left alone, reported in one line, and not tried again until they change.
   */
  async #fillConnectionKeys(rows: ReadonlyArray<{ team_id: string; updated_at: Date }>): Promise<Map<string, string>> {
    const records = await this.getMany(rows.map((row) => row.team_id));
    const keys = new Map<string, string>();
    for (const record of records) {
      const key = connectionKey(record.teamId, record.connection);
      if (key !== null) keys.set(record.teamId, key);
    }
    for (const row of rows) if (!keys.has(row.team_id)) this.#unkeyable.set(row.team_id, row.updated_at.getTime());
    if (keys.size > 0) {
      await sql`update workspaces as w set connection_key = v.key
        from (select unnest(${[...keys.keys()]}::text[]) as team_id, unnest(${[...keys.values()]}::text[]) as key) as v
        where w.team_id = v.team_id and w.connection_key is null`.execute(this.#db);
    }
    return keys;
  }

  /** The given workspaces, tokens decrypted (undecryptable rows skipped and logged, as in `list`). */
  async getMany(teamIds: readonly string[]): Promise<WorkspaceRecord[]> {
    return (await this.loadMany(teamIds)).records;
  }

  /**
   * The given workspaces, tokens decrypted; rows whose tokens do not decrypt
   * with this key are named in `unreadable` (and logged, in one line).
   * Team ids with no row are left out of both.
   */
  async loadMany(teamIds: readonly string[]): Promise<{ records: WorkspaceRecord[]; unreadable: string[] }> {
    const records: WorkspaceRecord[] = [];
    const unreadable: string[] = [];
    for (let at = 0; at < teamIds.length; at += GET_MANY_CHUNK) {
      const chunk = teamIds.slice(at, at + GET_MANY_CHUNK);
      const rows = await this.#db.selectFrom('workspaces').selectAll().where('team_id', 'in', chunk).orderBy('team_id').execute();
      const opened = this.#open(rows);
      records.push(...opened.records);
      unreadable.push(...opened.unreadable);
    }
    if (unreadable.length > 0) this.#reportUnreadable(unreadable);
    return { records, unreadable };
  }

  /** The workspace, or undefined. Throws SecretBoxError if its tokens cannot be decrypted. */
  async get(teamId: string): Promise<WorkspaceRecord | undefined> {
    const row = await this.#db.selectFrom('workspaces').selectAll().where('team_id', '=', teamId).executeTakeFirst();
    return row === undefined ? undefined : this.#toRecord(row);
  }

  /**
   * Inserts the workspace, or updates it (names, tokens, transport, ids) when
   * the team exists, bumping `updated_at`. `enabled` and
   * `restart_requested_at` are left as they are on update. Resolves to the stored record.
   */
  async upsert(input: WorkspaceInput): Promise<WorkspaceRecord> {
    const row = await this.#db
      .insertInto('workspaces')
      .values(this.#rowOf(input))
      .onConflict((oc) =>
        oc.column('team_id').doUpdateSet((eb) => ({
          team_name: eb.ref('excluded.team_name'),
          team_domain: keepUnlessGiven(input.teamDomain, eb.ref('excluded.team_domain'), eb.ref('workspaces.team_domain')),
          transport: eb.ref('excluded.transport'),
          bot_token_enc: eb.ref('excluded.bot_token_enc'),
          app_token_enc: eb.ref('excluded.app_token_enc'),
          app_id: keepUnlessGiven(input.appId, eb.ref('excluded.app_id'), eb.ref('workspaces.app_id')),
          bot_user_id: eb.ref('excluded.bot_user_id'),
          bot_id: keepUnlessGiven(input.botId, eb.ref('excluded.bot_id'), eb.ref('workspaces.bot_id')),
          connection_key: eb.ref('excluded.connection_key'),
          installed_by: keepUnlessGiven(input.installedBy, eb.ref('excluded.installed_by'), eb.ref('workspaces.installed_by')),
          updated_at: sql<Date>`now()`,
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.#toRecord(row);
  }

  /**
   * Inserts or updates many workspaces in a few statements (500 rows each):
   * what a bulk import stores. As `upsert`, with the team domain kept on
   * update (an import does not know it) and everything else replaced. Team
   * ids must be distinct. Resolves once every row is stored.
   */
  async upsertMany(inputs: readonly WorkspaceInput[]): Promise<void> {
    for (let at = 0; at < inputs.length; at += UPSERT_CHUNK) {
      const chunk = inputs.slice(at, at + UPSERT_CHUNK);
      await this.#db
        .insertInto('workspaces')
        .values(chunk.map((input) => this.#rowOf(input)))
        .onConflict((oc) =>
          oc.column('team_id').doUpdateSet((eb) => ({
            team_name: eb.ref('excluded.team_name'),
            transport: eb.ref('excluded.transport'),
            bot_token_enc: eb.ref('excluded.bot_token_enc'),
            app_token_enc: eb.ref('excluded.app_token_enc'),
            app_id: eb.ref('excluded.app_id'),
            bot_user_id: eb.ref('excluded.bot_user_id'),
            bot_id: eb.ref('excluded.bot_id'),
            connection_key: eb.ref('excluded.connection_key'),
            updated_at: sql<Date>`now()`,
          })),
        )
        .execute();
    }
  }

  /**
   * Deletes the workspace and records who/why in `workspace_removals`, in one
   * transaction. Resolves false (and records nothing) when there was no such row.
   * The team's own data in other tables is kept.
   */
  async remove(teamId: string, removal: { reason: string; actor: string }): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const deleted = await trx
        .deleteFrom('workspaces')
        .where('team_id', '=', teamId)
        .returning(['team_id', 'team_name'])
        .executeTakeFirst();
      if (deleted === undefined) return false;
      await trx
        .insertInto('workspace_removals')
        .values({ team_id: deleted.team_id, team_name: deleted.team_name, reason: removal.reason, actor: removal.actor })
        .execute();
      return true;
    });
  }

  /** Removals, newest first; of one team when `teamId` is given. */
  async listRemovals(teamId?: string): Promise<WorkspaceRemoval[]> {
    let query = this.#db.selectFrom('workspace_removals').selectAll().orderBy('removed_at', 'desc').orderBy('id', 'desc');
    if (teamId !== undefined) query = query.where('team_id', '=', teamId);
    const rows = await query.execute();
    return rows.map((row) => ({
      teamId: row.team_id,
      teamName: row.team_name,
      reason: row.reason,
      actor: row.actor,
      removedAt: row.removed_at,
    }));
  }

  /**
   * Sets `restart_requested_at = now()` on one team or on every row (`'all'`);
   * the table trigger NOTIFYs each change. Resolves to the number of rows touched.
   */
  async requestRestart(teamId: string | 'all'): Promise<number> {
    let query = this.#db.updateTable('workspaces').set({ restart_requested_at: sql<Date>`now()` });
    if (teamId !== 'all') query = query.where('team_id', '=', teamId);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Enables or disables a workspace; resolves false when there is no such row. */
  async setEnabled(teamId: string, enabled: boolean): Promise<boolean> {
    const result = await this.#db
      .updateTable('workspaces')
      .set({ enabled, updated_at: sql<Date>`now()` })
      .where('team_id', '=', teamId)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** The row a workspace is stored as: its tokens sealed, its connection's lease key computed. */
  #rowOf(input: WorkspaceInput): Insertable<WorkspacesTable> {
    const appToken = input.connection.transport === 'socket-mode' ? input.connection.appToken : null;
    return {
      team_id: input.teamId,
      team_name: input.teamName,
      team_domain: input.teamDomain ?? null,
      transport: input.connection.transport,
      bot_token_enc: this.#box.seal(input.botToken, botContext(input.teamId)),
      app_token_enc: appToken === null ? null : this.#box.seal(appToken, appContext(input.teamId)),
      app_id: input.appId ?? null,
      bot_user_id: input.botUserId,
      bot_id: input.botId ?? null,
      connection_key: connectionKey(input.teamId, input.connection),
      installed_by: input.installedBy ?? null,
    };
  }

  #toRecord(row: WorkspaceRow): WorkspaceRecord {
    const botToken = this.#box.open(row.bot_token_enc, botContext(row.team_id));
    let connection: ConnectionSpec;
    if (row.transport === 'socket-mode') {
      if (row.app_token_enc === null) throw new Error('socket-mode row without an app token');
      connection = { transport: 'socket-mode', appToken: this.#box.open(row.app_token_enc, appContext(row.team_id)) };
    } else {
      connection = { transport: row.transport };
    }
    return {
      teamId: row.team_id,
      teamName: row.team_name,
      teamDomain: row.team_domain,
      connection,
      botToken,
      appId: row.app_id,
      botUserId: row.bot_user_id,
      botId: row.bot_id,
      enabled: row.enabled,
      restartRequestedAt: row.restart_requested_at,
      installedBy: row.installed_by,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }
}

/** The associated data a bot token is sealed with: a token moved to another row does not open. */
export function botContext(teamId: string): string {
  return `workspaces.bot_token:${teamId}`;
}

/** The associated data an app token is sealed with. */
export function appContext(teamId: string): string {
  return `workspaces.app_token:${teamId}`;
}

/** On conflict: the new value when the caller gave one (even null), else the stored one. */
function keepUnlessGiven<T>(given: unknown, incoming: T, stored: T): T {
  return given === undefined ? stored : incoming;
}
