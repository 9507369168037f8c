import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** This process among the instances (the shape `fleet/lease-store.ts` declares). */
export interface InstanceRow {
  readonly id: string;
  readonly incarnation: string;
  readonly host: string;
  readonly version: string;
}

export interface HeldLease {
  readonly key: string;
  readonly epoch: number;
  readonly expiresInMs: number;
}

export type ClaimKind = 'new' | 'handed_over' | 'expired' | 'reclaimed';

/** The channel a release notifies on (`fleet/lease-store.ts` LEASES_CHANNEL). */
const CHANNEL = 'flotilla_leases';

/** Keep rows of instances gone this long, so operators see a dead one for a while. */
const FORGET_INSTANCES_AFTER = '1 hour';

const ttl = (ttlMs: number) => sql`(${ttlMs}::float8 * interval '1 millisecond')`;
const expiresInMs = sql<number>`(extract(epoch from (expires_at - now())) * 1000)::float8`;

interface LeaseRow { key: string | null; epoch: string | null; expires_in_ms: number | null }

function toLeases(rows: readonly LeaseRow[]): HeldLease[] {
  return rows.filter((row) => row.key !== null)
    .map((row) => ({ key: row.key as string, epoch: Number(row.epoch), expiresInMs: Number(row.expires_in_ms) }));
}

/**
 * Leases and heartbeats in PostgreSQL (`instances`, `connection_leases`).
 * Every method is one statement. A key has one owner because every write
 * takes it only `WHERE owner IS NULL OR expires_at <= now()` (claim) or
 * `WHERE owner = $me` (renew, release), and PostgreSQL re-checks that
 * condition on the row's latest version when two writers meet. Expiry is
 * judged by the database clock alone; callers get durations, never times.
 */
