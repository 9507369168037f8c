/**
 * `npm run bench -- --mode http`: the HTTP path against its peer. One distributed app installed in
 * N workspaces; three contenders, each in a fresh process of its own, with the Slack emulator in
 * another that plays Slack (signed `event_callback` POSTs, http-load.ts) and records the replies:
 * flotilla's `POST /slack/events`, one Bolt App (HTTPReceiver + authorize), a raw node:http floor.
 *
 * All three are started first; then each round runs the main load (M mentions at R/s) on each
 * contender in turn, then the rate sweep one rate at a time, each contender in turn at that rate
 * (a contender leaves the sweep at its first failure), so every contender sees the same minutes of
 * a shared host. The contenders' order rotates from round to round. The report: http-report.ts.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { HttpContenderName } from './contenders/contender.js';
import type { BenchWorkspace } from './emulator-child.js';
import { descendants } from './footprint.js';
import { hostCpu, stealPct } from './host.js';
import { SIGNING_SECRET_ENV } from './http-contenders/shared.js';
import type { HttpLoadOptions, HttpLoadResult } from './http-load.js';
import { median, type HttpContenderResult, type HttpRound, type HttpStep, type HttpSweep } from './http-report.js';
import { ChildHandle } from './ipc.js';
import type { BenchOptions } from './options.js';
import type { LoopDelay } from './run-contender.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (name: string, text: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] http ${name}: ${text}\n`);
};

/** Warm-ups tried before a contender counts as not answering. */
const WARMUP_ATTEMPTS = 10;
/** After a step, a contender is quiet again when it spends less than this share of a core… */
const QUIET_CPU_PCT = 10;
/** …over a window this long; the next step waits for that (an overloaded one still works off its backlog), at most `QUIET_MAX_MS`. */
const QUIET_WINDOW_MS = 500;
const QUIET_MAX_MS = 60_000;

interface Live {
  readonly name: HttpContenderName;
  readonly child: ChildHandle;
  readonly url: string;
  readonly warmups: number;
  readonly rounds: HttpRound[];
}

/** One load step on one contender: `count` mentions at `rate`/s, the team sequence from `seed`. */
type Step = (c: Live, rate: number, count: number, seed: number) => Promise<HttpStep>;

type MutableSweep = { sustainedRate: number; failedRate: number | null; steps: (HttpStep & { passed: boolean })[] };

/** User + system CPU (ms) of the processes below `pid` now alive (Linux; 0 elsewhere), in clock ticks of 10 ms. */
async function childrenCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  let ticks = 0;
  for (const child of await descendants(pid)) {
    const stat = await readFile(`/proc/${child}/stat`, 'utf8').catch(() => '');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks * 10;
}

