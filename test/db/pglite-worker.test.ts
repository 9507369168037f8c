import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGliteInWorker } from '../../src/db/pglite-worker.js';
import { until } from '../support/until.js';

describe('PGliteInWorker: the embedded database in a worker thread', () => {
  let dir: string;
  let db: PGliteInWorker;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-pglite-worker-'));
    db = await PGliteInWorker.open(join(dir, 'pgdata'));
    await db.query('create table items (id bigint primary key, name text not null unique, at timestamptz not null default now())');
  });
  afterAll(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers queries with int8 as a string and dates as Date, and counts affected rows', async () => {
    const inserted = await db.query('insert into items (id, name) values ($1, $2), ($3, $4)', ['9007199254740993', 'a', 2, 'b']);
    expect(inserted.affectedRows).toBe(2);
    const { rows } = await db.query<{ id: string; name: string; at: Date }>('select id, name, at from items order by name');
    expect(rows.map((r) => [r.id, r.name])).toEqual([['9007199254740993', 'a'], ['2', 'b']]);
    expect(rows[0]?.at).toBeInstanceOf(Date);
  });

  it('rejects with the database error and its fields (code, constraint)', async () => {
    const error = await db.query('insert into items (id, name) values (3, $1)', ['a']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: '23505', constraint: 'items_name_key' });
    expect(String((error as Error).message)).toContain('duplicate key');
    // The worker is still serving.
    expect((await db.query<{ n: number }>('select 1 as n')).rows).toEqual([{ n: 1 }]);
  });

  it('delivers NOTIFY to a LISTEN until it is unlistened', async () => {
    const heard: string[] = [];
    const unlisten = await db.listen('changes', (payload) => heard.push(payload));
    await db.query("select pg_notify('changes', 'one')");
    await until(() => heard.length === 1, 2_000, 'the first notification');
    await unlisten();
    await db.query("select pg_notify('changes', 'two')");
    await db.query('select 1'); // a round trip after the NOTIFY: a delivery would have arrived by now
    expect(heard).toEqual(['one']);
  });

  it('refuses to open where there is no database directory, with PGlite\'s reason (its errno)', async () => {
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    await expect(PGliteInWorker.open(file)).rejects.toThrow(/^ErrnoError \(errno \d+\)$/);
  });

  it('after close, refuses queries with a clear message', async () => {
    const other = await PGliteInWorker.open(join(dir, 'other'));
    await other.close();
    expect(other.closed).toBe(true);
    await expect(other.query('select 1')).rejects.toThrow('the embedded database is closed');
  });
});
