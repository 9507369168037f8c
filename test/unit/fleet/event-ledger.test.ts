import { describe, expect, it } from '@jest/globals';
import { EventLedger, type ProcessedStore } from '../../../src/fleet/event-ledger.js';
import { silentLogger } from '../../../src/lib/logger.js';

/** A store double that keeps what it is given, as the real table would (first claim wins). */
class MemoryStore implements ProcessedStore {
  readonly statements: number[] = [];
  readonly keys = new Set<string>();
  async claim(teamId: string, key: string): Promise<boolean> {
    const id = `${teamId}/${key}`;
    if (this.keys.has(id)) return false;
    this.keys.add(id);
    return true;
  }
  async recordMany(rows: ReadonlyArray<{ teamId: string; eventId: string }>): Promise<void> {
    this.statements.push(rows.length);
    for (const row of rows) this.keys.add(`${row.teamId}/${row.eventId}`);
  }
}

describe('EventLedger', () => {
  it('writes first deliveries in small statements, all of them', async () => {
    const store = new MemoryStore();
    const ledger = new EventLedger(store, silentLogger());
    for (let i = 0; i < 70; i++) ledger.record('T1', `C1:${i}`);
    expect(store.statements).toEqual([]); // nothing on the reply path
    await ledger.flush();
    expect(store.statements).toEqual([32, 32, 6]);
    expect(store.keys.size).toBe(70);
  });

  it('makes a redelivery wait for pending writes, so it sees a key recorded just before', async () => {
    const store = new MemoryStore();
    const ledger = new EventLedger(store, silentLogger());
    ledger.record('T1', 'C1:1');
    expect(await ledger.claim('T1', 'C1:1')).toBe(false);
    expect(await ledger.claim('T1', 'C1:2')).toBe(true);
  });

  it('logs and carries on when a write fails', async () => {
    const store = new MemoryStore();
    store.recordMany = async () => { throw new Error('database down'); };
    const ledger = new EventLedger(store, silentLogger());
    ledger.record('T1', 'C1:1');
    await expect(ledger.flush()).resolves.toBeUndefined();
  });
});
