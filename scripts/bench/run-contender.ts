/**
 * One contender's run against a fresh emulator: connect N, memory per connection, M mentions at
 * R/s (once, or in rounds taking turns with the other contenders), a rate sweep, a reconnect
 * storm. Both processes are started fresh and stopped at the end.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './options.js';
import type { ContenderName } from './contenders/contender.js';
import type { BenchWorkspace } from './emulator-child.js';
import { ChildHandle } from './ipc.js';
import { hostCpu, stealPct } from './host.js';
import type { LoadOptions, LoadResult } from './load.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Memory { readonly rss: number; readonly heapUsed: number }

/** Garbage-collection pauses of the contender over a step (perf_hooks `gc` entries). */
export interface GcPauses { readonly count: number; readonly totalMs: number; readonly maxMs: number }
/**
 * Event-loop delay of the contender over a step, in ms (perf_hooks, 1 ms resolution), its GC pauses,
 * and its highest RSS and heap during the step (MB, sampled every 50 ms).
 */
export interface LoopDelay {
  readonly p50: number; readonly p99: number; readonly max: number; readonly gcMinor?: GcPauses; readonly gcMajor?: GcPauses;
  readonly peakRssMb?: number; readonly peakHeapMb?: number;
}
/** A load step with the contender's CPU over it (% of one core, from first mention to last reply). */
export type StepResult = LoadResult & {
  readonly contenderCpuPct: number; readonly contenderCpuMs: number; readonly loopDelay: LoopDelay;
  /** CPU the hypervisor gave to other guests during the step (% of all CPU time; null off Linux). */
  readonly hostStealPct: number | null;
};

export interface SweepResult {
  /** Highest rate that passed (reply p95 under the limit, nothing missing or lost); 0 if none did. */
  readonly sustainedRate: number;
  /** The lowest rate that failed, when one did. */
  readonly failedRate: number | null;
  readonly steps: readonly (StepResult & { readonly passed: boolean })[];
}

export interface StormResult {
  readonly dropped: number;
  readonly limit: { readonly perMinute: number; readonly scope: string };
  /** From the drop until the emulator sees N live sockets and the contender N connected; null on timeout. */
  readonly recoveryMs: number | null;
  readonly connectionOpens: number;
  readonly rateLimited: number;
  /** One mention to every workspace after recovery. */
  readonly verify: StepResult | null;
}

export interface ContenderResult {
  readonly name: ContenderName;
  readonly n: number;
  readonly connectMs: number;
  readonly memory: {
    readonly before: Memory; readonly after: Memory;
    readonly rssPerConnectionKb: number; readonly heapPerConnectionKb: number;
  };
  /** The main load: with `--rounds`, the median round by reply p99. */
  readonly load: StepResult;
  /** Every round of the main load, in the order run. */
  readonly loadRounds: readonly StepResult[];
  /** CPU (user + system) the contender spent per 1,000 mentions during the main load (idle keepalive included). */
  readonly cpuMsPer1000Mentions: number;
  /** CPU of the contender with every socket connected and no traffic (% of one core, over `idleMs`). */
  readonly idleCpuPct: number;
  readonly sweep: SweepResult | null;
  readonly storm: StormResult | null;
  readonly extra: Record<string, unknown>;
  readonly emulatorRssMb: number;
}

