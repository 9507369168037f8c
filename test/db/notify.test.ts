import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WORKSPACES_CHANNEL, type Database } from '../../src/db/database.js';
import { WorkspaceRepository } from '../../src/db/workspace-repository.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

/** Resolves with the next `count` payloads received. */
function collect(count: number): { onNotify: (payload: string) => void; payloads: Promise<string[]> } {
  const received: string[] = [];
  let done!: (payloads: string[]) => void;
  const payloads = new Promise<string[]>((resolve) => {
    done = resolve;
  });
  return {
    onNotify: (payload) => {
      received.push(payload);
      if (received.length === count) done([...received]);
    },
    payloads,
  };
}

describe.each([
  ['configured engine', 'auto'],
  ['embedded', 'embedded'],
] as const)('NOTIFY on workspace changes (%s)', (_label, kind) => {
  let testDb: TestDatabase;
  let db: Database;
  let repository: WorkspaceRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase({ kind });
    db = await testDb.open();
    repository = new WorkspaceRepository(db.kysely, new SecretBox(SecretBox.generateKey()));
  });
  afterAll(async () => {
    await testDb?.drop();
  });

  it('reaches listen() for insert, update and delete, and stops after unsubscribe', async () => {
    const { onNotify, payloads } = collect(3);
    const unsubscribe = await db.listen(WORKSPACES_CHANNEL, onNotify);
    await repository.upsert({
      teamId: 'T1',
      teamName: 'One',
      connection: { transport: 'rtm' },
      botToken: 'xoxb-1',
      botUserId: 'U1',
    });
    await repository.requestRestart('T1');
    await repository.remove('T1', { reason: 'test', actor: 'jest' });
    expect(await payloads).toEqual(['T1', 'T1', 'T1']);

    await unsubscribe();
    await unsubscribe();
    const late: string[] = [];
    const other = collect(1);
    const unsubscribeOther = await db.listen(WORKSPACES_CHANNEL, other.onNotify);
    await db.listen(WORKSPACES_CHANNEL, (payload) => late.push(payload)).then((off) => off());
    await repository.upsert({
      teamId: 'T2',
      teamName: 'Two',
      connection: { transport: 'rtm' },
      botToken: 'xoxb-2',
      botUserId: 'U2',
    });
    expect(await other.payloads).toEqual(['T2']);
    expect(late).toEqual([]);
    await unsubscribeOther();
  });

  it('rejects channel names that are not plain identifiers', async () => {
    await expect(db.listen('bad; drop table workspaces', () => undefined)).rejects.toThrow(/channel/);
  });
});
