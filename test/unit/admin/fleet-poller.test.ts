import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { WorkspaceView } from '../../../src/admin/api-types.js';
import { FleetPoller, type FleetChanges } from '../../../src/admin/fleet-poller.js';
import { createLogger } from '../../../src/lib/logger.js';
import { until } from '../../support/until.js';

function row(teamId: string, state: WorkspaceView['state'] = 'connected', owner = 'b'): WorkspaceView {
  return { teamId, teamName: teamId, transport: 'socket-mode', state, connectedSince: null, lastEventAt: null, restarts: 0, lastError: null, owner };
}

/** A read double: each call waits for the test to answer it, and remembers the cursor it was given. */
class Reads {
  readonly cursors: Array<string | null> = [];
  readonly #pending: Array<{ resolve: (changes: FleetChanges) => void; reject: (error: Error) => void }> = [];
  readonly read = (cursor: string | null): Promise<FleetChanges> => {
    this.cursors.push(cursor);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  };

  async answer(changes: Partial<FleetChanges> & { cursor: string }): Promise<void> {
    await until(() => this.#pending.length > 0, 1_000, 'a read under way');
    this.#pending.shift()!.resolve({ rows: [], removed: [], ...changes });
    await new Promise((resolve) => setImmediate(resolve));
  }

  async fail(error: Error): Promise<void> {
    await until(() => this.#pending.length > 0, 1_000, 'a read under way');
    this.#pending.shift()!.reject(error);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function setUp(local: ReadonlySet<string> = new Set()) {
  const reads = new Reads();
  const delivered: Array<{ rows: string[]; removed: readonly string[] }> = [];
  const lines: Array<{ level: string; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(JSON.parse(chunk.toString('utf8')) as { level: string; msg: string });
      callback();
    },
  });
  const poller = new FleetPoller({
    read: reads.read, isLocal: (teamId) => local.has(teamId), logger: createLogger({ level: 'debug', destination }),
    deliver: (rows, removed) => delivered.push({ rows: rows.map((r) => `${r.teamId}:${r.state}`), removed }),
  });
  return { reads, delivered, lines, poller };
}

describe('FleetPoller', () => {
  it('reads one at a time, each from where the last ended', async () => {
    const { reads, poller } = setUp();
    poller.poll();
    poller.poll(); // a read is under way: nothing more
    expect(reads.cursors).toEqual([null]);
    await reads.answer({ cursor: 'c1' });
    poller.poll();
    await reads.answer({ cursor: 'c2' });
    poller.poll();
    expect(reads.cursors).toEqual([null, 'c1', 'c2']);
  });

  it('delivers what changed, not what the read before delivered unchanged', async () => {
    const { reads, delivered, poller } = setUp();
    poller.poll();
    await reads.answer({ cursor: 'c1', rows: [row('T1'), row('T2')], removed: ['T9'] });
    poller.poll();
    // Overlapping reads: T1 again unchanged, T2 changed, T3 new, T9 still removed.
    await reads.answer({ cursor: 'c2', rows: [row('T1'), row('T2', 'backoff'), row('T3')], removed: ['T9'] });
    poller.poll();
    await reads.answer({ cursor: 'c3', rows: [row('T3')] });
    expect(delivered).toEqual([
      { rows: ['T1:connected', 'T2:connected'], removed: ['T9'] },
      { rows: ['T2:backoff', 'T3:connected'], removed: [] },
    ]);
  });

  it('leaves rows running here to their events, except in the first read after a rewind', async () => {
    const { reads, delivered, poller } = setUp(new Set(['T1']));
    poller.poll();
    await reads.answer({ cursor: 'c1', rows: [row('T1', 'connected', 'a'), row('T2')] });
    poller.poll();
    await reads.answer({ cursor: 'c2', rows: [row('T1', 'backoff', 'a'), row('T2', 'backoff')] });
    poller.rewind(); // a client joined
    poller.poll();
    await reads.answer({ cursor: 'c3', rows: [row('T1', 'backoff', 'a'), row('T2', 'backoff')] });
    expect(reads.cursors).toEqual([null, 'c1', null]);
    expect(delivered).toEqual([
      { rows: ['T1:connected', 'T2:connected'], removed: [] },
      { rows: ['T2:backoff'], removed: [] },
      { rows: ['T1:backoff', 'T2:backoff'], removed: [] },
    ]);
  });

  it('logs a failing read once as a warning, retries from the same cursor, and says when it reads again', async () => {
    const { reads, delivered, lines, poller } = setUp();
    poller.poll();
    await reads.answer({ cursor: 'c1' });
    for (let i = 0; i < 3; i++) {
      poller.poll();
      await reads.fail(new Error('Query read timeout'));
    }
    poller.poll();
    await reads.answer({ cursor: 'c2', rows: [row('T1')] });
    expect(reads.cursors).toEqual([null, 'c1', 'c1', 'c1', 'c1']);
    expect(lines.map((line) => line.level)).toEqual(['warn', 'debug', 'debug', 'info']);
    expect(delivered).toEqual([{ rows: ['T1:connected'], removed: [] }]);
  });

  it('drops a read under way when stopped, and starts over a few seconds back', async () => {
    const { reads, delivered, poller } = setUp();
    poller.poll();
    await reads.answer({ cursor: 'c1' });
    poller.poll();
    poller.stop(); // the last client left
    await reads.answer({ cursor: 'c2', rows: [row('T1')] });
    poller.poll();
    await reads.answer({ cursor: 'c3' });
    expect(reads.cursors).toEqual([null, 'c1', null]);
    expect(delivered).toEqual([]);
  });
});
