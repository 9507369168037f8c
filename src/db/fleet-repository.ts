import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** A worker's status as its owner publishes it (the shape of `fleet/status-publisher.ts`). */
export interface StatusRow {
  readonly status: {
    readonly teamId: string;
    readonly teamName: string;
    readonly state: string;
    readonly connectedSince: string | null;
    readonly lastEventAt: string | null;
    readonly restarts: number;
    readonly lastError: string | null;
  };
  readonly connectionKey: string;
  readonly epoch: number;
}

/** One enabled workspace as the database knows it: its row, its lease, and its owner's last word. */
export interface FleetRow {
  readonly teamId: string;
  readonly teamName: string;
  readonly transport: string;
  /** The instance holding the workspace's connection now (a live lease), or null. */
  readonly owner: string | null;
  /** What that owner published under that very lease, or null (not yet, or published under an older one). */
  readonly status: {
    readonly teamName: string;
    readonly state: string;
    readonly connectedSince: Date | null;
    readonly lastEventAt: Date | null;
    readonly restarts: number;
    readonly lastError: string | null;
  } | null;
}

/** One row of `instances`, with the leases it holds now. */
export interface InstanceRecord {
  readonly id: string;
  readonly host: string;
  readonly version: string;
  readonly startedAt: Date;
  readonly heartbeatAt: Date;
  /** By the database clock, as every instance judges it. */
  readonly heartbeatAgeMs: number;
  readonly connections: number;
}

const PUBLISH_CHUNK = 500;
/** A first read (no cursor) looks this far back: a page that read the list just before it joined misses nothing. */
const FIRST_LOOK_BACK = sql`interval '5 seconds'`;
/** How far before its cursor a read reaches: a statement stamped with now() commits a moment later. */
const COMMIT_SLACK = sql`interval '1 second'`;

/** What `changedSince` found: changed rows, removed teams, and the cursor for the next read. */
export interface FleetChanges {
  readonly rows: FleetRow[];
  readonly removed: string[];
  /** The database's now() of this read, as text (exact to the microsecond): the next read's `cursor`. */
  readonly cursor: string;
}

/** A workspace, its live lease's owner, and that owner's status when published under that very lease. */
const FLEET_ROWS = sql`
  select w.team_id, w.team_name, w.transport,
    case when l.expires_at > now() then l.owner end as owner,
    (l.expires_at > now() and s.owner = l.owner and s.epoch = l.epoch and s.connection_key = l.key) as is_current,
    s.team_name as status_team_name, s.state, s.connected_since, s.last_event_at, s.restarts, s.last_error
  from workspaces as w
  left join connection_leases as l on l.key = w.connection_key
  left join workspace_status as s on s.team_id = w.team_id`;

interface FleetSqlRow {
  team_id: string; team_name: string; transport: string; owner: string | null; is_current: boolean | null;
  status_team_name: string | null; state: string | null; connected_since: Date | null; last_event_at: Date | null;
  restarts: number | null; last_error: string | null;
}

function toFleetRow(row: FleetSqlRow): FleetRow {
  return {
    teamId: row.team_id, teamName: row.team_name, transport: row.transport, owner: row.owner,
    status: row.is_current === true ? {
      teamName: row.status_team_name ?? row.team_name, state: row.state ?? 'connecting', connectedSince: row.connected_since,
      lastEventAt: row.last_event_at, restarts: Number(row.restarts ?? 0), lastError: row.last_error,
    } : null,
  };
}

/**
 * The whole fleet as any instance sees it: the statuses owners publish
 * (`workspace_status`), joined with the leases that say who owns what now.
 * A status counts only while its owner holds the lease it was published
 * under (same owner, same epoch, not expired): a dead or fenced owner's last
 * word is never shown as current.
 */
