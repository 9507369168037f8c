import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { ProcessedEvents } from '../../src/db/processed-events.js';
import { WorkspaceRepository } from '../../src/db/workspace-repository.js';
import { createLogger } from '../../src/lib/logger.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const BOT_TOKEN = 'xoxb-1111-2222-secretbot';
const APP_TOKEN = 'xapp-1-A1-3333-secretapp';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

describe('WorkspaceRepository', () => {
  let testDb: TestDatabase;
  let db: Database;
  let box: SecretBox;
  let repository: WorkspaceRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    box = new SecretBox(SecretBox.generateKey());
    repository = new WorkspaceRepository(db.kysely, box);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('stores many workspaces at once (a bulk import), updating a known team and keeping its domain', async () => {
    await repository.upsert({
      teamId: 'T900', teamName: 'Before', teamDomain: 'kept', connection: { transport: 'rtm' }, botToken: 'xoxb-900-old', botUserId: 'U0',
    });
    const inputs = Array.from({ length: 1_001 }, (_, i) => ({
      teamId: `T${900 + i}`, teamName: `Bulk ${i}`, connection: { transport: 'socket-mode', appToken: `xapp-1-A${i}-bulk` } as const,
      botToken: `xoxb-${900 + i}-bulk`, appId: `A${i}`, botUserId: `U${i}`, botId: null,
    }));
    await repository.upsertMany(inputs);
    const stored = await repository.getMany(inputs.map((input) => input.teamId));
    expect(stored).toHaveLength(1_001);
    expect(stored.find((w) => w.teamId === 'T900')).toMatchObject({
      teamName: 'Bulk 0', teamDomain: 'kept', botToken: 'xoxb-900-bulk', connection: { transport: 'socket-mode', appToken: 'xapp-1-A0-bulk' }, appId: 'A0',
    });
    expect(stored.find((w) => w.teamId === 'T1900')).toMatchObject({ teamName: 'Bulk 1000', teamDomain: null, botToken: 'xoxb-1900-bulk' });
    const raw = await sql<{ text: string }>`select string_agg(bot_token_enc || coalesce(app_token_enc, ''), ',') as text from workspaces where team_id like 'T%'`.execute(db.kysely);
    expect(raw.rows[0]!.text).not.toMatch(/xoxb-|xapp-/);
    await sql`delete from workspaces where team_id >= 'T900' and team_id <= 'T999' or team_id like 'T1___'`.execute(db.kysely);
  });

  it('stores tokens encrypted and reads them back', async () => {
    const created = await repository.upsert({
      teamId: 'T100',
      teamName: 'Acme',
      teamDomain: 'acme',
      connection: { transport: 'socket-mode', appToken: APP_TOKEN },
      botToken: BOT_TOKEN,
      appId: 'A1',
      botUserId: 'UBOT',
      botId: 'B1',
    });
    expect(created).toMatchObject({
      teamId: 'T100',
      teamName: 'Acme',
      teamDomain: 'acme',
      connection: { transport: 'socket-mode', appToken: APP_TOKEN },
      botToken: BOT_TOKEN,
      appId: 'A1',
      botUserId: 'UBOT',
      botId: 'B1',
      enabled: true,
      restartRequestedAt: null,
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(await repository.get('T100')).toEqual(created);

    const raw = await sql<{ bot_token_enc: string; app_token_enc: string }>`
      select bot_token_enc, app_token_enc from workspaces where team_id = 'T100'`.execute(db.kysely);
    const stored = JSON.stringify(raw.rows);
    expect(stored).not.toContain('secretbot');
    expect(stored).not.toContain('secretapp');
    expect(raw.rows[0]?.bot_token_enc).toMatch(/^v1:/);
  });

  it('updates on the same team, bumping updated_at and keeping omitted optional fields', async () => {
    const before = await repository.get('T100');
    const updated = await repository.upsert({
      teamId: 'T100',
      teamName: 'Acme Inc',
      connection: { transport: 'rtm' },
      botToken: 'xoxb-new',
      botUserId: 'UBOT',
    });
    expect(updated).toMatchObject({
      teamName: 'Acme Inc',
      teamDomain: 'acme',
      appId: 'A1',
      botId: 'B1',
      connection: { transport: 'rtm' },
      botToken: 'xoxb-new',
    });
    expect(updated.createdAt).toEqual(before?.createdAt);
    expect(updated.updatedAt.getTime()).toBeGreaterThan(before!.updatedAt.getTime());
    const raw = await db.kysely.selectFrom('workspaces').select('app_token_enc').where('team_id', '=', 'T100').executeTakeFirst();
    expect(raw?.app_token_enc).toBeNull();
  });

  it('refuses a socket-mode row without an app token at the database level', async () => {
    await expect(
      db.kysely
        .insertInto('workspaces')
        .values({ team_id: 'TBAD', team_name: 'x', transport: 'socket-mode', bot_token_enc: 'v1:x', bot_user_id: 'U' })
        .execute(),
    ).rejects.toThrow(/workspaces_socket_mode_has_app_token/);
  });

  it('lists, filters enabled, and skips rows it cannot decrypt with one log line naming the teams only', async () => {
    await repository.upsert({ teamId: 'T200', teamName: 'Beta', connection: { transport: 'rtm' }, botToken: 'xoxb-b', botUserId: 'U2' });
    await repository.setEnabled('T200', false);
    expect((await repository.list()).map((w) => w.teamId)).toEqual(['T100', 'T200']);
    expect((await repository.list({ enabledOnly: true })).map((w) => w.teamId)).toEqual(['T100']);

    const { logger, lines } = capturingLogger();
    const otherKey = new WorkspaceRepository(db.kysely, new SecretBox(SecretBox.generateKey()), logger);
    await repository.upsert({ teamId: 'T300', teamName: 'Gamma', connection: { transport: 'rtm' }, botToken: 'xoxb-c', botUserId: 'U3' });
    await db.kysely
      .updateTable('workspaces')
      .set({ bot_token_enc: new SecretBox(SecretBox.generateKey()).seal('xoxb-c') })
      .where('team_id', '=', 'T300')
      .execute();
    expect(await otherKey.list()).toEqual([]);
    expect(lines).toHaveLength(1); // one line for the three rows, naming the variable to check
    expect(lines[0]).toContain('"count":3');
    expect(lines[0]).toMatch(/"teamIds":\["T100","T200","T300"\]/);
    expect(lines[0]).toContain('FLOTILLA_ENCRYPTION_KEY');
    expect(lines.join('')).not.toContain('xoxb');

    const { logger: logger2, lines: lines2 } = capturingLogger();
    const rightKey = new WorkspaceRepository(db.kysely, box, logger2);
    expect((await rightKey.list()).map((w) => w.teamId)).toEqual(['T100', 'T200']);
    expect(lines2).toHaveLength(1);
    await expect(rightKey.get('T300')).rejects.toThrow(/wrong encryption key/);
  });

  it('requests restarts for one team or all', async () => {
    expect(await repository.requestRestart('T100')).toBe(1);
    expect((await repository.get('T100'))?.restartRequestedAt).toBeInstanceOf(Date);
    expect(await repository.requestRestart('TNONE')).toBe(0);
    expect(await repository.requestRestart('all')).toBe(3);
  });

  it('removes a workspace and records the removal in one transaction', async () => {
    expect(await repository.remove('T200', { reason: 'token_revoked', actor: 'slack' })).toBe(true);
    expect(await repository.get('T200')).toBeUndefined();
    expect(await repository.remove('T200', { reason: 'again', actor: 'cli' })).toBe(false);
    const removals = await repository.listRemovals('T200');
    expect(removals).toEqual([{ teamId: 'T200', teamName: 'Beta', reason: 'token_revoked', actor: 'slack', removedAt: expect.any(Date) }]);

    // If recording fails, the delete is undone too.
    await sql`alter table workspace_removals rename to workspace_removals_away`.execute(db.kysely);
    try {
      await expect(repository.remove('T100', { reason: 'x', actor: 'y' })).rejects.toThrow();
    } finally {
      await sql`alter table workspace_removals_away rename to workspace_removals`.execute(db.kysely);
    }
    expect(await repository.get('T100')).toBeDefined();

    await repository.remove('T100', { reason: 'admin', actor: 'cli' });
    expect((await repository.listRemovals()).map((r) => r.teamId)).toEqual(['T100', 'T200']);
  });

  it('lists versions without tokens and loads many by id, in chunks', async () => {
    const ids = Array.from({ length: 1_203 }, (_, i) => `TV${String(i).padStart(5, '0')}`);
    for (const teamId of ids.slice(0, 3)) {
      await repository.upsert({ teamId, teamName: teamId, connection: { transport: 'rtm' }, botToken: `${BOT_TOKEN}-${teamId}`, botUserId: 'UV' });
    }
    const versions = (await repository.listVersions()).filter((v) => v.teamId.startsWith('TV'));
    expect(versions).toHaveLength(3);
    expect(Object.keys(versions[0]!).sort()).toEqual(['connectionKey', 'restartRequestedAt', 'teamId', 'updatedAt']);
    expect(versions[0]!.connectionKey).toBe('rtm:TV00000');
    expect(versions[0]!.updatedAt).toBeInstanceOf(Date);
    const loaded = await repository.getMany(ids); // 1,203 ids: two chunks, most of them absent
    expect(loaded.map((r) => [r.teamId, r.botToken])).toEqual(ids.slice(0, 3).map((id) => [id, `${BOT_TOKEN}-${id}`]));
    await repository.setEnabled('TV00001', false);
    expect((await repository.listVersions({ enabledOnly: true })).map((v) => v.teamId)).not.toContain('TV00001');
  });

  it('keys each connection by a digest of its app token, never the token, and keys older rows once', async () => {
    const appToken = 'xapp-1-A0KEY-1-abcdef';
    const stored = await repository.upsert({ teamId: 'TK1', teamName: 'Keyed', connection: { transport: 'socket-mode', appToken }, botToken: `${BOT_TOKEN}-k`, botUserId: 'UK' });
    const key = (await repository.listVersions()).find((v) => v.teamId === 'TK1')?.connectionKey;
    expect(key).toMatch(/^app:[0-9a-f]{32}$/);
    expect(key).not.toContain(appToken.slice(5));
    expect(stored.connection).toEqual({ transport: 'socket-mode', appToken });
    // A row from before migration 0005 (or an older version): keyed on the next read, once, its version unchanged.
    await sql`update workspaces set connection_key = null where team_id = 'TK1'`.execute(db.kysely);
    const again = (await repository.listVersions()).find((v) => v.teamId === 'TK1');
    expect(again?.connectionKey).toBe(key);
    expect(again?.updatedAt).toEqual(stored.updatedAt);
    const { rows } = await sql<{ connection_key: string }>`select connection_key from workspaces where team_id = 'TK1'`.execute(db.kysely);
    expect(rows[0]?.connection_key).toBe(key);
  });

  it('leaves out, once reported, a Socket Mode row it cannot key because its tokens do not decrypt here', async () => {
    await repository.upsert({ teamId: 'TK2', teamName: 'Other key', connection: { transport: 'socket-mode', appToken: 'xapp-1-A0OTHER-1-ff' }, botToken: `${BOT_TOKEN}-o`, botUserId: 'UO' });
    await sql`update workspaces set connection_key = null where team_id = 'TK2'`.execute(db.kysely);
    const { logger, lines } = capturingLogger();
    const otherKey = new WorkspaceRepository(db.kysely, new SecretBox(SecretBox.generateKey()), logger);
    expect((await otherKey.listVersions()).map((v) => v.teamId)).not.toContain('TK2');
    expect((await otherKey.listVersions()).map((v) => v.teamId)).not.toContain('TK2');
    const reports = lines.filter((line) => line.includes('FLOTILLA_ENCRYPTION_KEY'));
    expect(reports.length).toBe(1);
    expect(reports[0]).toContain('TK2');
    const { rows } = await sql<{ connection_key: string | null; bot_token_enc: string }>`select connection_key, bot_token_enc from workspaces where team_id = 'TK2'`.execute(db.kysely);
    expect(rows[0]?.connection_key).toBeNull(); // left alone
    expect(rows[0]?.bot_token_enc).toMatch(/^v1:/);
  });
});

describe('ProcessedEvents', () => {
  let testDb: TestDatabase;
  let events: ProcessedEvents;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    events = new ProcessedEvents(db.kysely);
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('claims an event once per team, also under concurrency', async () => {
    expect(await events.claim('T1', 'Ev1')).toBe(true);
    expect(await events.claim('T1', 'Ev1')).toBe(false);
    expect(await events.claim('T2', 'Ev1')).toBe(true);
    const claims = await Promise.all(Array.from({ length: 10 }, () => events.claim('T1', 'Ev2')));
    expect(claims.filter(Boolean)).toHaveLength(1);
  });

  it('prunes claims older than a date', async () => {
    await db.kysely
      .updateTable('processed_events')
      .set({ processed_at: new Date('2020-01-01T00:00:00Z') })
      .where('event_id', '=', 'Ev1')
      .execute();
    expect(await events.prune(new Date('2021-01-01T00:00:00Z'))).toBe(2);
    expect(await events.prune(new Date('2021-01-01T00:00:00Z'))).toBe(0);
    expect(await events.claim('T1', 'Ev1')).toBe(true);
    expect(await events.claim('T1', 'Ev2')).toBe(false);
  });

  it('prunes a busy day in batches, every old claim and none of the new', async () => {
    await sql`insert into processed_events (team_id, event_id, processed_at)
      select 'T9', 'old:' || i, now() - interval '2 days' from generate_series(1, 25000) as i`.execute(db.kysely);
    await sql`insert into processed_events (team_id, event_id) select 'T9', 'new:' || i from generate_series(1, 10) as i`.execute(db.kysely);
    expect(await events.prune(new Date(Date.now() - 24 * 60 * 60_000))).toBe(25_000);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from processed_events where team_id = 'T9'`.execute(db.kysely);
    expect(rows[0]?.n).toBe(10);
  });
});
