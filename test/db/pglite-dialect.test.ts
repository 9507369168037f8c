import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Lets pending I/O and timers run a while, without a fixed sleep. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('PGliteDialect', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase({ kind: 'embedded' });
    db = await testDb.open();
    await sql`create table counters (id int primary key, value int not null)`.execute(db.kysely);
    await sql`create table items (name text primary key)`.execute(db.kysely);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('runs on PGlite and reports affected rows', async () => {
    expect(db.kind).toBe('embedded');
    const kysely = db.kysely.withTables<{ items: { name: string } }>();
    const inserted = await kysely.insertInto('items').values([{ name: 'a' }, { name: 'b' }]).executeTakeFirst();
    expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
    const updated = await kysely.updateTable('items').set({ name: 'c' }).where('name', '=', 'a').executeTakeFirst();
    expect(updated.numUpdatedRows).toBe(1n);
    const deleted = await kysely.deleteFrom('items').executeTakeFirst();
    expect(deleted.numDeletedRows).toBe(2n);
  });

  it('keeps other work out of an open transaction, even one that rolls back', async () => {
    const kysely = db.kysely.withTables<{ items: { name: string } }>();
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let isInside = false;
    const doomed = kysely.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ name: 'doomed' }).execute();
      isInside = true;
      await gate;
      throw new Error('roll back');
    });
    while (!isInside) await turns(1);

    const outside = kysely.insertInto('items').values({ name: 'outside' }).execute();
    const other = kysely.transaction().execute((trx) => trx.insertInto('items').values({ name: 'other' }).execute());
    let isOutsideDone = false;
    void outside.then(() => (isOutsideDone = true));
    await turns(20);
    expect(isOutsideDone).toBe(false);

    openGate();
    await expect(doomed).rejects.toThrow('roll back');
    await Promise.all([outside, other]);
    const names = await kysely.selectFrom('items').select('name').orderBy('name').execute();
    expect(names.map((row) => row.name)).toEqual(['other', 'outside']);
    await kysely.deleteFrom('items').execute();
  });

  it('serializes concurrent read-modify-write transactions (no lost updates)', async () => {
    const kysely = db.kysely.withTables<{ counters: { id: number; value: number } }>();
    await kysely.insertInto('counters').values({ id: 1, value: 0 }).execute();
    const increments = Array.from({ length: 25 }, () =>
      kysely.transaction().execute(async (trx) => {
        const { value } = await trx.selectFrom('counters').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
        await turns(1);
        await trx.updateTable('counters').set({ value: value + 1 }).where('id', '=', 1).execute();
      }),
    );
    const reads = Array.from({ length: 10 }, () => kysely.selectFrom('counters').selectAll().execute());
    await Promise.all([...increments, ...reads]);
    const row = await kysely.selectFrom('counters').select('value').where('id', '=', 1).executeTakeFirstOrThrow();
    expect(row.value).toBe(25);
  });

  it('supports controlled transactions with savepoints', async () => {
    const kysely = db.kysely.withTables<{ items: { name: string } }>();
    const trx = await kysely.startTransaction().execute();
    await trx.insertInto('items').values({ name: 'kept' }).execute();
    const inner = await trx.savepoint('inner').execute();
    await inner.insertInto('items').values({ name: 'undone' }).execute();
    await inner.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    const names = await kysely.selectFrom('items').select('name').execute();
    expect(names.map((row) => row.name)).toEqual(['kept']);
  });

  it('a failed statement releases the connection', async () => {
    await expect(sql`select * from no_such_table`.execute(db.kysely)).rejects.toThrow(/no_such_table/);
    expect(await db.ping()).toBe(true);
  });
});
