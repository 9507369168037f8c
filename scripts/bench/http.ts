/**
 * `npm run bench -- --mode http`: the HTTP path against its peer. One distributed app installed in
 * N workspaces; three contenders, each in a fresh process of its own, with the Slack emulator in
 * another that plays Slack (signed `event_callback` POSTs, http-load.ts) and records the replies:
 * flotilla's `POST /slack/events`, one Bolt App (HTTPReceiver + authorize), a raw node:http floor.
 *
 * All three are started first; then each round runs the main load (M mentions at R/s) on each
 * contender in turn, then the rate sweep one rate at a time, each contender in turn at that rate
 * (a contender leaves the sweep at its first failure), so every contender sees the same minutes of
 * a shared host. The contenders' order rotates from round to round.
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
import { ChildHandle } from './ipc.js';
import type { BenchOptions } from './options.js';
import type { LoopDelay } from './run-contender.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (name: string, text: string): void => {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] http ${name}: ${text}\n`);
};

/** Targets of issue 13: flotilla's reply p99 at most this times the floor's… */
export const REPLY_P99_TARGET = 1.2;
/** …and its sustained rate at least this times Bolt's. */
export const RATE_TARGET = 1.5;
/** Warm-ups tried before a contender counts as not answering. */
const WARMUP_ATTEMPTS = 10;
/** After a step, a contender is quiet again when it spends less than this share of a core… */
const QUIET_CPU_PCT = 10;
/** …over a window this long; the next step waits for that (an overloaded one still works off its backlog), at most `QUIET_MAX_MS`. */
const QUIET_WINDOW_MS = 500;
const QUIET_MAX_MS = 60_000;

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

/** A load step with the contender's CPU, event-loop delay and the host's steal over it. */
export type HttpStep = HttpLoadResult & {
  readonly contenderCpuPct: number; readonly contenderCpuMs: number; readonly loopDelay: LoopDelay; readonly hostStealPct: number | null;
  /** CPU of the contender's child processes over the step (% of one core): flotilla's embedded PostgreSQL server; 0 for the others. */
  readonly childrenCpuPct: number;
  /** The host's 1-minute load average at the step's end: other work on a shared machine shows here. */
  readonly hostLoad1: number;
};

export interface HttpSweep {
  /** Highest rate that passed (reply p95 under the limit, nothing missing, no lost ack, sent on pace); 0 if none did. */
  readonly sustainedRate: number;
  readonly failedRate: number | null;
  readonly steps: readonly (HttpStep & { readonly passed: boolean })[];
}

export interface HttpRound {
  readonly round: number;
  readonly load: HttpStep;
  readonly sweep: HttpSweep | null;
}

export interface HttpContenderResult {
  readonly name: HttpContenderName;
  /** Warm-ups run until one had every mention answered. */
  readonly warmups: number;
  readonly rounds: readonly HttpRound[];
  /** The main load of the median round by reply p99. */
  readonly load: HttpStep;
  /** Median over the rounds of the sustained rate (null without a sweep). */
  readonly sustainedRate: number | null;
  /** CPU ms the contender spent per 1,000 mentions in that main load. */
  readonly cpuMsPer1000Mentions: number;
  readonly rssMbAfter: number;
  readonly extra: Record<string, unknown>;
}

export interface HttpTargets {
  readonly replyP99Ratio: number | null;
  readonly replyP99Met: boolean | null;
  readonly rateRatio: number | null;
  /** null when it cannot be told: a figure is missing, or both reached the highest rate tried. */
  readonly rateMet: boolean | null;
  readonly lines: readonly string[];
}

export interface HttpReport {
  readonly mode: 'http';
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: Record<string, unknown>;
  readonly revision: string;
  readonly command: string;
  readonly options: BenchOptions;
  readonly results: readonly HttpContenderResult[];
  readonly targets: HttpTargets;
  readonly errors: Readonly<Record<string, string>>;
  readonly emulatorRssMb: number | null;
}

