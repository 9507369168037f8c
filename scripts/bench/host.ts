/** The host's own CPU accounting, read by the bench around each load step (Linux only). */
import { readFileSync } from 'node:fs';

/** Jiffies since boot, all CPUs: time stolen by the hypervisor and the total. */
export interface HostCpu { readonly steal: number; readonly total: number }

/** Reads the `cpu` line of /proc/stat; null where there is none (not Linux). */
export function hostCpu(): HostCpu | null {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return null;
    return { steal: fields[7] as number, total: fields.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}

/**
 * Share of all CPU time between two readings that the hypervisor gave to
 * other guests (%). On a shared VM this is what makes latency tails move
 * from run to run: a stolen slice stalls whichever process held it.
 */
export function stealPct(from: HostCpu | null, to: HostCpu | null): number | null {
  if (from === null || to === null || to.total <= from.total) return null;
  return Math.round(((to.steal - from.steal) / (to.total - from.total)) * 1000) / 10;
}
