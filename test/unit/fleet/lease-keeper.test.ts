import { afterEach, describe, expect, it } from '@jest/globals';
import type { FleetEvents } from '../../../src/fleet/fleet-events.js';
import { LeaseKeeper, type LeaseHolder } from '../../../src/fleet/lease-keeper.js';
import type { Census, ClaimResult, InstanceIdentity, Lease, LeaseStore, RenewResult } from '../../../src/fleet/lease-store.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { SafeEmitter } from '../../../src/lib/typed-events.js';
import { until } from '../../support/until.js';

/**
 * A lease store in memory, keeping the rules of the real one (one owner, an
 * expiry), whose answers can be held back (a database out of reach) or
 * delayed on the clock (an event loop stalled after sending).
 */
class MemoryStore implements LeaseStore {
  readonly leases = new Map<string, { owner: string | null; epoch: number; expiresAt: number }>();
  keys: string[] = [];
  live = 1;
  isHanging = false;
  /** Runs after a statement is sent and before it answers. */
  stall: (() => void) | undefined;

  constructor(private readonly now: () => number) {}

  async register(): Promise<boolean> { return this.#answer(true); }
  async sweep(): Promise<void> { return this.#answer(undefined); }
  async leave(me: InstanceIdentity): Promise<void> {
    for (const lease of this.leases.values()) if (lease.owner === me.id) lease.owner = null;
    return this.#answer(undefined);
  }

  async renew(me: InstanceIdentity, ttlMs: number): Promise<RenewResult> {
    for (const lease of this.leases.values()) if (lease.owner === me.id) lease.expiresAt = this.now() + ttlMs;
    return this.#answer({ isRegistered: true, owned: this.#owned(me.id) });
  }

  async census(owner: string): Promise<Census> {
    const free = this.keys.filter((key) => { const l = this.leases.get(key); return !l || l.owner === null || l.expiresAt <= this.now(); });
    return this.#answer({ liveInstances: this.live, totalKeys: this.keys.length, minHeld: 0, freeKeys: free, orphanKeys: [], nextExpiryMs: null, ...{ owner } } as Census);
  }

  async claim(owner: string, keys: readonly string[], ttlMs: number): Promise<ClaimResult> {
    const claimed: ClaimResult['claimed'][number][] = [];
    for (const key of keys) {
      const lease = this.leases.get(key);
      if (lease && lease.owner !== null && lease.expiresAt > this.now()) continue;
      this.leases.set(key, { owner, epoch: (lease?.epoch ?? 0) + 1, expiresAt: this.now() + ttlMs });
      claimed.push({ key, kind: lease ? 'expired' : 'new', from: lease?.owner ?? null });
    }
    return this.#answer({ owned: this.#owned(owner), claimed });
  }

  async release(owner: string, keys: readonly string[]): Promise<readonly Lease[]> {
    for (const key of keys) { const l = this.leases.get(key); if (l?.owner === owner) l.owner = null; }
    return this.#answer(this.#owned(owner));
  }

  #owned(owner: string): Lease[] {
    return [...this.leases].filter(([, l]) => l.owner === owner && l.expiresAt > this.now())
      .map(([key, l]) => ({ key, epoch: l.epoch, expiresInMs: l.expiresAt - this.now() }));
  }

  async #answer<T>(value: T): Promise<T> {
    if (this.isHanging) return new Promise<T>(() => undefined);
    this.stall?.();
    return value;
  }
}

class RecordingHolder implements LeaseHolder {
  readonly fenced: string[][] = [];
  reconciles = 0;
  relinquished = 0;
  fence(keys: ReadonlySet<string>): void { this.fenced.push([...keys].sort()); }
  async relinquish(): Promise<void> { this.relinquished += 1; }
  async reconcile(): Promise<void> { this.reconciles += 1; }
}

const TTL_MS = 600;
const me: InstanceIdentity = { id: 'me', incarnation: 'one', host: 'h', version: 'v' };

