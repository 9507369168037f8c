import type { Census } from './lease-store.js';

/** What one instance knows at one tick, to decide its share. */
export interface PlanInput {
  /** Leases this instance holds now. */
  readonly held: number;
  /** Live instances, this one included (at least 1). */
  readonly liveInstances: number;
  /** Distinct connection keys of the fleet. */
  readonly totalKeys: number;
  /** The fewest leases a live instance holds. */
  readonly minHeld: number;
  /** Keys nobody holds that this instance may take, its own expired ones first. */
  readonly freeKeys: readonly string[];
  /** Those of `freeKeys` free for a while (two ticks): nobody else is taking them. */
  readonly staleKeys: readonly string[];
  /** Most keys taken or given up in one tick: hand-overs are paced. */
  readonly batch: number;
  /** No giving up keys now (what was given lately lay abandoned: the others do not take it). */
  readonly isReleasePaused: boolean;
}

export interface LeasePlan {
  /** The fair share: ceil(keys / live instances). */
  readonly share: number;
  /** Keys to claim now. */
  readonly claim: readonly string[];
  /** How many held keys to give up now, for an instance below its share to take. */
  readonly release: number;
}

/**
 * Fair shares without a leader: every instance aims at ceil(N / live
 * instances). Below it, an instance claims free keys up to its share; above
 * it, it releases the excess, a batch per tick, and the instances below take
 * them (a joiner takes its share from the most loaded, who alone are above).
 * While some instance holds less than floor(N / live), those above the floor
 * give down to it, so every share ends between floor and ceil.
 * Keys left free for a while are taken by anyone, share or not (an instance
 * that cannot serve them must not leave them unserved), and while that
 * happens nobody releases, so the shares do not churn.
 */
export function planLeases(input: PlanInput): LeasePlan {
  const share = Math.ceil(input.totalKeys / Math.max(1, input.liveInstances));
  const batch = Math.max(1, input.batch);
  const claim = input.freeKeys.slice(0, Math.max(0, Math.min(share - input.held, batch)));
  const taken = new Set(claim);
  for (const key of input.staleKeys) {
    if (claim.length >= batch) break;
    if (!taken.has(key)) claim.push(key);
  }
  const isPaused = input.isReleasePaused || input.staleKeys.length > 0;
  const floor = Math.floor(input.totalKeys / Math.max(1, input.liveInstances));
  const target = input.minHeld < floor ? floor : share;
  const release = isPaused ? 0 : Math.max(0, Math.min(input.held - target, batch));
  return { share, claim, release };
}

export interface ShareBookOptions {
  /** Most keys taken or given up in one tick. */
  readonly batch: number;
  /** A key free this long is abandoned: anyone takes it, share or not. */
  readonly abandonedAfterMs: number;
  /** How long a key this instance cannot serve is left to the others. */
  readonly refuseMs: number;
  /** How long nobody gives up keys after what was given lay abandoned. */
  readonly pauseMs: number;
}

/** One tick's decision. */
export interface SharePlan {
  readonly share: number;
  readonly claim: readonly string[];
  /** Held keys to give up now: those no workspace uses or this instance cannot serve, then the excess. */
  readonly give: readonly string[];
  /** How many of `give` are excess over the share. */
  readonly excess: number;
}

/**
 * What one instance remembers between ticks to decide its share: keys it
 * cannot serve (their tokens do not decrypt here), since when keys have lain
 * free, and what it gave up lately (if that lies abandoned, the others are
 * not taking what is given: stop giving, or the shares churn forever).
 */
export class ShareBook {
  readonly #refused = new Map<string, number>();
  readonly #releasedAt = new Map<string, number>();
  #freeSince = new Map<string, number>();
  #pausedUntil = 0;

  constructor(private readonly options: ShareBookOptions) {}

  /** Leaves `key` to the others for a while; false if it already was. */
  refuse(key: string, now: number): boolean {
    if (this.#refused.has(key)) return false;
    this.#refused.set(key, now + this.options.refuseMs);
    return true;
  }

  noteReleased(keys: readonly string[], at: number): void {
    for (const key of keys) this.#releasedAt.set(key, at);
  }

  plan(input: {
    readonly now: number;
    readonly census: Pick<Census, 'liveInstances' | 'totalKeys' | 'minHeld' | 'freeKeys' | 'orphanKeys'>;
    readonly held: readonly string[];
    /** Held keys already on their way out. */
    readonly releasing: ReadonlySet<string>;
  }): SharePlan {
    const { now, census } = input;
    for (const [key, until] of this.#refused) if (until <= now) this.#refused.delete(key);
    for (const [key, at] of this.#releasedAt) if (at <= now - this.options.pauseMs) this.#releasedAt.delete(key);
    const free = census.freeKeys.filter((key) => !this.#refused.has(key));
    this.#freeSince = new Map(free.map((key) => [key, this.#freeSince.get(key) ?? now]));
    const stale = free.filter((key) => now - (this.#freeSince.get(key) as number) >= this.options.abandonedAfterMs);
    if (stale.some((key) => this.#releasedAt.has(key))) this.#pausedUntil = now + this.options.pauseMs;
    const orphans = new Set(census.orphanKeys);
    const mustGo = input.held.filter((key) => !input.releasing.has(key) && (orphans.has(key) || this.#refused.has(key)));
    const staying = input.held.filter((key) => !input.releasing.has(key) && !orphans.has(key) && !this.#refused.has(key));
    const plan = planLeases({
      held: staying.length, liveInstances: census.liveInstances, totalKeys: census.totalKeys, minHeld: census.minHeld, freeKeys: free,
      staleKeys: stale, batch: this.options.batch, isReleasePaused: now < this.#pausedUntil,
    });
    const excess = staying.reverse().slice(0, plan.release);
    return { share: plan.share, claim: plan.claim, give: [...mustGo, ...excess], excess: excess.length };
  }
}
