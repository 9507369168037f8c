/** What one instance knows at one tick, to decide its share. */
export interface PlanInput {
  /** Leases this instance holds now. */
  readonly held: number;
  /** Live instances, this one included (at least 1). */
  readonly liveInstances: number;
  /** Distinct connection keys of the fleet. */
  readonly totalKeys: number;
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
  const release = isPaused ? 0 : Math.max(0, Math.min(input.held - share, batch));
  return { share, claim, release };
}
