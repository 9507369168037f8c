/**
 * One contender in a process of its own, driven over IPC by the bench. Run with `--expose-gc`
 * so memory is read after a forced collection.
 *
 *   fork('contender-child.js', ['--kind', 'flotilla|bolt|floor', '--connect-rate', '1000'], { execArgv: ['--expose-gc'] })
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Contender, ContenderName } from './contenders/contender.js';
import type { BenchWorkspace } from './emulator-child.js';
import { serve } from './ipc.js';

const { values } = parseArgs({ options: { kind: { type: 'string' }, 'connect-rate': { type: 'string', default: '1000' } } });

/** Imports only the contender asked for, so an empty process of one kind loads nothing of the others. */
async function create(kind: ContenderName): Promise<Contender> {
  switch (kind) {
    case 'flotilla': return new (await import('./contenders/flotilla.js')).FlotillaContender(Number(values['connect-rate']));
    case 'bolt': return new (await import('./contenders/bolt.js')).BoltContender();
    case 'floor': return new (await import('./contenders/floor.js')).FloorContender();
  }
}

const contender = await create(values.kind as ContenderName);
const gc = (globalThis as { gc?: () => void }).gc;
/** How late the event loop ran (blocking, GC pauses): the bot's share of a latency tail. */
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();

/** RSS and heap after a forced collection and a short settle. */
async function settledMemory(settleMs: number): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, settleMs / 3));
  }
  gc?.();
  return process.memoryUsage();
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
    const read = { p50: ms(loopDelay.percentile(50)), p99: ms(loopDelay.percentile(99)), max: ms(loopDelay.max) };
    if ((arg as { reset?: boolean } | undefined)?.reset) loopDelay.reset();
    return read;
  },
  extra: async () => contender.extra(),
  hasGc: () => gc !== undefined,
  stop: async () => {
    await contender.stop();
    return null;
  },
});
