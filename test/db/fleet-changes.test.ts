import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { FleetRepository, type StatusRow } from '../../src/db/fleet-repository.js';
import { PostgresLeaseStore } from '../../src/db/lease-store.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const TTL_MS = 60_000;

/**
 * The live stream's read of what changed in the fleet, against a real
 * engine. "Long ago" is made by moving rows' times back (the database clock
 * cannot be moved): a read then finds only what changed after its cursor.
 */
describe('fleet changes since a cursor', () => {
  let testDb: TestDatabase;
  let db: Database;
  let store: PostgresLeaseStore;
  let fleetA: FleetRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    store = new PostgresLeaseStore(db.kysely);
    fleetA = new FleetRepository(db.kysely, 'a');
  });
  afterAll(async () => testDb?.drop());
  beforeEach(async () => {
    for (const table of ['workspace_status', 'connection_leases', 'workspace_removals', 'workspaces'] as const) {
      await sql`delete from ${sql.table(table)}`.execute(db.kysely);
    }
  });

  const addTeams = async (...teamIds: string[]): Promise<void> => {
    for (const teamId of teamIds) {
      await db.kysely.insertInto('workspaces').values({
        team_id: teamId, team_name: `Team ${teamId}`, transport: 'rtm', bot_token_enc: 'sealed', bot_user_id: 'U1', connection_key: `rtm:${teamId}`,
      }).execute();
    }
  };
  const status = (teamId: string, epoch: number, state = 'connected', restarts = 0): StatusRow => ({
    status: { teamId, teamName: `Team ${teamId}`, state, connectedSince: null, lastEventAt: null, restarts, lastError: null },
    connectionKey: `rtm:${teamId}`, epoch,
  });
  /** Everything happened a minute ago. */
  const ageEverything = async (): Promise<void> => {
    await sql`update workspace_status set updated_at = updated_at - interval '1 minute'`.execute(db.kysely);
    await sql`update connection_leases set acquired_at = acquired_at - interval '1 minute'`.execute(db.kysely);
    await sql`update workspace_removals set removed_at = removed_at - interval '1 minute'`.execute(db.kysely);
  };
  const teamsOf = (changes: { rows: ReadonlyArray<{ teamId: string }> }) => changes.rows.map((row) => row.teamId);

  it('starts a few seconds back, then returns only what changed after its cursor', async () => {
    await addTeams('T1', 'T2', 'T3');
    await store.claim('a', ['rtm:T1', 'rtm:T2'], TTL_MS);
    const first = await fleetA.changedSince(null);
    expect(first.rows).toEqual([
      { teamId: 'T1', teamName: 'Team T1', transport: 'rtm', owner: 'a', status: null },
      { teamId: 'T2', teamName: 'Team T2', transport: 'rtm', owner: 'a', status: null },
    ]);
    expect(first.removed).toEqual([]);
    await ageEverything();
    expect(teamsOf(await fleetA.changedSince(first.cursor))).toEqual([]);

    await fleetA.publish([status('T2', 1, 'backoff', 3)]);
    const second = await fleetA.changedSince(first.cursor);
    expect(second.rows).toEqual([{
      teamId: 'T2', teamName: 'Team T2', transport: 'rtm', owner: 'a',
      status: { teamName: 'Team T2', state: 'backoff', connectedSince: null, lastEventAt: null, restarts: 3, lastError: null },
    }]);
    const { rows: [clock] } = await sql<{ before: boolean }>`select ${second.cursor}::timestamptz <= now() as before`.execute(db.kysely);
    expect(clock?.before).toBe(true);
  });

  it('finds a lease that changed hands, was released or expired', async () => {
    await addTeams('T1', 'T2', 'T3');
    await store.claim('a', ['rtm:T1', 'rtm:T2', 'rtm:T3'], TTL_MS);
    await fleetA.publish([status('T1', 1), status('T2', 1), status('T3', 1)]);
    await ageEverything();
    const { cursor } = await fleetA.changedSince(null);
    await store.release('a', ['rtm:T1']);
    await store.claim('b', ['rtm:T1'], TTL_MS);
    await store.release('a', ['rtm:T2']);
    await sql`update connection_leases set expires_at = now() - interval '100 milliseconds' where key = 'rtm:T3'`.execute(db.kysely);
    const changes = await fleetA.changedSince(cursor);
    // T1 now b's, which has published nothing under its lease yet; T2 and T3 held by nobody.
    expect(changes.rows.map((row) => [row.teamId, row.owner, row.status])).toEqual([['T1', 'b', null], ['T2', null, null], ['T3', null, null]]);
  });

  it('reports removed teams, unless the team is back', async () => {
    await addTeams('T1', 'T2');
    const { cursor } = await fleetA.changedSince(null);
    for (const teamId of ['T1', 'T2']) {
      await db.kysely.deleteFrom('workspaces').where('team_id', '=', teamId).execute();
      await db.kysely.insertInto('workspace_removals').values({ team_id: teamId, team_name: teamId, reason: 'removed', actor: 'test' }).execute();
    }
    await addTeams('T2');
    const changes = await fleetA.changedSince(cursor);
    expect(changes.removed).toEqual(['T1']);
    await ageEverything();
    expect((await fleetA.changedSince(changes.cursor)).removed).toEqual([]);
  });

  it('still finds a write stamped just before its cursor but committed after the read (a second of slack)', async () => {
    await addTeams('T1');
    await store.claim('a', ['rtm:T1'], TTL_MS);
    await fleetA.publish([status('T1', 1, 'connecting')]);
    await ageEverything();
    const { cursor } = await fleetA.changedSince(null);
    // As a publish whose statement began 300 ms before that read and committed after it would look.
    await fleetA.publish([status('T1', 1, 'connected')]);
    await sql`update workspace_status set updated_at = ${cursor}::timestamptz - interval '300 milliseconds'`.execute(db.kysely);
    const changes = await fleetA.changedSince(cursor);
    expect(changes.rows.map((row) => [row.teamId, row.status?.state])).toEqual([['T1', 'connected']]);
  });
});
