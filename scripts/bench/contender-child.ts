/**
 * One contender in a process of its own, driven over IPC by the bench. Run with `--expose-gc`
 * so memory is read after a forced collection.
 *
 *   fork('contender-child.js', ['--kind', 'flotilla|bolt|floor', '--connect-rate', '1000'], { execArgv: ['--expose-gc'] })
 */
import { constants, monitorEventLoopDelay, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Contender, ContenderName, HttpContenderName } from './contenders/contender.js';
import type { BenchWorkspace } from './emulator-child.js';
import { serve } from './ipc.js';

const { values } = parseArgs({ options: { kind: { type: 'string' }, 'connect-rate': { type: 'string', default: '1000' } } });

/** Imports only the contender asked for, so an empty process of one kind loads nothing of the others. `http-…`: the HTTP mode's. */
async function create(kind: ContenderName | `http-${HttpContenderName}`): Promise<Contender> {
  switch (kind) {
    case 'http-flotilla': return new (await import('./http-contenders/flotilla.js')).HttpFlotillaContender(Number(values['connect-rate']));
    case 'http-bolt': return new (await import('./http-contenders/bolt.js')).HttpBoltContender();
    case 'http-floor': return new (await import('./http-contenders/floor.js')).HttpFloorContender();
    case 'flotilla': return new (await import('./contenders/flotilla.js')).FlotillaContender(Number(values['connect-rate']));
    case 'bolt': return new (await import('./contenders/bolt.js')).BoltContender();
    case 'floor': return new (await import('./contenders/floor.js')).FloorContender();
    case 'flotilla-before': {
      const url = pathToFileURL(join(process.env['BENCH_BEFORE_DIR'] ?? '.', 'dist', 'scripts', 'bench', 'contenders', 'flotilla.js')).href;
      return new ((await import(url)) as typeof import('./contenders/flotilla.js')).FlotillaContender(Number(values['connect-rate']));
    }
  }
}

const contender = await create(values.kind as ContenderName | `http-${HttpContenderName}`);
const gc = (globalThis as { gc?: () => void }).gc;
/** How late the event loop ran (blocking, GC pauses): the bot's share of a latency tail. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
/** Garbage-collection pauses since the last reset: how much of the loop delay is the collector's. */
const gcPauses = { minor: [] as number[], major: [] as number[] };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as Array<PerformanceEntry & { detail?: { kind?: number } }>) {
    const major = entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MINOR;
    (major ? gcPauses.major : gcPauses.minor).push(entry.duration);
  }
}).observe({ entryTypes: ['gc'] });

/** The highest RSS and heap seen since the last reset, sampled every 50 ms: what a load step costs in memory at its peak. */
const peak = { rss: 0, heapUsed: 0 };
setInterval(() => {
  const now = process.memoryUsage();
  peak.rss = Math.max(peak.rss, now.rss);
  peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
}, 50).unref();

/** RSS and heap after a forced collection and a short settle. */
async function settledMemory(settleMs: number): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, settleMs / 3));
  }
  gc?.();
  return process.memoryUsage();
}

/**
 * Sampling heap profiler over the inspector. `all`: every allocation of the load, collected or not
 * (where the garbage comes from); `promoted`: only what outlived the young generation (what makes
 * scavenges slow and the old generation grow).
 */
let inspector: Session | undefined;
async function heapProfile(arg: { action: 'start'; keep: 'all' | 'promoted' } | { action: 'stop'; file: string }): Promise<null> {
  if (arg.action === 'start') {
    inspector = new Session();
    inspector.connect();
    await inspector.post('HeapProfiler.startSampling', {
      samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: arg.keep === 'all',
    });
    return null;
  }
  if (!inspector) return null;
  (gc as ((options: { type: 'minor' }) => void) | undefined)?.({ type: 'minor' }); // young garbage is not counted as live
  const { profile } = await inspector.post('HeapProfiler.stopSampling');
  await writeFile(arg.file, JSON.stringify(profile));
  inspector.disconnect();
  inspector = undefined;
  return null;
}

serve({
  init: async (arg) => contender.init((arg as { apiUrl: string }).apiUrl),
  prepare: async (arg) => contender.prepare((arg as { workspaces: BenchWorkspace[] }).workspaces),
  connect: async () => contender.connect(),
  connectedCount: () => contender.connectedCount(),
  memory: async (arg) => settledMemory((arg as { settleMs?: number } | undefined)?.settleMs ?? 1_500),
  cpu: () => process.cpuUsage(),
  loopDelay: (arg) => {
    const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
    const pauses = (list: number[]): { count: number; totalMs: number; maxMs: number } => ({
      count: list.length,
      totalMs: Math.round(list.reduce((a, b) => a + b, 0) * 100) / 100,
      maxMs: Math.round(Math.max(0, ...list) * 100) / 100,
    });
    const read = {
      p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max),
      gcMinor: pauses(gcPauses.minor), gcMajor: pauses(gcPauses.major),
      peakRssMb: Math.round(peak.rss / 104857.6) / 10, peakHeapMb: Math.round(peak.heapUsed / 104857.6) / 10,
    };
    if ((arg as { reset?: boolean } | undefined)?.reset) {
      loopDelay.reset();
      gcPauses.minor = [];
      gcPauses.major = [];
      peak.rss = 0;
      peak.heapUsed = 0;
    }
    return read;
  },
  extra: async () => contender.extra(),
  transitionsToConnected: () => contender.transitionsToConnected?.() ?? 0,
  admin: async () => {
    if (!contender.admin) throw new Error(`${String(values.kind)} has no admin API`);
    return contender.admin();
  },
  requestUrl: () => {
    if (!contender.requestUrl) throw new Error(`${String(values.kind)} has no request URL`);
    return contender.requestUrl();
  },
  heapProfile: async (arg) => heapProfile(arg as Parameters<typeof heapProfile>[0]),
  hasGc: () => gc !== undefined,
  stop: async () => {
    await contender.stop();
    return null;
  },
});