interface Live {
  readonly name: HttpContenderName;
  readonly child: ChildHandle;
  readonly url: string;
  readonly warmups: number;
  readonly rounds: HttpRound[];
}

/** The round whose reply p99 is the median (the upper one of an even count); rounds without replies sort last. */
function medianRound(rounds: readonly HttpRound[]): HttpRound {
  const sorted = [...rounds].sort((a, b) => (a.load.reply.p99 ?? Infinity) - (b.load.reply.p99 ?? Infinity));
  return sorted[Math.floor(sorted.length / 2)] as HttpRound;
}

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function passes(step: HttpLoadResult, p95LimitMs: number): boolean {
  return step.reply.p95 !== null && step.reply.p95 < p95LimitMs && step.missingReplies === 0
    && step.lostAcks === 0 && step.sentRate >= step.rate * 0.9;
}

/** Runs every round on every contender; `errors` collects each one that failed (it leaves the run). */
export async function runHttpBench(o: BenchOptions, errors: Record<string, string>): Promise<{ results: HttpContenderResult[]; emulatorRssMb: number | null }> {
  const failed = (name: string, error: unknown): void => {
    errors[name] = error instanceof Error ? error.stack ?? error.message : String(error);
    log(name, `failed: ${errors[name]}`);
  };
  const signingSecret = randomBytes(32).toString('hex');
  const emulator = await ChildHandle.start(here('./emulator-child.js'), ['--server-ping-interval-ms', String(o.serverPingMs)]);
  let live: Live[] = [];
  try {
    const apiUrl = await emulator.call<string>('apiUrl');
    const workspaces = await emulator.call<BenchWorkspace[]>('setupShared', { n: o.n });
    const step = async (c: Live, rate: number, count: number, seed: number): Promise<HttpStep> => {
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
      await quiet(c.child);
      const hostLoad1 = Math.round((loadavg()[0] ?? 0) * 10) / 10;
      const childrenCpuPct = Math.round((Math.max(0, childrenCpu) / Math.max(1, load.elapsedMs)) * 100);
      return { ...load, loopDelay, hostStealPct, hostLoad1, childrenCpuPct, contenderCpuMs: Math.round(cpuMs), contenderCpuPct: Math.round((cpuMs / Math.max(1, load.elapsedMs)) * 100) };
    };
    for (const name of o.contenders as readonly HttpContenderName[]) {
      try {
        live.push(await startOne(name, o, apiUrl, workspaces, signingSecret, step));
      } catch (error) {
        failed(name, error);
      }
    }
    const guarded = async (c: Live, run: () => Promise<void>): Promise<void> => {
      try {
        await run();
      } catch (error) {
        failed(c.name, error);
        live = live.filter((l) => l !== c);
        await c.child.stop(30_000);
      }
    };
    for (let round = 1; round <= o.rounds; round++) {
      const order = live.map((_, i) => live[(i + round - 1) % live.length] as Live);
      const loads = new Map<Live, HttpStep>();
      for (const c of order) {
        await guarded(c, async () => {
          const main = await step(c, o.rate, o.m, round);
          loads.set(c, main);
          log(c.name, `round ${round}/${o.rounds}: ${o.m} @ ${o.rate}/s: ack p50/p99 ${main.ack.p50}/${main.ack.p99} ms, reply p50/p95/p99 ${main.reply.p50}/${main.reply.p95}/${main.reply.p99} ms, missing ${main.missingReplies}, duplicates ${main.duplicateReplies}, lost acks ${main.lostAcks}, CPU ${main.contenderCpuPct} % (+ ${main.childrenCpuPct} % in child processes), steal ${main.hostStealPct ?? '–'} %, load ${main.hostLoad1}`);
        });
      }
      const sweeps = new Map<Live, { sustainedRate: number; failedRate: number | null; steps: (HttpStep & { passed: boolean })[] }>();
      if (o.sweep) {
        for (const c of order) sweeps.set(c, { sustainedRate: 0, failedRate: null, steps: [] });
        for (const rate of o.sweepRates) {
          for (const c of order) {
            const sweep = sweeps.get(c);
            if (sweep === undefined || sweep.failedRate !== null || !live.includes(c)) continue;
            await guarded(c, async () => {
              const s = await step(c, rate, o.m, round * 1000 + rate);
              const passed = passes(s, o.sweepP95Ms);
              sweep.steps.push({ ...s, passed });
              if (passed) sweep.sustainedRate = rate;
              else sweep.failedRate = rate;
              log(c.name, `round ${round} sweep ${rate}/s (sent ${s.sentRate}/s): reply p95 ${s.reply.p95} ms, missing ${s.missingReplies}, lost acks ${s.lostAcks}, CPU ${s.contenderCpuPct} % (+ ${s.childrenCpuPct} %), emulator ${s.emulatorCpuPct} %, load ${s.hostLoad1} → ${passed ? 'pass' : 'FAIL'}`);
            });
          }
        }
      }
      for (const c of live) {
        const load = loads.get(c);
        if (load !== undefined) c.rounds.push({ round, load, sweep: sweeps.get(c) ?? null });
      }
    }
    const results: HttpContenderResult[] = [];
    for (const c of live) {
      await guarded(c, async () => {
        if (c.rounds.length === 0) throw new Error('no round completed');
        const main = medianRound(c.rounds).load;
        const extra = await c.child.call<Record<string, unknown>>('extra');
        const memory = await c.child.call<NodeJS.MemoryUsage>('memory', { settleMs: o.settleMs });
        const rates = c.rounds.flatMap((r) => (r.sweep === null ? [] : [r.sweep.sustainedRate]));
        results.push({
          name: c.name, warmups: c.warmups, rounds: c.rounds, load: main, sustainedRate: median(rates),
          cpuMsPer1000Mentions: Math.round((main.contenderCpuMs / Math.max(1, main.sent)) * 10_000) / 10,
          rssMbAfter: Math.round(memory.rss / 1048576), extra,
        });
      });
    }
    const emulatorRss = (await emulator.call<NodeJS.MemoryUsage>('memory')).rss;
    return { results, emulatorRssMb: Math.round(emulatorRss / 1048576) };
  } finally {
    for (const c of live) await c.child.stop(30_000);
    await emulator.stop();
  }
}