describe('LeaseKeeper', () => {
  let keeper: LeaseKeeper | undefined;
  let skewMs = 0;
  const now = (): number => performance.now() + skewMs;
  afterEach(async () => {
    await keeper?.stop();
    keeper = undefined;
    skewMs = 0;
  });

  let renewals = 0;
  const start = async (store: MemoryStore, holder: RecordingHolder, isExclusive = false): Promise<LeaseKeeper> => {
    const events = new SafeEmitter<FleetEvents>();
    renewals = 0;
    events.on('coordination:statement', (kind) => { if (kind === 'renew') renewals += 1; });
    keeper = new LeaseKeeper({ store, me, ttlMs: TTL_MS, batch: 100, isExclusive, holder, events, logger: silentLogger(), now });
    await keeper.start();
    return keeper;
  };

  it('takes its share and starts what it gained', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a', 'rtm:T1'];
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    expect(k.heldCount).toBe(2);
    expect(k.holds('app:a') && k.holds('rtm:T1') && k.holds(null)).toBe(true);
    expect(k.holds('app:other')).toBe(false);
    expect(holder.reconciles).toBeGreaterThan(0);
    expect(k.epochOf('app:a')).toBe(1);
  });

  it('closes every connection at half the TTL when renewals stop answering, then uses them again once renewed in time', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a', 'rtm:T1', 'app:x', 'app:y'];
    store.live = 2; // not alone: the other would take them over
    for (const key of ['app:x', 'app:y']) store.leases.set(key, { owner: 'other', epoch: 1, expiresAt: now() + 3_600_000 });
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    store.isHanging = true;
    await until(() => holder.fenced.length === 1, 5_000, 'fenced');
    expect(holder.fenced[0]).toEqual(['app:a', 'rtm:T1']);
    expect(k.holds('app:a')).toBe(false);
    const reconcilesBefore = holder.reconciles;
    store.isHanging = false;
    await k.tick(); // renewed before anyone could take them: used again
    expect(k.holds('app:a') && k.holds('rtm:T1')).toBe(true);
    expect(holder.reconciles).toBeGreaterThan(reconcilesBefore);
  });

  it('alone, keeps its Socket Mode sockets and closes only RTM ones', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a', 'rtm:T1'];
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    store.isHanging = true;
    await until(() => holder.fenced.length === 1, 5_000, 'fenced');
    expect(holder.fenced[0]).toEqual(['rtm:T1']);
    expect(k.holds('app:a')).toBe(true);
  });

  it('never fences on the embedded database, where no other instance can exist', async () => {
    const store = new MemoryStore(now);
    store.keys = ['rtm:T1'];
    store.live = 2;
    const holder = new RecordingHolder();
    const k = await start(store, holder, true);
    store.isHanging = true;
    const since = now();
    const tried = renewals;
    // Renewals go on failing, each bounded in time: past the deadline with no fencing.
    await until(() => renewals >= tried + 3 && now() - since > TTL_MS, 10_000, 'renewals tried past the deadline');
    expect(holder.fenced).toEqual([]);
    expect(k.holds('rtm:T1')).toBe(true);
  });

  it('distrusts an answer that comes after its deadline (an event loop stalled once the renewal was sent)', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a'];
    store.live = 2;
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    store.stall = () => { skewMs += TTL_MS; }; // the clock jumps between sending and the answer
    await k.tick();
    expect(holder.fenced[0]).toEqual(['app:a']);
    expect(k.holds('app:a')).toBe(false);
  });

  it('closes at once what another instance took over', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a', 'app:b'];
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    store.leases.get('app:b')!.owner = 'other';
    await k.tick();
    expect(holder.fenced).toContainEqual(['app:b']);
    expect(k.holds('app:b')).toBe(false);
    expect(k.holds('app:a')).toBe(true);
  });

  it('stops the workers before it releases their connections for a joiner', async () => {
    const store = new MemoryStore(now);
    store.keys = ['app:a', 'app:b', 'app:c', 'app:d'];
    const holder = new RecordingHolder();
    const k = await start(store, holder);
    store.live = 2;
    const order: string[] = [];
    holder.relinquish = async () => { order.push(`relinquish: ${k.heldCount} held, ${['app:a', 'app:b', 'app:c', 'app:d'].filter((key) => k.holds(key)).length} usable`); };
    const release = store.release.bind(store);
    store.release = async (owner, keys) => { order.push(`release ${keys.length}`); return release(owner, keys); };
    await k.tick();
    await until(() => k.heldCount === 2, 5_000, 'two released');
    expect(order).toEqual(['relinquish: 4 held, 2 usable', 'release 2']);
  });
});
