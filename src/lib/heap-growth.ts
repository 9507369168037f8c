import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full collection
 * kept before it starts the next one: `percent` 100 means up to twice the live
 * heap; 0 leaves V8's own choice.
 *
 * Why: left to itself V8 aims at throughput, and for a daemon whose old
 * generation grows slowly it picks its smallest factor, 1.1 (seen with
 * `--trace-gc-verbose` at 1,000 workspaces and 200 mentions/s; 1.2–1.5 at
 * 1,000–2,000/s). With 45 MB live that is a full collection every ~10 s, and
 * each one holds the event loop for 40–60 ms of marking steps and its final
 * pause: the replies caught in it are the reply tail. With room to grow,
 * full collections come several times less often, for up to `percent` % more
 * heap between them.
 *
 * The setting is V8's `--heap-growing-percent`, read every time V8 sets its
 * next limit, so setting it at run time takes effect from the next full
 * collection on (a test checks this, since V8 documents run-time flag changes
 * as unsupported). Process-wide; never throws for a whole number 0–400.
 */
export function setHeapGrowthPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 400) {
    throw new RangeError(`heap growth must be a whole percent from 0 to 400, not ${percent}`);
  }
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}
