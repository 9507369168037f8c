import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { PostgresLeaseStore, type InstanceRow } from '../../src/db/lease-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const TTL_MS = 60_000;

function instance(id: string, incarnation = `${id}-1`): InstanceRow {
  return { id, incarnation, host: 'test-host', version: '1.2.3' };
}

/**
 * The lease statements against a real engine (TEST_DATABASE_URL's PostgreSQL
 * server, or the embedded one): one owner per key whatever the interleaving,
 * expiry by the database clock, takeover and hand-over told apart.
 */
describe('lease statements', () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: PostgresLeaseStore;
  const a = instance('a');
  const b = instance('b');

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    store = new PostgresLeaseStore(db.kysely);
  });
  afterAll(async () => testDb?.drop());
  beforeEach(async () => {
    await sql`delete from connection_leases`.execute(db.kysely);
    await sql`delete from instances`.execute(db.kysely);
    await sql`delete from workspaces`.execute(db.kysely);
  });

  const addKeys = async (...keys: string[]): Promise<void> => {
    for (const key of keys) {
      await db.kysely.insertInto('workspaces').values({
        team_id: `T${key.replace(/\W/g, '').toUpperCase()}`, team_name: key, transport: 'rtm', bot_token_enc: 'sealed',
        bot_user_id: 'U1', connection_key: key,
      }).execute();
    }
  };
  /** Moves a lease's expiry into the past, as if its owner had stopped renewing long ago. */
  const expire = (key: string) => sql`update connection_leases set expires_at = now() - interval '1 second' where key = ${key}`.execute(db.kysely);
  const keysOf = (leases: ReadonlyArray<{ key: string }>) => leases.map((l) => l.key).sort();

  it('registers once per id: a second live process with the same id is refused, a stale one replaced', async () => {
    expect(await store.register(a, TTL_MS)).toBe(true);
    expect(await store.register(a, TTL_MS)).toBe(true); // the same process again: a heartbeat
    expect(await store.register(instance('a', 'a-2'), TTL_MS)).toBe(false);
    await sql`update instances set heartbeat_at = now() - interval '2 minutes' where id = 'a'`.execute(db.kysely);
    expect(await store.register(instance('a', 'a-2'), TTL_MS)).toBe(true);
    const renewed = await store.renew(a, TTL_MS); // the old process has lost its id: it renews nothing
    expect(renewed.isRegistered).toBe(false);
  });

  it('claims free keys, never a key another instance holds', async () => {
    await addKeys('rtm:T1', 'rtm:T2');
    const first = await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    expect(keysOf(first.owned)).toEqual(['rtm:T1', 'rtm:T2']);
    expect(first.claimed.map((c) => c.kind)).toEqual(['new', 'new']);
    expect(first.owned.every((l) => l.epoch === 1 && l.expiresInMs > TTL_MS - 5_000 && l.expiresInMs <= TTL_MS)).toBe(true);
    const second = await store.claim('b', ['rtm:T1', 'rtm:T2'], TTL_MS);
    expect(second).toEqual({ owned: [], claimed: [] });
  });

  it('lets exactly one of many concurrent claimants win each key', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `app:${String(i).padStart(32, '0')}`);
    await addKeys(...keys);
    const owners = ['a', 'b', 'c', 'd', 'e'];
    const results = await Promise.all(owners.flatMap((owner) => [0, 1].map(() => store.claim(owner, [...keys].reverse(), TTL_MS))));
    const winners = results.flatMap((result, i) => result.claimed.map((c) => [c.key, owners[Math.floor(i / 2)]]));
    expect(winners.map(([key]) => key).sort()).toEqual([...keys].sort()); // each key claimed exactly once
    const { rows } = await sql<{ key: string; owner: string; epoch: string }>`select key, owner, epoch from connection_leases`.execute(db.kysely);
    expect(rows).toHaveLength(40);
    for (const row of rows) expect([row.key, row.owner]).toEqual(winners.find(([key]) => key === row.key));
    expect(rows.every((row) => Number(row.epoch) === 1)).toBe(true);
  });

  it('renews all of an instance\'s leases and its heartbeat in one statement, and only its own', async () => {
    await addKeys('rtm:T1', 'rtm:T2', 'rtm:T3');
    await store.register(a, TTL_MS);
    await store.register(b, TTL_MS);
    await store.claim('a', ['rtm:T1', 'rtm:T2'], 1_000);
    await store.claim('b', ['rtm:T3'], 1_000);
    await sql`update instances set heartbeat_at = now() - interval '30 seconds'`.execute(db.kysely);
    const renewed = await store.renew(a, TTL_MS);
    expect(renewed.isRegistered).toBe(true);
    expect(keysOf(renewed.owned)).toEqual(['rtm:T1', 'rtm:T2']);
    expect(renewed.owned.every((l) => l.expiresInMs > 1_000)).toBe(true);
    const { rows } = await sql<{ id: string; age: number }>`select id, extract(epoch from now() - heartbeat_at)::float8 as age from instances order by id`.execute(db.kysely);
    expect(rows.map((r) => [r.id, r.age < 5])).toEqual([['a', true], ['b', false]]);
  });

  it('renews a lease that expired while nobody took it, but not one taken over meanwhile', async () => {
    await addKeys('rtm:T1', 'rtm:T2');
    await store.register(a, TTL_MS);
    await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    await expire('rtm:T1');
    await expire('rtm:T2');
    const taken = await store.claim('b', ['rtm:T2'], TTL_MS);
    expect(taken.claimed).toEqual([{ key: 'rtm:T2', kind: 'expired', from: 'a' }]);
    expect(taken.owned).toEqual([{ key: 'rtm:T2', epoch: 2, expiresInMs: expect.any(Number) }]);
    const renewed = await store.renew(a, TTL_MS);
    expect(renewed.owned).toEqual([{ key: 'rtm:T1', epoch: 1, expiresInMs: expect.any(Number) }]);
  });

  it('tells a hand-over from a takeover and bumps the epoch each time a key changes hands', async () => {
    await addKeys('rtm:T1');
    await store.claim('a', ['rtm:T1'], TTL_MS);
    expect(await store.release('a', ['rtm:T1'])).toEqual([]);
    const handed = await store.claim('b', ['rtm:T1'], TTL_MS);
    expect(handed.claimed).toEqual([{ key: 'rtm:T1', kind: 'handed_over', from: null }]);
    await expire('rtm:T1');
    const back = await store.claim('b', ['rtm:T1'], TTL_MS);
    expect(back.claimed).toEqual([{ key: 'rtm:T1', kind: 'reclaimed', from: 'b' }]);
    expect(back.owned).toEqual([{ key: 'rtm:T1', epoch: 3, expiresInMs: expect.any(Number) }]);
  });

  it('releases only its own keys, notifies the others, and resolves to what it still holds', async () => {
    await addKeys('rtm:T1', 'rtm:T2', 'rtm:T3');
    await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    await store.claim('b', ['rtm:T3'], TTL_MS);
    const heard: string[] = [];
    const unlisten = await db.listen('flotilla_leases', (payload) => heard.push(payload));
    try {
      const left = await store.release('a', ['rtm:T1', 'rtm:T3']);
      expect(keysOf(left)).toEqual(['rtm:T2']);
      const { rows } = await sql<{ key: string; owner: string | null }>`select key, owner from connection_leases order by key`.execute(db.kysely);
      expect(rows).toEqual([{ key: 'rtm:T1', owner: null }, { key: 'rtm:T2', owner: 'a' }, { key: 'rtm:T3', owner: 'b' }]);
      const deadline = Date.now() + 5_000;
      while (heard.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard).toEqual(['a']);
    } finally {
      await unlisten();
    }
  });

  it('counts live instances and keys, lists free keys (its own expired ones first) and orphans', async () => {
    await addKeys('rtm:T1', 'rtm:T2', 'rtm:T3', 'rtm:T4');
    await store.register(a, TTL_MS);
    await store.register(b, TTL_MS);
    await store.register(instance('dead'), TTL_MS);
    await sql`update instances set heartbeat_at = now() - interval '2 minutes' where id = 'dead'`.execute(db.kysely);
    await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    await store.claim('b', ['rtm:T3'], TTL_MS);
    await expire('rtm:T2');
    await sql`delete from workspaces where connection_key = 'rtm:T1'`.execute(db.kysely);
    const census = await store.census('a', TTL_MS, 10);
    expect(census).toEqual({
      liveInstances: 2, totalKeys: 3, minHeld: 1, freeKeys: ['rtm:T2', 'rtm:T4'], orphanKeys: ['rtm:T1'], nextExpiryMs: expect.any(Number),
    });
    expect(census.nextExpiryMs).toBeGreaterThan(TTL_MS - 5_000);
    expect((await store.census('a', TTL_MS, 1)).freeKeys).toEqual(['rtm:T2']);
  });

  it('leaves: releases everything and removes its instance row', async () => {
    await addKeys('rtm:T1', 'rtm:T2');
    await store.register(a, TTL_MS);
    await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    await store.leave(a);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from connection_leases where owner is not null`.execute(db.kysely);
    expect(rows[0]?.n).toBe(0);
    expect((await store.census('b', TTL_MS, 10)).freeKeys.sort()).toEqual(['rtm:T1', 'rtm:T2']);
    expect((await sql<{ n: number }>`select count(*)::int as n from instances`.execute(db.kysely)).rows[0]?.n).toBe(0);
  });
});
