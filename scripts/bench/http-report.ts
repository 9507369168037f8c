/** The HTTP mode's report: its shapes, the two targets said plainly, and the Markdown (scripts/bench/http.ts runs it). */
import type { HttpContenderName } from './contenders/contender.js';
import type { HttpLoadResult } from './http-load.js';
import type { BenchOptions } from './options.js';
import type { LoopDelay } from './run-contender.js';

/** Targets of issue 13: flotilla's reply p99 at most this times the floor's… */
export const REPLY_P99_TARGET = 1.2;
/** …and its sustained rate at least this times Bolt's. */
export const RATE_TARGET = 1.5;

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
  /** null when it cannot be told: a figure is missing, or flotilla reached the highest rate tried. */
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

/** The median (the upper one of an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
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
  if (paired.length > 1) lines.push(`reply p99 flotilla ÷ floor round by round (the same round's loads): ${paired.join(', ')}; median ${median(paired)}`);
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