const log = (name: string, text: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${name}: ${text}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const kb = (bytes: number): number => Math.round(bytes / 102.4) / 10;

/** A contender connected and measured at rest, its processes running, ready for load steps. */
export interface LiveContender {
  readonly name: ContenderName;
  readonly connectMs: number;
  readonly memory: ContenderResult['memory'];
  readonly idleCpuPct: number;
  /** One load step of `count` mentions at `rate`/s, with the contender's CPU, loop delay and the host's steal. */
  readonly load: (rate: number, count: number) => Promise<StepResult>;
  readonly emulator: ChildHandle;
  readonly contender: ChildHandle;
}

/**
 * Starts a fresh emulator and contender, connects N, reads memory per connection and idle CPU,
 * and runs a short warm-up load. The processes are stopped if any of it throws.
 */
export async function startContender(name: ContenderName, options: BenchOptions): Promise<LiveContender> {
  const emulator = await ChildHandle.start(here('./emulator-child.js'), ['--server-ping-interval-ms', String(options.serverPingMs)]);
  const execArgv = ['--expose-gc', ...(options.maxOldSpaceMb > 0 ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [])];
  if (options.profile && name === 'flotilla') execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.outDir}/profiles`);
  execArgv.push(...options.nodeFlags);
  let contender: ChildHandle | undefined;
  try {
    contender = await ChildHandle.start(here('./contender-child.js'), ['--kind', name, '--connect-rate', String(options.connectRate)], { execArgv });
    return await setUp(name, options, emulator, contender);
  } catch (error) {
    await contender?.stop(30_000);
    await emulator.stop();
    throw error;
  }
}

/** The main load (M mentions at R/s); `round` counts from 1. The heap profile, when asked for, covers round 1. */
export async function mainLoad(live: LiveContender, o: BenchOptions, round: number): Promise<StepResult> {
  const isProfiled = o.heapProfile !== null && round === 1;
  const heapFile = `${o.outDir}/profiles/heap-${o.heapProfile ?? ''}-${live.name}-${Date.now()}.heapprofile`;
  if (isProfiled) {
    await mkdir(`${o.outDir}/profiles`, { recursive: true });
    await live.contender.call('heapProfile', { action: 'start', keep: o.heapProfile });
  }
  const step = await live.load(o.rate, o.m);
  if (isProfiled) {
    await live.contender.call('heapProfile', { action: 'stop', file: heapFile });
    log(live.name, `heap profile of the load: ${heapFile}`);
  }
  const of = o.rounds > 1 ? ` (round ${round} of ${o.rounds})` : '';
  log(live.name, `load ${o.m} @ ${o.rate}/s${of}: reply p50/p95/p99 ${step.reply.p50}/${step.reply.p95}/${step.reply.p99} ms, missing ${step.missingReplies}, lost acks ${step.lostAcks}, host steal ${step.hostStealPct ?? '–'} %`);
  return step;
}

/**
 * The rest of a contender's run after its main loads (extra figures, rate sweep, reconnect
 * storm); its processes are stopped at the end, even when a phase throws. `loads` are the main
 * load's rounds: the result's `load` is the median round by reply p99.
 */
export async function finishContender(live: LiveContender, o: BenchOptions, loads: readonly StepResult[]): Promise<ContenderResult> {
  try {
    const main = medianRound(loads);
    const extra = await live.contender.call<Record<string, unknown>>('extra');
    const sweep = o.sweep ? await rateSweep(live.name, o, live.load) : null;
    const storm = o.storm ? await reconnectStorm(live.name, o, live.emulator, live.contender, live.load) : null;
    const emulatorRss = (await live.emulator.call<NodeJS.MemoryUsage>('memory')).rss;
    return {
      name: live.name, n: o.n, connectMs: live.connectMs, memory: live.memory, load: main, loadRounds: loads,
      idleCpuPct: live.idleCpuPct, cpuMsPer1000Mentions: Math.round((main.contenderCpuMs / Math.max(1, main.sent)) * 1000 * 10) / 10,
      sweep, storm, extra, emulatorRssMb: Math.round(emulatorRss / 1048576),
    };
  } finally {
    await stopContender(live);
  }
}

export async function stopContender(live: LiveContender): Promise<void> {
  await live.contender.stop(30_000);
  await live.emulator.stop();
}

/** Every phase for `name`, one contender alone: start, one main load, finish. */
export async function runContender(name: ContenderName, options: BenchOptions): Promise<ContenderResult> {
  const live = await startContender(name, options);
  let main: StepResult;
  try {
    main = await mainLoad(live, options, 1);
  } catch (error) {
    await stopContender(live);
    throw error;
  }
  return finishContender(live, options, [main]);
}

/** The round whose reply p99 is the median (the upper one of an even count); rounds without replies sort last. */
export function medianRound(rounds: readonly StepResult[]): StepResult {
  if (rounds.length === 0) throw new Error('no load rounds to choose from');
  const sorted = [...rounds].sort((a, b) => (a.reply.p99 ?? Infinity) - (b.reply.p99 ?? Infinity));
  return sorted[Math.floor(sorted.length / 2)] as StepResult;
}

async function setUp(name: ContenderName, o: BenchOptions, emulator: ChildHandle, contender: ChildHandle): Promise<LiveContender> {
  const apiUrl = await emulator.call<string>('apiUrl');
  const workspaces = await emulator.call<BenchWorkspace[]>('setup', { n: o.n });
  await contender.call('init', { apiUrl });
  const before = await contender.call<Memory>('memory', { settleMs: o.settleMs });
  await contender.call('prepare', { workspaces });
  log(name, `connecting ${o.n} workspaces`);
  const t0 = Date.now();
  await contender.call('connect');
  await waitLive(emulator, o.n, 10 * 60_000);
  const connectMs = Date.now() - t0;
  log(name, `connected in ${connectMs} ms`);
  const after = await contender.call<Memory>('memory', { settleMs: o.settleMs });
  const memory = {
    before, after,
    rssPerConnectionKb: kb((after.rss - before.rss) / o.n),
    heapPerConnectionKb: kb((after.heapUsed - before.heapUsed) / o.n),
  };
  log(name, `memory per connection: rss ${memory.rssPerConnectionKb} KB, heap ${memory.heapPerConnectionKb} KB`);
  const cpuMsOf = async (during: () => Promise<unknown>): Promise<number> => {
    const cpu0 = await contender.call<NodeJS.CpuUsage>('cpu');
    await during();
    const cpu1 = await contender.call<NodeJS.CpuUsage>('cpu');
    return (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
  };
  const idleMs = Math.min(5_000, o.settleMs * 2);
  const idleCpuPct = Math.round(((await cpuMsOf(() => sleep(idleMs))) / idleMs) * 1000) / 10;
  log(name, `idle CPU ${idleCpuPct} % of a core`);
  const load = async (rate: number, count: number): Promise<StepResult> => {
    let step: LoadResult | undefined;
    await contender.call('loopDelay', { reset: true });
    const host0 = hostCpu();
    const cpuMs = await cpuMsOf(async () => {
      step = await emulator.call<LoadResult>('load', { rate, count, drainMs: o.drainMs, ackLostMs: 3_000 } satisfies LoadOptions);
    });
    const hostStealPct = stealPct(host0, hostCpu());
    const done = step as LoadResult;
    const loopDelay = await contender.call<LoopDelay>('loopDelay', { reset: true });
    return { ...done, loopDelay, hostStealPct, contenderCpuMs: Math.round(cpuMs), contenderCpuPct: Math.round((cpuMs / Math.max(1, done.elapsedMs)) * 100) };
  };
  await load(o.rate, Math.min(o.m, Math.max(50, o.rate)));
  return { name, connectMs, memory, idleCpuPct, load, emulator, contender };
}

async function waitLive(emulator: ChildHandle, n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await emulator.call<number>('liveSockets')) >= n) return true;
    await sleep(100);
  }
  return false;
}

function passes(step: LoadResult, p95LimitMs: number): boolean {
  return step.reply.p95 !== null && step.reply.p95 < p95LimitMs && step.missingReplies === 0
    && step.lostAcks === 0 && step.sentRate >= step.rate * 0.9;
}

async function rateSweep(name: string, o: BenchOptions, load: (rate: number, count: number) => Promise<StepResult>): Promise<SweepResult> {
  const steps: (StepResult & { passed: boolean })[] = [];
  let sustainedRate = 0;
  let failedRate: number | null = null;
  const tryRate = async (rate: number): Promise<boolean> => {
    const step = await load(rate, Math.ceil((rate * o.sweepStepMs) / 1000));
    const passed = passes(step, o.sweepP95Ms);
    steps.push({ ...step, passed });
    log(name, `sweep ${rate}/s (sent ${step.sentRate}/s): reply p95 ${step.reply.p95} ms, missing ${step.missingReplies}, lost acks ${step.lostAcks} CPU bot ${step.contenderCpuPct} % emulator ${step.emulatorCpuPct} % → ${passed ? 'pass' : 'FAIL'}`);
    return passed;
  };
  for (const rate of o.sweepRates) {
    if (await tryRate(rate)) sustainedRate = rate;
    else { failedRate = rate; break; }
  }
  if (failedRate !== null && sustainedRate > 0 && o.sweepRefine) {
    let low = sustainedRate;
    let high = failedRate;
    for (let i = 0; i < 2 && high - low > Math.max(50, low * 0.1); i++) {
      await sleep(5_000);
      const mid = Math.round((low + high) / 2 / 10) * 10;
      if (await tryRate(mid)) low = mid;
      else high = mid;
    }
    sustainedRate = low;
    failedRate = high;
  }
  return { sustainedRate, failedRate, steps };
}

async function reconnectStorm(
  name: string, o: BenchOptions, emulator: ChildHandle, contender: ChildHandle,
  load: (rate: number, count: number) => Promise<StepResult>,
): Promise<StormResult> {
  await sleep(Math.min(3_000, o.settleMs));
  const limit = { perMinute: o.stormPerMinute, scope: o.stormScope };
  await emulator.call('connectionsOpenLimit', limit);
  await emulator.call('markCalls');
  const t0 = Date.now();
  const dropped = await emulator.call<number>('drop');
  await sleep(200);
  let recoveryMs: number | null = null;
  const deadline = t0 + o.stormTimeoutMs;
  while (Date.now() < deadline) {
    const [live, connected] = await Promise.all([emulator.call<number>('liveSockets'), contender.call<number>('connectedCount')]);
    if (live >= o.n && connected >= o.n) {
      recoveryMs = Date.now() - t0;
      break;
    }
    await sleep(100);
  }
  const opens = await emulator.call<{ calls: number; rateLimited: number }>('connectionOpens');
  log(name, `storm: dropped ${dropped}, recovered in ${recoveryMs ?? 'TIMEOUT'} ms, ${opens.calls} opens, ${opens.rateLimited} × 429`);
  const verify = recoveryMs === null ? null : await load(o.rate, o.n);
  if (verify !== null) log(name, `storm verify: ${verify.sent} mentions, missing ${verify.missingReplies}`);
  await emulator.call('connectionsOpenLimit', null);
  return { dropped, limit, recoveryMs, connectionOpens: opens.calls, rateLimited: opens.rateLimited, verify };
}
