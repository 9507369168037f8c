import { sleep } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { isRtmKey } from '../slack/connection-key.js';
import type { FleetEvents } from './fleet-events.js';
import { ShareBook } from './lease-plan.js';
import type { Census, ClaimKind, InstanceIdentity, Lease, LeaseStore } from './lease-store.js';
import { StatementQueue } from './statement-queue.js';
import type { Ownership } from './supervisor.js';

/** What the keeper drives: the supervisor. */
export interface LeaseHolder {
  /** Stops taking events on these connections at once and closes them (synchronous start; never throws). */
  fence(keys: ReadonlySet<string>): void;
  /** Stops the workers whose key is no longer held; resolves once their sockets are closed. */
  relinquish(): Promise<void>;
  /** Starts workers for keys newly held (reads the desired set). Never rejects. */
  reconcile(): Promise<void>;
}

export interface LeaseKeeperOptions {
  readonly store: LeaseStore;
  readonly me: InstanceIdentity;
  readonly ttlMs: number;
  /** Most keys claimed or released per tick: hand-overs are paced at about the connect rate. */
  readonly batch: number;
  /** No other instance can exist (the embedded database): a lease can never be taken, so never fence. */
  readonly isExclusive: boolean;
  readonly holder: LeaseHolder;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  /** Monotonic milliseconds (tests may move it). */
  readonly now?: () => number;
}

/**
 * How often leases are renewed (a fifth of the TTL: two renewals may fail
 * before the fencing deadline at half the TTL) and how long one statement
 * may take before it counts as failed.
 */
export function leaseTimings(ttlMs: number): { readonly renewEveryMs: number; readonly statementMs: number } {
  return {
    renewEveryMs: Math.max(100, Math.floor(ttlMs / 5)),
    statementMs: Math.max(500, Math.min(Math.floor(ttlMs / 4), 5_000)),
  };
}

/** How long a key this instance could not serve is left to the others. */
const REFUSE_MS = 10 * 60_000;
/** How long nobody releases after free keys lingered (the others are not taking them). */
const RELEASE_PAUSE_MS = 10 * 60_000;
const SWEEP_EVERY_TICKS = 60;
const POKE_DELAY_MS = 25;

/**
 * Holds this instance's share of the fleet's connections through leases.
 *
 * Each tick (a fifth of the TTL, sooner when woken): renew everything held
 * and heartbeat (one statement), look at the fleet (one), then give up the
 * excess over the fair share, a batch at a time, after closing those
 * connections, and claim free keys up to the share. Released keys are
 * NOTIFYed, and the others claim them at once; an expired lease is claimed by
 * the next tick of any instance, which wakes when it expires.
 *
 * Fencing: a lease is trusted locally until half the TTL after the statement
 * that last renewed it was sent. Past that deadline (database unreachable, or
 * this event loop stalled) its connections are closed at once, before the
 * lease can expire and another instance take it; renewal is still tried, and
 * a lease renewed in time is simply used again. An instance that was alone at
 * its last look keeps its Socket Mode sockets (no one to hand over to; two
 * sockets of one app never answer one event twice) and closes only RTM ones.
 */
export class LeaseKeeper implements Ownership {
  readonly #o: LeaseKeeperOptions;
  readonly #now: () => number;
  readonly #tickMs: number;
  #held = new Map<string, Lease>();
  readonly #fenced = new Set<string>();
  readonly #releasing = new Set<string>();
  readonly #book: ShareBook;
  #fenceAt = Number.POSITIVE_INFINITY;
  #fenceTimer: NodeJS.Timeout | undefined;
  #tickTimer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  readonly #statements: StatementQueue;
  /** A hand-over under way: its workers stopping, then the release. Ticks (renewals) go on meanwhile. */
  #handingOver: Promise<void> | undefined;
  #isAgain = false;
  #isStopped = false;
  #liveInstances = 1;
  #totalKeys = -1;
  #lastRenewAt: number | undefined;
  #downSince: number | undefined;
  #isIdentityLost = false;
  #ticks = 0;

