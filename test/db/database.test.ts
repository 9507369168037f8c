import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { isDatabaseUnavailable } from '../../src/db/errors.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

describe('database', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('is migrated and migrating again applies nothing', async () => {
    expect(db.kind).toBe('postgres'); // a URL, whichever server it names
    expect(await migrateToLatest(db.kysely)).toEqual({ applied: [] });
    const tables = await db.kysely.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['workspaces', 'workspace_removals', 'processed_events']),
    );
  });

  it('answers ping', async () => {
    expect(await db.ping()).toBe(true);
  });

  it('returns int8 as a string', async () => {
    const { rows } = await sql<{ n: unknown }>`select 5::int8 as n`.execute(db.kysely);
    expect(rows[0]?.n).toBe('5');
  });
});

describe('openDatabase', () => {
  it('keeps data across a reopen, and close is idempotent', async () => {
    const testDb = await createTestDatabase({ kind: 'embedded' });
    try {
      const first = await testDb.open();
      await first.kysely.insertInto('processed_events').values({ team_id: 'T1', event_id: 'E1' }).execute();
      await first.close();
      await first.close();
      expect(await first.ping()).toBe(false);
      await expect(first.listen('x', () => undefined)).rejects.toThrow(/closed/);

      const second = await testDb.open();
      const rows = await second.kysely.selectFrom('processed_events').select('event_id').execute();
      expect(rows).toEqual([{ event_id: 'E1' }]);
    } finally {
      await testDb.drop();
    }
  });

  it('never puts the password of a URL in its errors', async () => {
    const { openDatabase } = await import('../../src/db/database.js');
    const { silentLogger } = await import('../../src/lib/logger.js');
    const attempt = openDatabase({ target: 'postgres://flotilla:hunter2-pw@127.0.0.1:1/flotilla', logger: silentLogger() });
    await expect(attempt).rejects.toThrow(/cannot connect to postgres:\/\/flotilla:\*\*\*@127\.0\.0\.1:1\/flotilla/);
    await attempt.catch((error: Error) => {
      expect(`${error.message} ${error.stack}`).not.toContain('hunter2');
    });
    await expect(
      openDatabase({ target: 'mysql://u:hunter2-pw@h/db', logger: silentLogger() }),
    ).rejects.toThrow(/must be a postgres:\/\/ URL \(got mysql:\/\/u:\*\*\*@h\/db\)/);
  });
});

describe('the time bound of every statement', () => {
  it('lets the server cancel a statement past 4 s: the database counts as unavailable, the connection stays usable', async () => {
    const testDb = await createTestDatabase();
    try {
      const db = await testDb.open();
      const startedAt = Date.now();
      const failure = await sql`select pg_sleep(30)`.execute(db.kysely).then(() => undefined, (error: unknown) => error);
      expect(Date.now() - startedAt).toBeLessThan(5_000); // the server's bound, before the client's
      expect((failure as { code?: string }).code).toBe('57014');
      expect(isDatabaseUnavailable(failure)).toBe(true);
      const { rows } = await sql<{ n: number }>`select 1 as n`.execute(db.kysely);
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await testDb.drop();
    }
  });

  it('gives up on a statement that gets no answer (a partition) within 5 s, closes its connection, and works once the link is back', async () => {
    const testDb = await createTestDatabase();
    const url = new URL(testDb.url);
    const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    try {
      const { openDatabase } = await import('../../src/db/database.js');
      const db = await openDatabase({ target: proxy.through(testDb.url), logger: silentLogger(), poolSize: 2 });
      try {
        let startedAt = 0;
        // In a transaction: the rollback after the unanswered statement must not wait another bound.
        const failure = await db.kysely.transaction().execute(async (trx) => {
          await sql`select 1`.execute(trx);
          await proxy.cut('blackhole');
          startedAt = Date.now();
          await sql`select 2`.execute(trx);
        }).then(() => undefined, (error: unknown) => error);
        const tookMs = Date.now() - startedAt;
        expect(isDatabaseUnavailable(failure)).toBe(true);
        expect(tookMs).toBeGreaterThanOrEqual(4_900);
        expect(tookMs).toBeLessThan(9_000);
        await proxy.restore();
        const { rows } = await sql<{ n: number }>`select 2 as n`.execute(db.kysely);
        expect(rows).toEqual([{ n: 2 }]);
      } finally {
        await db.close();
      }
    } finally {
      await proxy.close();
      await testDb.drop();
    }
  });
});

describe('the LISTEN connection', () => {
  it('reconnects after its connection is killed, says so, and keeps delivering', async () => {
    const testDb = await createTestDatabase();
    try {
      const db = await testDb.open();
      const received: string[] = [];
      let restored = 0;
      await db.listen('flotilla_test_channel', (payload) => received.push(payload), () => { restored += 1; });
      const listenerPids = async (): Promise<number[]> => {
        const { rows } = await sql<{ pid: number }>`
          select pid from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and query ilike 'listen%'`.execute(db.kysely);
        return rows.map((row) => row.pid);
      };
      const [pid] = await listenerPids();
      expect(pid).toBeDefined();
      await sql`select pg_terminate_backend(${pid})`.execute(db.kysely);
      await until(async () => {
        const pids = await listenerPids();
        return pids.length === 1 && pids[0] !== pid;
      });
      await sql`select pg_notify('flotilla_test_channel', 'after')`.execute(db.kysely);
      await until(async () => received.includes('after'));
      expect(restored).toBe(1); // told, so it can catch up on what was notified while it was away
    } finally {
      await testDb.drop();
    }
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