export class FleetRepository {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>, private readonly owner: string) {
    this.#db = kysely;
  }

  /** Upserts statuses, a few hundred rows per statement. */
  async publish(rows: readonly StatusRow[]): Promise<void> {
    for (let at = 0; at < rows.length; at += PUBLISH_CHUNK) {
      const values = rows.slice(at, at + PUBLISH_CHUNK).map(({ status, connectionKey, epoch }) => ({
        team_id: status.teamId, owner: this.owner, connection_key: connectionKey, epoch, team_name: status.teamName,
        state: status.state, connected_since: status.connectedSince, last_event_at: status.lastEventAt,
        restarts: status.restarts, last_error: status.lastError,
      }));
      await this.#db.insertInto('workspace_status').values(values).onConflict((oc) => oc.column('team_id').doUpdateSet((eb) => ({
        owner: eb.ref('excluded.owner'), connection_key: eb.ref('excluded.connection_key'), epoch: eb.ref('excluded.epoch'),
        team_name: eb.ref('excluded.team_name'), state: eb.ref('excluded.state'), connected_since: eb.ref('excluded.connected_since'),
        last_event_at: eb.ref('excluded.last_event_at'), restarts: eb.ref('excluded.restarts'), last_error: eb.ref('excluded.last_error'),
        updated_at: sql<Date>`now()`,
      }))).execute();
    }
  }

  /** Every enabled workspace, by team id, with its current owner and that owner's published status. */
  async workspaces(): Promise<FleetRow[]> {
    const { rows } = await sql<FleetSqlRow>`${FLEET_ROWS} where w.enabled order by w.team_id`.execute(this.#db);
    return rows.map(toFleetRow);
  }

  /**
   * What changed in the fleet after `cursor` (a `cursor` this method returned
   * before; null: the last few seconds), judged by the database clock: the
   * enabled workspaces whose owner published a status, whose lease changed
   * hands, or whose lease ended (released, expired), as `workspaces()` shows
   * them; and the teams removed meanwhile (no enabled row now). Each read
   * reaches a second further back than its cursor, so a write committed just
   * after the previous read's snapshot (stamped before it) is not missed: a
   * row may come twice, never not at all. One statement.
   */
  async changedSince(cursor: string | null): Promise<FleetChanges> {
    // Written out at each use, not read from a CTE: the planner then sees the bound and picks index lookups.
    const since = sql`(coalesce(${cursor}::timestamptz, now() - ${FIRST_LOOK_BACK}) - ${COMMIT_SLACK})`;
    const { rows } = await sql<FleetSqlRow & { cursor: string; removed: string[] | null }>`
      with changed as (
        select s.team_id from workspace_status as s where s.updated_at > ${since}
        union
        select w.team_id from connection_leases as l join workspaces as w on w.connection_key = l.key
        where l.acquired_at > ${since} or (l.expires_at > ${since} and l.expires_at <= now())
      ), removed as (
        select array(select r.team_id from workspace_removals as r where r.removed_at > ${since}
          and not exists (select 1 from workspaces as w where w.team_id = r.team_id and w.enabled)) as team_ids
      )
      select now()::text as cursor, r.team_ids as removed, f.*
      from removed as r left join (${FLEET_ROWS} where w.enabled and w.team_id in (select team_id from changed)) as f on true
      order by f.team_id`.execute(this.#db);
    const first = rows[0];
    if (!first) throw new Error('the fleet changes read returned no row');
    return {
      cursor: first.cursor,
      rows: rows.filter((row) => row.team_id !== null).map(toFleetRow),
      removed: [...new Set(first.removed ?? [])],
    };
  }

  /** Every instance on record (live or silent for up to an hour), by id. */
  async instances(): Promise<InstanceRecord[]> {
    const { rows } = await sql<{
      id: string; host: string; version: string; started_at: Date; heartbeat_at: Date; heartbeat_age_ms: number; connections: number;
    }>`
      select i.id, i.host, i.version, i.started_at, i.heartbeat_at,
        (extract(epoch from (now() - i.heartbeat_at)) * 1000)::float8 as heartbeat_age_ms,
        (select count(*) from connection_leases as l where l.owner = i.id and l.expires_at > now())::int as connections
      from instances as i
      order by i.id`.execute(this.#db);
    return rows.map((row) => ({
      id: row.id, host: row.host, version: row.version, startedAt: row.started_at, heartbeatAt: row.heartbeat_at,
      heartbeatAgeMs: Math.max(0, Math.round(Number(row.heartbeat_age_ms))), connections: Number(row.connections),
    }));
  }
}
