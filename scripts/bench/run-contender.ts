/**
 * One contender's run, start to end, against a fresh emulator: connect N, memory per connection,
 * M mentions at R/s, a rate sweep, a reconnect storm. Both processes are started fresh and
 * stopped at the end.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BenchOptions } from './options.js';
import type { ContenderName } from './contenders/contender.js';
import type { BenchWorkspace } from './emulator-child.js';
import { ChildHandle } from './ipc.js';
import type { LoadOptions, LoadResult } from './load.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface Memory { readonly rss: number; readonly heapUsed: number }

/** Garbage-collection pauses of the contender over a step (perf_hooks `gc` entries). */
export interface GcPauses { readonly count: number; readonly totalMs: number; readonly maxMs: number }
/** Event-loop delay of the contender over a step, in ms (perf_hooks, 1 ms resolution), and its GC pauses. */
export interface LoopDelay { readonly p50: number; readonly p99: number; readonly max: number; readonly gcMinor?: GcPauses; readonly gcMajor?: GcPauses }
/** A load step with the contender's CPU over it (% of one core, from first mention to last reply). */
export type StepResult = LoadResult & { readonly contenderCpuPct: number; readonly contenderCpuMs: number; readonly loopDelay: LoopDelay };

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
  readonly load: StepResult;
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

/** Runs every phase for `name`; the processes are stopped even when a phase throws. */
export async function runContender(name: ContenderName, options: BenchOptions): Promise<ContenderResult> {
  const emulator = await ChildHandle.start(here('./emulator-child.js'), ['--server-ping-interval-ms', String(options.serverPingMs)]);
  const execArgv = ['--expose-gc', ...(options.maxOldSpaceMb > 0 ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : [])];
  if (options.profile && name === 'flotilla') execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.outDir}/profiles`);
  execArgv.push(...options.nodeFlags);
  const contender = await ChildHandle.start(here('./contender-child.js'), ['--kind', name, '--connect-rate', String(options.connectRate)], { execArgv });
  try {
    return await phases(name, options, emulator, contender);
  } finally {
    await contender.stop(30_000);
    await emulator.stop();
  }
}

async function phases(name: ContenderName, o: BenchOptions, emulator: ChildHandle, contender: ChildHandle): Promise<ContenderResult> {
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
    const cpuMs = await cpuMsOf(async () => {
      step = await emulator.call<LoadResult>('load', { rate, count, drainMs: o.drainMs, ackLostMs: 3_000 } satisfies LoadOptions);
    });
    const done = step as LoadResult;
    const loopDelay = await contender.call<LoopDelay>('loopDelay', { reset: true });
    return { ...done, loopDelay, contenderCpuMs: Math.round(cpuMs), contenderCpuPct: Math.round((cpuMs / Math.max(1, done.elapsedMs)) * 100) };
  };
  await load(o.rate, Math.min(o.m, Math.max(50, o.rate)));
  const heapFile = `${o.outDir}/profiles/heap-${o.heapProfile ?? ''}-${name}-${Date.now()}.heapprofile`;
  if (o.heapProfile) {
    await mkdir(`${o.outDir}/profiles`, { recursive: true });
    await contender.call('heapProfile', { action: 'start', keep: o.heapProfile });
  }
  const main = await load(o.rate, o.m);
  if (o.heapProfile) {
    await contender.call('heapProfile', { action: 'stop', file: heapFile });
    log(name, `heap profile of the load: ${heapFile}`);
  }
  const cpuMs = main.contenderCpuMs;
  log(name, `load ${o.m} @ ${o.rate}/s: reply p50/p95/p99 ${main.reply.p50}/${main.reply.p95}/${main.reply.p99} ms, missing ${main.missingReplies}, lost acks ${main.lostAcks}`);
  const extra = await contender.call<Record<string, unknown>>('extra');
  const sweep = o.sweep ? await rateSweep(name, o, load) : null;
  const storm = o.storm ? await reconnectStorm(name, o, emulator, contender, load) : null;
  const emulatorRss = (await emulator.call<NodeJS.MemoryUsage>('memory')).rss;
  return {
    name, n: o.n, connectMs, memory, load: main, idleCpuPct, cpuMsPer1000Mentions: Math.round((cpuMs / Math.max(1, main.sent)) * 1000 * 10) / 10,
    sweep, storm, extra, emulatorRssMb: Math.round(emulatorRss / 1048576),
  };
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