/** Starts one contender, gives it the installations, and warms it up until a warm-up has every mention answered. */
async function startOne(
  name: HttpContenderName, o: BenchOptions, apiUrl: string, workspaces: readonly BenchWorkspace[], signingSecret: string,
  step: (c: Live, rate: number, count: number, seed: number) => Promise<HttpStep>,
): Promise<Live> {
  const execArgv = ['--expose-gc', ...(o.maxOldSpaceMb > 0 ? [`--max-old-space-size=${o.maxOldSpaceMb}`] : [])];
  if (o.profile && name === 'flotilla') execArgv.push('--cpu-prof', `--cpu-prof-dir=${o.outDir}/profiles`);
  execArgv.push(...o.nodeFlags);
  const child = await ChildHandle.start(here('./contender-child.js'), ['--kind', `http-${name}`, '--connect-rate', String(o.connectRate)], {
    execArgv, env: { ...process.env, [SIGNING_SECRET_ENV]: signingSecret },
  });
  try {
    await child.call('init', { apiUrl });
    await child.call('prepare', { workspaces });
    await child.call('connect');
    const url = await child.call<string>('requestUrl');
    const c: Live = { name, child, url, warmups: 0, rounds: [] };
    const count = Math.min(o.m, Math.max(50, Math.min(o.n, 500)));
    for (let attempt = 1; attempt <= WARMUP_ATTEMPTS; attempt++) {
      const warm = await step(c, o.rate, count, -attempt);
      log(name, `warm-up ${attempt}: ${warm.sent} mentions, missing ${warm.missingReplies}, lost acks ${warm.lostAcks}, reply p50 ${warm.reply.p50} ms`);
      if (warm.missingReplies === 0 && warm.lostAcks === 0) return { ...c, warmups: attempt };
      await sleep(1_000);
    }
    throw new Error(`${name} did not answer every mention of a warm-up in ${WARMUP_ATTEMPTS} tries`);
  } catch (error) {
    await child.stop(30_000);
    throw error;
  }
}