/** Waits until `child` has worked off what a step left it, so the next step (maybe another contender's) has the host to itself. */
async function quiet(child: ChildHandle): Promise<void> {
  const deadline = Date.now() + QUIET_MAX_MS;
  while (Date.now() < deadline) {
    const cpu0 = await child.call<NodeJS.CpuUsage>('cpu');
    await sleep(QUIET_WINDOW_MS);
    const cpu1 = await child.call<NodeJS.CpuUsage>('cpu');
    if ((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000 < (QUIET_WINDOW_MS * QUIET_CPU_PCT) / 100) return;
  }
}

/** The round whose reply p99 is the median (the upper one of an even count); rounds without replies sort last. */
function medianRound(rounds: readonly HttpRound[]): HttpRound {
  const sorted = [...rounds].sort((a, b) => (a.load.reply.p99 ?? Infinity) - (b.load.reply.p99 ?? Infinity));
  return sorted[Math.floor(sorted.length / 2)] as HttpRound;
}

function passes(step: HttpLoadResult, p95LimitMs: number): boolean {
  return step.reply.p95 !== null && step.reply.p95 < p95LimitMs && step.missingReplies === 0
    && step.lostAcks === 0 && step.sentRate >= step.rate * 0.9;
}

/** A step run by the emulator, with the contender's CPU (and its children's), loop delay and GC, and the host's steal and load around it. */
function stepper(emulator: ChildHandle, signingSecret: string, o: BenchOptions): Step {
  return async (c, rate, count, seed) => {
    await c.child.call('loopDelay', { reset: true });
    const host0 = hostCpu();
    const cpu0 = await c.child.call<NodeJS.CpuUsage>('cpu');
    const childrenCpu0 = await childrenCpuMs(c.child.pid);
    const load = await emulator.call<HttpLoadResult>('httpLoad', {
      url: c.url, signingSecret, rate, count, drainMs: o.drainMs, ackLostMs: 3_000, seed,
    } satisfies HttpLoadOptions);
    const cpu1 = await c.child.call<NodeJS.CpuUsage>('cpu');
    const childrenCpu = (await childrenCpuMs(c.child.pid)) - childrenCpu0;
    const hostStealPct = stealPct(host0, hostCpu());
    const loopDelay = await c.child.call<LoopDelay>('loopDelay', { reset: true });
    const cpuMs = (cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 1000;
    const hostLoad1 = Math.round((loadavg()[0] ?? 0) * 10) / 10;
    const childrenCpuPct = Math.round((Math.max(0, childrenCpu) / Math.max(1, load.elapsedMs)) * 100);
    await quiet(c.child);
    return {
      ...load, loopDelay, hostStealPct, hostLoad1, childrenCpuPct,
      contenderCpuMs: Math.round(cpuMs), contenderCpuPct: Math.round((cpuMs / Math.max(1, load.elapsedMs)) * 100),
    };
  };
}

/** Runs every round on every contender; `errors` collects each one that failed (it leaves the run). */
export async function runHttpBench(o: BenchOptions, errors: Record<string, string>): Promise<{ results: HttpContenderResult[]; emulatorRssMb: number | null }> {
  const signingSecret = randomBytes(32).toString('hex');
  const emulator = await ChildHandle.start(here('./emulator-child.js'), ['--server-ping-interval-ms', String(o.serverPingMs)]);
  const run = new HttpRun(o, errors, stepper(emulator, signingSecret, o));
  try {
    const apiUrl = await emulator.call<string>('apiUrl');
    const workspaces = await emulator.call<BenchWorkspace[]>('setupShared', { n: o.n });
    for (const name of o.contenders as readonly HttpContenderName[]) await run.start(name, apiUrl, workspaces, signingSecret);
    for (let round = 1; round <= o.rounds; round++) await run.round(round);
    const results = await run.finish();
    const emulatorRss = (await emulator.call<NodeJS.MemoryUsage>('memory')).rss;
    return { results, emulatorRssMb: Math.round(emulatorRss / 1048576) };
  } finally {
    await run.stopAll();
    await emulator.stop();
  }
}

/** The contenders still in the run, and what each round measured of them. */
class HttpRun {
  #live: Live[] = [];

  constructor(private readonly o: BenchOptions, private readonly errors: Record<string, string>, private readonly step: Step) {}

  /** Starts one contender and warms it up until a warm-up has every mention answered; a failure is recorded, not thrown. */
  async start(name: HttpContenderName, apiUrl: string, workspaces: readonly BenchWorkspace[], signingSecret: string): Promise<void> {
    const o = this.o;
    const execArgv = ['--expose-gc', ...(o.maxOldSpaceMb > 0 ? [`--max-old-space-size=${o.maxOldSpaceMb}`] : [])];
    if (o.profile && name === 'flotilla') execArgv.push('--cpu-prof', `--cpu-prof-dir=${o.outDir}/profiles`);
    execArgv.push(...o.nodeFlags);
    let child: ChildHandle | undefined;
    try {
      child = await ChildHandle.start(here('./contender-child.js'), ['--kind', `http-${name}`, '--connect-rate', String(o.connectRate)], {
        execArgv, env: { ...process.env, [SIGNING_SECRET_ENV]: signingSecret },
      });
      await child.call('init', { apiUrl });
      await child.call('prepare', { workspaces });
      await child.call('connect');
      const c: Live = { name, child, url: await child.call<string>('requestUrl'), warmups: 0, rounds: [] };
      const count = Math.min(o.m, Math.max(50, Math.min(o.n, 500)));
      for (let attempt = 1; attempt <= WARMUP_ATTEMPTS; attempt++) {
        const warm = await this.step(c, o.rate, count, -attempt);
        log(name, `warm-up ${attempt}: ${warm.sent} mentions, missing ${warm.missingReplies}, lost acks ${warm.lostAcks}, reply p50 ${warm.reply.p50} ms`);
        if (warm.missingReplies === 0 && warm.lostAcks === 0) {
          this.#live.push({ ...c, warmups: attempt });
          return;
        }
        await sleep(1_000);
      }
      throw new Error(`${name} did not answer every mention of a warm-up in ${WARMUP_ATTEMPTS} tries`);
    } catch (error) {
      this.#failed(name, error);
      await child?.stop(30_000);
    }
  }

  /** Round `round`: the main load on each contender, then the sweep rate by rate; the order rotates by round. */
  async round(round: number): Promise<void> {
    const o = this.o;
    const order = this.#live.map((_, i) => this.#live[(i + round - 1) % this.#live.length] as Live);
    const loads = new Map<Live, HttpStep>();
    for (const c of order) {
      await this.#guarded(c, async () => {
        const main = await this.step(c, o.rate, o.m, round);
        loads.set(c, main);
        log(c.name, `round ${round}/${o.rounds}: ${o.m} @ ${o.rate}/s: ack p50/p99 ${main.ack.p50}/${main.ack.p99} ms, reply p50/p95/p99 ${main.reply.p50}/${main.reply.p95}/${main.reply.p99} ms, missing ${main.missingReplies}, duplicates ${main.duplicateReplies}, lost acks ${main.lostAcks}, CPU ${main.contenderCpuPct} % (+ ${main.childrenCpuPct} % in child processes), steal ${main.hostStealPct ?? '–'} %, load ${main.hostLoad1}`);
      });
    }
    const sweeps = o.sweep ? await this.#sweep(order, round) : new Map<Live, HttpSweep>();
    for (const c of this.#live) {
      const load = loads.get(c);
      if (load !== undefined) c.rounds.push({ round, load, sweep: sweeps.get(c) ?? null });
    }
  }

  /** Each contender's result from its rounds, its extra figures and its memory after. */
  async finish(): Promise<HttpContenderResult[]> {
    const results: HttpContenderResult[] = [];
    for (const c of [...this.#live]) {
      await this.#guarded(c, async () => {
        if (c.rounds.length === 0) throw new Error('no round completed');
        const main = medianRound(c.rounds).load;
        const extra = await c.child.call<Record<string, unknown>>('extra');
        const memory = await c.child.call<NodeJS.MemoryUsage>('memory', { settleMs: this.o.settleMs });
        const rates = c.rounds.flatMap((r) => (r.sweep === null ? [] : [r.sweep.sustainedRate]));
        results.push({
          name: c.name, warmups: c.warmups, rounds: c.rounds, load: main, sustainedRate: median(rates),
          cpuMsPer1000Mentions: Math.round((main.contenderCpuMs / Math.max(1, main.sent)) * 10_000) / 10,
          rssMbAfter: Math.round(memory.rss / 1048576), extra,
        });
      });
    }
    return results;
  }

  async stopAll(): Promise<void> {
    for (const c of this.#live) await c.child.stop(30_000);
    this.#live = [];
  }

  /** The sweep of one round: rate by rate, each contender still passing in turn at that rate. */
  async #sweep(order: readonly Live[], round: number): Promise<Map<Live, HttpSweep>> {
    const sweeps = new Map<Live, MutableSweep>(order.map((c) => [c, { sustainedRate: 0, failedRate: null, steps: [] }]));
    for (const rate of this.o.sweepRates) {
      for (const c of order) {
        const sweep = sweeps.get(c) as MutableSweep;
        if (sweep.failedRate !== null || !this.#live.includes(c)) continue;
        await this.#guarded(c, async () => {
          const s = await this.step(c, rate, this.o.m, round * 1000 + rate);
          const passed = passes(s, this.o.sweepP95Ms);
          sweep.steps.push({ ...s, passed });
          if (passed) sweep.sustainedRate = rate;
          else sweep.failedRate = rate;
          log(c.name, `round ${round} sweep ${rate}/s (sent ${s.sentRate}/s): reply p95 ${s.reply.p95} ms, missing ${s.missingReplies}, lost acks ${s.lostAcks}, CPU ${s.contenderCpuPct} % (+ ${s.childrenCpuPct} %), emulator ${s.emulatorCpuPct} %, load ${s.hostLoad1} → ${passed ? 'pass' : 'FAIL'}`);
        });
      }
    }
    return sweeps;
  }

  /** Runs `work` for `c`; on a failure records it and takes `c` out of the run. */
  async #guarded(c: Live, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.#failed(c.name, error);
      this.#live = this.#live.filter((l) => l !== c);
      await c.child.stop(30_000);
    }
  }

  #failed(name: string, error: unknown): void {
    this.errors[name] = error instanceof Error ? error.stack ?? error.message : String(error);
    log(name, `failed: ${this.errors[name]}`);
  }
}
