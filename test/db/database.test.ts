import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

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
    expect(db.kind).toBe(testDb.url ? 'postgres' : 'embedded');
    expect(await migrateToLatest(db.kysely)).toEqual({ applied: [] });
    const tables = await db.kysely.introspection.getTables();
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['workspaces', 'workspace_removals', 'processed_events']),
    );
  });

  it('answers ping', async () => {
    expect(await db.ping()).toBe(true);
  });

  it('returns int8 as a string on both engines', async () => {
    const { rows } = await sql<{ n: unknown }>`select 5::int8 as n`.execute(db.kysely);
    expect(rows[0]?.n).toBe('5');
  });
});