export class PostgresLeaseStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  async register(me: InstanceRow, ttlMs: number): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      insert into instances as i (id, host, version, incarnation, started_at, heartbeat_at)
      values (${me.id}, ${me.host}, ${me.version}, ${me.incarnation}, now(), now())
      on conflict (id) do update set host = excluded.host, version = excluded.version,
        incarnation = excluded.incarnation, heartbeat_at = now(),
        started_at = case when i.incarnation = excluded.incarnation then i.started_at else now() end
      where i.incarnation = excluded.incarnation or i.heartbeat_at <= now() - ${ttl(ttlMs)}
      returning i.id`.execute(this.#db);
    return rows.length === 1;
  }

  async renew(me: InstanceRow, ttlMs: number): Promise<{ isRegistered: boolean; owned: HeldLease[] }> {
    const { rows } = await sql<LeaseRow & { registered: number }>`
      with beat as (
        update instances set heartbeat_at = now() where id = ${me.id} and incarnation = ${me.incarnation} returning id
      ), renewed as (
        update connection_leases set expires_at = now() + ${ttl(ttlMs)}
        where owner = (select id from beat) returning key, epoch, expires_at
      )
      select (select count(*) from beat)::int as registered, r.key, r.epoch::text as epoch,
        (extract(epoch from (r.expires_at - now())) * 1000)::float8 as expires_in_ms
      from (select 1) as one left join renewed as r on true`.execute(this.#db);
    return { isRegistered: (rows[0]?.registered ?? 0) > 0, owned: toLeases(rows) };
  }

  async census(owner: string, ttlMs: number, limit: number): Promise<{
    liveInstances: number; totalKeys: number; minHeld: number; freeKeys: string[]; orphanKeys: string[]; nextExpiryMs: number | null;
  }> {
    const { rows } = await sql<{
      live: number; total: number; min_held: number; free: string[] | null; orphans: string[] | null; next_expiry_ms: number | null;
    }>`
      with keys as (
        select distinct connection_key as key from workspaces where enabled and connection_key is not null
      ), live as (
        select i.id, (select count(*) from connection_leases as l where l.owner = i.id and l.expires_at > now()) as held
        from instances as i where i.heartbeat_at > now() - ${ttl(ttlMs)}
      )
      select
        (select count(*) from live)::int as live,
        (select count(*) from keys)::int as total,
        (select coalesce(min(held), 0) from live)::int as min_held,
        array(select k.key from keys as k left join connection_leases as l on l.key = k.key
              where l.key is null or l.owner is null or l.expires_at <= now()
              order by (l.owner is not distinct from ${owner}) desc, random() limit ${limit}) as free,
        array(select l.key from connection_leases as l
              where l.owner = ${owner} and not exists (select 1 from keys as k where k.key = l.key)) as orphans,
        (select (extract(epoch from (min(expires_at) - now())) * 1000)::float8 from connection_leases
          where owner <> ${owner} and expires_at > now()) as next_expiry_ms`.execute(this.#db);
    const row = rows[0];
    return {
      liveInstances: Number(row?.live ?? 0), totalKeys: Number(row?.total ?? 0), minHeld: Number(row?.min_held ?? 0),
      freeKeys: row?.free ?? [], orphanKeys: row?.orphans ?? [],
      nextExpiryMs: row?.next_expiry_ms === null || row?.next_expiry_ms === undefined ? null : Number(row.next_expiry_ms),
    };
  }

  async claim(owner: string, keys: readonly string[], ttlMs: number): Promise<{
    owned: HeldLease[]; claimed: Array<{ key: string; kind: ClaimKind; from: string | null }>;
  }> {
    const { rows } = await sql<LeaseRow & { is_claimed: boolean; previous_owner: string | null }>`
      with claimed as (
        insert into connection_leases as l (key, owner, epoch, expires_at, acquired_at, previous_owner)
        select k, ${owner}, 1, now() + ${ttl(ttlMs)}, now(), null from unnest(${[...keys]}::text[]) as k
        on conflict (key) do update set owner = excluded.owner, epoch = l.epoch + 1, expires_at = excluded.expires_at,
          acquired_at = excluded.acquired_at, previous_owner = l.owner
        where l.owner is null or l.expires_at <= now()
        returning l.key, l.epoch, l.expires_at, l.previous_owner
      )
      select key, epoch::text as epoch, ${expiresInMs} as expires_in_ms, previous_owner, true as is_claimed from claimed
      union all
      select key, epoch::text, ${expiresInMs}, null, false from connection_leases
      where owner = ${owner} and expires_at > now() and not exists (select 1 from claimed as c where c.key = connection_leases.key)`
      .execute(this.#db);
    const claimed = rows.filter((row) => row.is_claimed && row.key !== null).map((row) => ({
      key: row.key as string, from: row.previous_owner, kind: claimKind(owner, Number(row.epoch), row.previous_owner),
    }));
    return { owned: toLeases(rows), claimed };
  }

  async release(owner: string, keys: readonly string[]): Promise<HeldLease[]> {
    const { rows } = await sql<LeaseRow>`
      with released as (
        update connection_leases set owner = null, expires_at = now()
        where owner = ${owner} and key = any(${[...keys]}::text[]) returning key
      ), told as (
        select pg_notify(${CHANNEL}, ${owner}) from (select 1 from released limit 1) as any_released
      )
      select h.key, h.epoch, h.expires_in_ms from (select count(*) from told) as notified
      left join (
        select l.key, l.epoch::text as epoch, (extract(epoch from (l.expires_at - now())) * 1000)::float8 as expires_in_ms
        from connection_leases as l
        where l.owner = ${owner} and l.expires_at > now() and not exists (select 1 from released as r where r.key = l.key)
      ) as h on true`.execute(this.#db);
    return toLeases(rows);
  }

  async leave(me: InstanceRow): Promise<void> {
    await sql`
      with gone as (
        delete from instances where id = ${me.id} and incarnation = ${me.incarnation} returning id
      ), released as (
        update connection_leases set owner = null, expires_at = now()
        where owner = ${me.id} and exists (select 1 from gone) returning key
      )
      select pg_notify(${CHANNEL}, ${me.id}), (select count(*) from released) from gone`.execute(this.#db);
  }

  /** Forgets instances silent for an hour and leases of keys no workspace uses that nobody holds. */
  async sweep(): Promise<void> {
    await sql`
      with forgotten as (
        delete from instances where heartbeat_at < now() - ${sql.raw(`interval '${FORGET_INSTANCES_AFTER}'`)} returning id
      )
      delete from connection_leases as l
      where (l.owner is null or l.expires_at <= now())
        and not exists (select 1 from workspaces as w where w.connection_key = l.key)
        and (select count(*) from forgotten) >= 0`.execute(this.#db);
  }
}

function claimKind(owner: string, epoch: number, previousOwner: string | null): ClaimKind {
  if (previousOwner === owner) return 'reclaimed';
  if (previousOwner !== null) return 'expired';
  return epoch > 1 ? 'handed_over' : 'new';
}