  constructor(options: LeaseKeeperOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
    const timings = leaseTimings(options.ttlMs);
    this.#tickMs = timings.renewEveryMs;
    this.#statements = new StatementQueue(timings.statementMs, options.events, this.#now);
    this.#book = new ShareBook({ batch: options.batch, abandonedAfterMs: 2 * this.#tickMs, refuseMs: REFUSE_MS, pauseMs: RELEASE_PAUSE_MS });
  }

  holds(key: string | null): boolean {
    return key === null || (this.#held.has(key) && !this.#fenced.has(key) && !this.#releasing.has(key));
  }

  /** The fencing epoch of a held lease (undefined if not held). */
  epochOf(key: string): number | undefined {
    return this.#held.get(key)?.epoch;
  }

  get heldCount(): number { return this.#held.size; }
  get liveInstances(): number { return this.#liveInstances; }

  /** Milliseconds since the last successful heartbeat (null before the first). */
  heartbeatAgeMs(): number | null {
    return this.#lastRenewAt === undefined ? null : Math.round(this.#now() - this.#lastRenewAt);
  }

  noteDesiredKeys(count: number): void {
    if (count !== this.#totalKeys) this.poke();
  }

  cannotServe(key: string): void {
    if (this.#book.refuse(key, this.#now())) this.poke();
  }

  /** Registers (waiting up to twice the TTL for a stale process of the same id), then takes a first share. */
  async start(): Promise<void> {
    const deadline = this.#now() + 2 * this.#o.ttlMs + this.#tickMs;
    while (!(await this.#statements.run('register', () => this.#o.store.register(this.#o.me, this.#o.ttlMs)))) {
      if (this.#now() > deadline) {
        throw new Error(`FLOTILLA_INSTANCE_ID ${this.#o.me.id} is used by another running instance; give each instance its own id`);
      }
      this.#o.logger.warn({ instance: this.#o.me.id }, 'this instance id is in use by a live process: waiting for its heartbeat to go stale');
      await sleep(this.#tickMs);
    }
    this.#o.logger.info({ instance: this.#o.me.id, ttlMs: this.#o.ttlMs }, 'instance registered');
    await this.tick();
  }

  /** Runs a tick soon (debounced): a release was NOTIFYed, or a workspace changed. */
  poke(): void {
    if (this.#isStopped) return;
    this.#schedule(POKE_DELAY_MS);
  }

  /** Runs a tick now (or once more after the current one); resolves when done. Never rejects. */
  tick(): Promise<void> {
    if (this.#current) {
      this.#isAgain = true;
      return this.#current;
    }
    clearTimeout(this.#tickTimer);
    this.#current = (async () => {
      let next = this.#tickMs;
      do {
        this.#isAgain = false;
        next = await this.#tickOnce().catch((error: unknown) => this.#failed(error));
      } while (this.#isAgain && !this.#isStopped);
      return next;
    })().then((next) => {
      this.#current = undefined;
      this.#schedule(next);
    });
    return this.#current;
  }

  /** Stops ticking and releases everything (the supervisor has closed the sockets). Idempotent. */
  async stop(): Promise<void> {
    if (this.#isStopped) return;
    this.#isStopped = true;
    clearTimeout(this.#tickTimer);
    clearTimeout(this.#fenceTimer);
    await this.#current;
    await this.#handingOver;
    try {
      await this.#statements.run('leave', () => this.#o.store.leave(this.#o.me));
      this.#o.logger.info({ released: this.#held.size }, 'leases released');
    } catch (error) {
      this.#o.logger.warn({ error: errorMessage(error) }, 'could not release the leases: the other instances take them over when they expire');
    }
    this.#held = new Map();
  }

  /** One tick; resolves to the delay before the next. */
  async #tickOnce(): Promise<number> {
    const { value: renewed, sentAt: renewSentAt } = await this.#statements.sent('renew', () => this.#o.store.renew(this.#o.me, this.#o.ttlMs));
    this.#recovered(renewSentAt);
    if (!renewed.isRegistered && !this.#isIdentityLost) {
      this.#isIdentityLost = true;
      this.#o.logger.error({ instance: this.#o.me.id }, 'another process has taken this FLOTILLA_INSTANCE_ID: this one holds nothing');
    }
    this.#adopt(renewed.owned, renewSentAt);
    if (++this.#ticks % SWEEP_EVERY_TICKS === 0) await this.#statements.run('sweep', () => this.#o.store.sweep());
    const census = await this.#statements.run('census', () => this.#o.store.census(this.#o.me.id, this.#o.ttlMs, this.#o.batch * 2));
    this.#liveInstances = Math.max(1, census.liveInstances);
    this.#totalKeys = census.totalKeys;
    const claim = await this.#rebalance(census);
    // The next renewal a period after this one was sent, however long this tick took.
    let delayMs = renewSentAt + this.#tickMs - this.#now();
    // A full batch: more may wait. Fewer than asked: others took some meanwhile; what is left is free now.
    if (claim.got >= this.#o.batch) delayMs = Math.min(delayMs, this.#tickMs / 4);
    else if (claim.got < claim.asked) delayMs = Math.min(delayMs, POKE_DELAY_MS * 2);
    if (census.nextExpiryMs !== null) delayMs = Math.min(delayMs, census.nextExpiryMs + 25);
    return delayMs;
  }

  /** Gives up what must go, then claims up to the share; resolves to how many keys it asked for and got. */
  async #rebalance(census: Census): Promise<{ asked: number; got: number }> {
    const plan = this.#book.plan({ now: this.#now(), census, held: [...this.#held.keys()], releasing: this.#releasing });
    if (!this.#handingOver && plan.give.length > 0) this.#handOver(plan.give, plan.excess, plan.share);
    if (plan.claim.length === 0) return { asked: 0, got: 0 };
    const { value: result, sentAt } = await this.#statements.sent('claim', () => this.#o.store.claim(this.#o.me.id, plan.claim, this.#o.ttlMs));
    this.#reportClaims(result.claimed);
    this.#adopt(result.owned, sentAt);
    return { asked: plan.claim.length, got: result.claimed.length };
  }

  /**
   * Gives keys up without holding up the ticks: their workers stop first
   * (in-flight replies finish, sockets close), then one release statement
   * lets the others claim them at once.
   */
  #handOver(keys: readonly string[], forShare: number, share: number): void {
    for (const key of keys) this.#releasing.add(key);
    this.#handingOver = (async () => {
      try {
        await this.#o.holder.relinquish();
        const { value: left, sentAt } = await this.#statements.sent('release', () => this.#o.store.release(this.#o.me.id, keys));
        this.#book.noteReleased(keys, sentAt);
        this.#adopt(left, sentAt);
        this.#o.logger.info({ released: keys.length, forShare, share, held: left.length }, 'connections released for other instances');
      } catch (error) {
        this.#o.logger.warn({ error: errorMessage(error), keys: keys.length }, 'could not release connections; keeping them');
      } finally {
        for (const key of keys) this.#releasing.delete(key);
        this.#handingOver = undefined;
        // A failed release leaves the keys ours: run them again.
        if (keys.some((key) => this.#held.has(key))) void this.#o.holder.reconcile();
      }
    })();
  }

  /**
   * Takes the database's word for what is held (every lease statement answers
   * with all of it), moves the fencing deadline, closes what was lost, and
   * starts what was gained or may be used again.
   */
  #adopt(owned: readonly Lease[], sentAt: number): void {
    const before = this.#held;
    this.#held = new Map(owned.map((lease) => [lease.key, lease]));
    const lost = new Set([...before.keys()].filter((key) => !this.#held.has(key) && !this.#releasing.has(key) && !this.#fenced.has(key)));
    for (const key of [...this.#fenced]) if (!this.#held.has(key)) this.#fenced.delete(key);
    if (lost.size > 0) {
      this.#o.logger.warn({ lost: lost.size }, 'leases lost to other instances: closing those connections');
      this.#o.holder.fence(lost);
    }
    const minExpiresInMs = owned.reduce((min, lease) => Math.min(min, lease.expiresInMs), Number.POSITIVE_INFINITY);
    this.#fenceAt = sentAt + minExpiresInMs - this.#o.ttlMs / 2;
    if (!this.#o.isExclusive && this.#now() >= this.#fenceAt) {
      this.#fence(); // this answer came too late to trust (a stall after the statement was sent)
      return;
    }
    const gained = [...this.#held.keys()].some((key) => !before.has(key));
    const unfenced = this.#fenced.size > 0;
    this.#fenced.clear();
    this.#armFence();
    if (gained || unfenced) void this.#o.holder.reconcile();
  }

  #armFence(): void {
    clearTimeout(this.#fenceTimer);
    if (this.#o.isExclusive || this.#fenceAt === Number.POSITIVE_INFINITY || this.#isStopped) return;
    this.#fenceTimer = setTimeout(() => this.#fence(), Math.max(0, this.#fenceAt - this.#now()));
    this.#fenceTimer.unref();
  }

  /** Closes, at once, the connections whose leases may expire before the next renewal can land. */
  #fence(): void {
    if (this.#o.isExclusive || this.#isStopped) return;
    if (this.#now() < this.#fenceAt) return this.#armFence();
    const isAlone = this.#liveInstances <= 1;
    const scope = [...this.#held.keys()].filter((key) => !this.#fenced.has(key) && (!isAlone || isRtmKey(key)));
    if (scope.length === 0) return;
    for (const key of scope) this.#fenced.add(key);
    const sinceRenewMs = this.#lastRenewAt === undefined ? null : Math.round(this.#now() - this.#lastRenewAt);
    this.#o.logger.warn({ connections: scope.length, sinceRenewMs, ttlMs: this.#o.ttlMs, isAlone },
      'leases not renewed for half their TTL (database unreachable or event loop stalled): closing their connections before they can expire');
    this.#o.events.emit('lease:fenced', scope.length);
    this.#o.holder.fence(new Set(scope));
  }

  #reportClaims(claimed: ReadonlyArray<{ key: string; kind: ClaimKind; from: string | null }>): void {
    const byKind = new Map<ClaimKind, number>();
    for (const { kind } of claimed) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    for (const [kind, count] of byKind) this.#o.events.emit('lease:claimed', kind, count);
    if (claimed.length === 0) return;
    const from = [...new Set(claimed.filter((c) => c.kind === 'expired').map((c) => c.from))];
    this.#o.logger.info({ claimed: claimed.length, ...Object.fromEntries(byKind), ...(from.length > 0 ? { takenFrom: from } : {}) }, 'connections claimed');
  }

  #recovered(renewSentAt: number): void {
    this.#lastRenewAt = renewSentAt;
    if (this.#downSince === undefined) return;
    this.#o.logger.info({ downMs: Math.round(this.#now() - this.#downSince) }, 'database reachable again: leases renewed');
    this.#downSince = undefined;
  }

  /** A tick failed (the database, most likely): log once per outage; try again soon. */
  #failed(error: unknown): number {
    if (this.#downSince === undefined) {
      this.#downSince = this.#now();
      this.#o.logger.warn({ error: errorMessage(error) }, 'cannot renew leases: retrying (connections close at half the TTL without renewal)');
    }
    return this.#tickMs / 2;
  }

  #schedule(delayMs: number): void {
    if (this.#isStopped) return;
    if (this.#current) {
      if (delayMs <= POKE_DELAY_MS) this.#isAgain = true;
      return;
    }
    clearTimeout(this.#tickTimer);
    this.#tickTimer = setTimeout(() => void this.tick(), Math.max(0, delayMs));
    this.#tickTimer.unref();
  }
}
