/**
 * The old generation's limits V8 set, in order, as `--trace-gc-verbose` prints
 * them after each full collection: the growth factor, and where in `trace` it is.
 */
export function heapLimits(trace: string): Array<{ readonly factor: string; readonly at: number }> {
  return [...trace.matchAll(/\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g)]
    .map((m) => ({ factor: m[1] as string, at: m.index ?? 0 }));
}
