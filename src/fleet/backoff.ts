/** Backoff bounds: 1 s → 5 min, full jitter. */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 300_000;
/** A connection up this long counts as healthy: its next failure starts the backoff over. */
export const HEALTHY_AFTER_MS = 60_000;

/**
 * Full jitter: uniform in [0, min(cap, base·2^attempt)). `attempt` counts from 0.
 * Randomness is injected so tests are exact.
 */
export function backoffDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceilingMs = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt));
  return Math.floor(random() * ceilingMs);
}