const ratio = (a: number | null | undefined, b: number | null | undefined): number | null =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : Math.round((a / b) * 100) / 100;

/** The two targets, computed from the figures and said plainly, met or missed. */
export function httpTargets(results: readonly HttpContenderResult[], o: BenchOptions): HttpTargets {
  const of = (name: HttpContenderName): HttpContenderResult | undefined => results.find((r) => r.name === name);
  const flotilla = of('flotilla');
  const floor = of('floor');
  const bolt = of('bolt');
  const lines: string[] = [];
  const replyP99Ratio = ratio(flotilla?.load.reply.p99, floor?.load.reply.p99);
  const replyP99Met = replyP99Ratio === null ? null : replyP99Ratio <= REPLY_P99_TARGET;
  lines.push(replyP99Ratio === null
    ? `reply p99 flotilla ÷ floor: not measured (a contender is missing)`
    : `reply p99 flotilla ÷ floor = ${flotilla?.load.reply.p99} ÷ ${floor?.load.reply.p99} ms = ${replyP99Ratio} (target ≤ ${REPLY_P99_TARGET}): ${replyP99Met ? 'MET' : 'MISSED'}`);
  // The same ratio round by round: the two loads of a round ran minutes apart at most, on the same host.
  const paired = (flotilla?.rounds ?? []).flatMap((round) => {
    const other = floor?.rounds.find((r) => r.round === round.round);
    const value = ratio(round.load.reply.p99, other?.load.reply.p99);
    return value === null ? [] : [value];
  });
  if (paired.length > 1) lines.push(`  round by round: ${paired.join(', ')}; median ${median(paired)}`);
  const top = Math.max(0, ...o.sweepRates);
  const rateRatio = ratio(flotilla?.sustainedRate, bolt?.sustainedRate);
  let rateMet: boolean | null = rateRatio === null ? null : rateRatio >= RATE_TARGET;
  let note = '';
  if (rateMet === false && flotilla?.sustainedRate === top) {
    rateMet = null;
    note = ` (flotilla sustained the highest rate tried, ${top}/s: try higher --sweep-rates)`;
  }
  if (bolt?.sustainedRate === 0 && (flotilla?.sustainedRate ?? 0) > 0) {
    rateMet = true;
    note = ' — Bolt sustained no rate tried';
  }
  lines.push(flotilla?.sustainedRate === null || flotilla === undefined || bolt === undefined || bolt.sustainedRate === null
    ? 'sustained rate flotilla ÷ Bolt: not measured (a contender or the sweep is missing)'
    : `sustained rate flotilla ÷ Bolt = ${flotilla.sustainedRate} ÷ ${bolt.sustainedRate} /s = ${rateRatio ?? '–'} (target ≥ ${RATE_TARGET}): ${rateMet === null ? 'UNDETERMINED' : rateMet ? 'MET' : 'MISSED'}${note}`);
  return { replyP99Ratio, replyP99Met, rateRatio, rateMet, lines };
}

const cell = (value: number | null | undefined): string => (value === null || value === undefined ? '–' : String(value));

