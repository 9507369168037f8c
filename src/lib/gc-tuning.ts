import { setFlagsFromString } from 'node:v8';

/** How the daemon's process asks V8 to collect garbage. */
export interface GcTuning {
  /**
   * How far the old generation may grow past what the last full collection
   * kept before the next one (%): 100 lets it reach twice the live heap; 0
   * leaves V8's own choice.
   */
  readonly heapGrowthPercent: number;
}

/**
 * Tunes V8's collector for a daemon that holds thousands of sockets and
 * answers each event in a millisecond: the reply tail is set by collections,
 * not by our code. Process-wide; call it once, before the daemon starts.
 * Throws RangeError for a growth that is not a whole percent from 0 to 400.
 *
 * 1. No allocation-site pretenuring. V8 counts, per object or array literal
 *    in the code, how many of its objects survive a young collection, and
 *    when most do it allocates that literal's objects straight in the old
 *    generation. In this daemon every socket, stream and worker is touched
 *    once every few seconds, so what one keeps "until the next event" survives
 *    a young collection, and V8 pretenured such sites in some runs and not in
 *    others. Then each event's fresh object is born old, holds that event's
 *    young buffers and data, and dies at the next event: a young collection
 *    cannot know an old object is dead, so all it holds is copied and promoted.
 *    Measured at 1,000 workspaces, 12,000 envelopes: 6.0–11.0 MB promoted with
 *    pretenuring, 3.3 MB without, every run; scavenge pauses 1.7–1.9 ms
 *    instead of 2.2–3.3 ms at the median.
 * 2. Room for the old generation. At a steady load V8 picks its smallest
 *    growth, 1.1× the live heap (1.2–1.5× at 1,000–2,000 mentions/s): with
 *    45 MB live a full collection every 10–20 s, each holding the event loop
 *    40–60 ms in marking steps and its final pause.
 *
 * Both are V8 flags read at each decision, so setting them at run time takes
 * effect from then on (V8 calls run-time changes unsupported: tests check it).
 */
export function tuneGarbageCollector(tuning: GcTuning): void {
  const percent = tuning.heapGrowthPercent;
  if (!Number.isInteger(percent) || percent < 0 || percent > 400) {
    throw new RangeError(`heap growth must be a whole percent from 0 to 400, not ${percent}`);
  }
  setFlagsFromString('--no-allocation-site-pretenuring');
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