/** The report as Markdown: the side-by-side table, each round, each sweep step, the targets. */
export function httpMarkdown(report: HttpReport): string {
  const r = report.results;
  const o = report.options;
  const row = (label: string, pick: (x: HttpContenderResult) => number | string | null | undefined): string =>
    `| ${label} | ${r.map((x) => { const v = pick(x); return typeof v === 'string' ? v : cell(v); }).join(' | ')} |`;
  const lines = [
    `# flotilla HTTP events bench, ${report.startedAt}`, '',
    `\`${report.command}\` at ${report.revision}; N = ${o.n} workspaces of one app, main load M = ${o.m} mentions at ${o.rate}/s, `
    + `${o.rounds} round(s), sweep ${o.sweepRates.join(', ')}/s of ${o.m} mentions a step (pass: reply p95 < ${o.sweepP95Ms} ms, nothing missing or lost, sent at ≥ 90 % of the rate). `
    + `Machine: ${String(report.machine['cpus'])} × ${String(report.machine['cpuModel'])}, node ${String(report.machine['node'])}.`, '',
    `Main load: the median round by reply p99. Ack = the HTTP response's time; reply = the request's send to the emulator recording the chat.postMessage.`, '',
    `| | ${r.map((x) => x.name).join(' | ')} |`,
    `|---|${r.map(() => '---:').join('|')}|`,
    row('ack p50 (ms)', (x) => x.load.ack.p50),
    row('ack p99 (ms)', (x) => x.load.ack.p99),
    row('reply p50 (ms)', (x) => x.load.reply.p50),
    row('reply p95 (ms)', (x) => x.load.reply.p95),
    row('reply p99 (ms)', (x) => x.load.reply.p99),
    row('reply max (ms)', (x) => x.load.reply.max),
    row('missing / duplicate replies', (x) => `${x.load.missingReplies} / ${x.load.duplicateReplies}`),
    row('lost acks', (x) => x.load.lostAcks),
    row('CPU during the load (% of a core)', (x) => x.load.contenderCpuPct),
    row('CPU of its child processes (the embedded database), % of a core', (x) => x.load.childrenCpuPct),
    row('CPU ms per 1,000 mentions', (x) => x.cpuMsPer1000Mentions),
    row('event-loop delay p99 (ms)', (x) => x.load.loopDelay.p99),
    row('peak RSS during the load (MB)', (x) => x.load.loopDelay.peakRssMb),
    row('host steal during the load (%)', (x) => x.load.hostStealPct),
    row('host load average (1 min) after the load', (x) => x.load.hostLoad1),
    row(`sustained rate, reply p95 < ${o.sweepP95Ms} ms (/s, median of rounds)`, (x) => x.sustainedRate),
    row('sustained rate per round (/s)', (x) => x.rounds.map((round) => cell(round.sweep?.sustainedRate)).join(', ')),
    '', '## Targets', '', ...report.targets.lines.map((line) => `- ${line}`), '',
    '## Rounds', '',
    '| contender | round | ack p50/p99 (ms) | reply p50/p95/p99 (ms) | missing | lost acks | CPU % | steal % | load | sustained (/s) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.flatMap((x) => x.rounds.map((round) => `| ${x.name} | ${round.round} | ${cell(round.load.ack.p50)}/${cell(round.load.ack.p99)} | `
      + `${cell(round.load.reply.p50)}/${cell(round.load.reply.p95)}/${cell(round.load.reply.p99)} | ${round.load.missingReplies} | ${round.load.lostAcks} | `
      + `${round.load.contenderCpuPct} | ${cell(round.load.hostStealPct)} | ${round.load.hostLoad1} | ${cell(round.sweep?.sustainedRate)} |`)),
    '', '## Sweep steps', '',
    '| contender | round | rate (/s) | sent (/s) | ack p99 (ms) | reply p50/p95/p99 (ms) | missing | lost acks | CPU % | emulator CPU % | load | |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...r.flatMap((x) => x.rounds.flatMap((round) => (round.sweep?.steps ?? []).map((s) => `| ${x.name} | ${round.round} | ${s.rate} | ${s.sentRate} | ${cell(s.ack.p99)} | `
      + `${cell(s.reply.p50)}/${cell(s.reply.p95)}/${cell(s.reply.p99)} | ${s.missingReplies} | ${s.lostAcks} | ${s.contenderCpuPct} | ${s.emulatorCpuPct} | ${s.hostLoad1} | ${s.passed ? 'pass' : 'FAIL'} |`))),
  ];
  const errors = Object.entries(report.errors);
  if (errors.length > 0) lines.push('', '## Errors', '', ...errors.map(([name, text]) => `- ${name}: ${text.split('\n')[0] ?? ''}`));
  return `${lines.join('\n')}\n`;
}
