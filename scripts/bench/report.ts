/** The bench's table (terminal and Markdown) with flotilla's ratios to Bolt and the raw floor, and the target checks. */
import type { BenchOptions } from './options.js';
import type { ContenderResult } from './run-contender.js';

export interface ReconcileResult {
  readonly rows: number;
  readonly insertMs: number;
  readonly reconcileMs: readonly number[];
  readonly listAllMs: readonly number[];
  readonly versionsAllMs?: readonly number[];
  readonly listed: number;
  readonly database: string;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: { readonly cpus: number; readonly cpuModel: string; readonly memoryGb: number; readonly node: string; readonly platform: string; readonly openFiles: string };
  readonly revision: string;
  readonly command: string;
  readonly options: BenchOptions;
  readonly results: readonly ContenderResult[];
  readonly errors: Readonly<Record<string, string>>;
  readonly reconcile: ReconcileResult | null;
}

type Row = readonly [label: string, pick: (r: ContenderResult) => number | null, lowerIsBetter: boolean];

const ROWS: readonly Row[] = [
  ['connect all N (s)', (r) => r.connectMs / 1000, true],
  ['RSS per connection (KB)', (r) => r.memory.rssPerConnectionKb, true],
  ['heap per connection (KB)', (r) => r.memory.heapPerConnectionKb, true],
  ['ack p50 (ms)', (r) => r.load.ack.p50, true],
  ['ack p99 (ms)', (r) => r.load.ack.p99, true],
  ['reply p50 (ms)', (r) => r.load.reply.p50, true],
  ['reply p95 (ms)', (r) => r.load.reply.p95, true],
  ['reply p99 (ms)', (r) => r.load.reply.p99, true],
  ['event-loop delay p99 during the load (ms)', (r) => r.load.loopDelay?.p99 ?? null, true],
  ['event-loop delay max during the load (ms)', (r) => r.load.loopDelay?.max ?? null, true],
  ['young-generation GC pauses during the load', (r) => r.load.loopDelay?.gcMinor?.count ?? null, true],
  ['young-generation GC pause total (ms)', (r) => r.load.loopDelay?.gcMinor?.totalMs ?? null, true],
  ['young-generation GC pause max (ms)', (r) => r.load.loopDelay?.gcMinor?.maxMs ?? null, true],
  ['old-generation GC pauses during the load', (r) => r.load.loopDelay?.gcMajor?.count ?? null, true],
  ['old-generation GC pause total (ms)', (r) => r.load.loopDelay?.gcMajor?.totalMs ?? null, true],
  ['old-generation GC pause max (ms)', (r) => r.load.loopDelay?.gcMajor?.maxMs ?? null, true],
  ['peak RSS during the load (MB)', (r) => r.load.loopDelay?.peakRssMb ?? null, true],
  ['peak heap during the load (MB)', (r) => r.load.loopDelay?.peakHeapMb ?? null, true],
  ['lost acks (>3 s)', (r) => r.load.lostAcks, true],
  ['missing replies', (r) => r.load.missingReplies, true],
  ['duplicate replies', (r) => r.load.duplicateReplies, true],
  ['idle CPU, all connected (% of a core)', (r) => r.idleCpuPct, true],
  ['CPU during the load (% of a core)', (r) => r.load.contenderCpuPct, true],
  ['CPU ms per 1,000 mentions', (r) => r.cpuMsPer1000Mentions, true],
  ['emulator CPU during the load (%)', (r) => r.load.emulatorCpuPct, true],
  ['host CPU steal during the load (%)', (r) => r.load.hostStealPct ?? null, true],
  ['sustained rate, reply p95 < limit (/s)', (r) => r.sweep?.sustainedRate ?? null, false],
  ['storm: recovery (s)', (r) => (r.storm?.recoveryMs ?? null) === null ? null : (r.storm?.recoveryMs as number) / 1000, true],
  ['storm: 429 on apps.connections.open', (r) => r.storm?.rateLimited ?? null, true],
  ['storm: missing replies after', (r) => r.storm?.verify?.missingReplies ?? null, true],
];

function fmt(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 2);
}

function ratio(a: number | null, b: number | null): string {
  if (a === null || b === null || b === 0) return '–';
  return `${(a / b).toFixed(2)}×`;
}

/** Markdown table: one row per metric, a column per contender, then flotilla ÷ bolt and ÷ floor. */
export function markdownTable(report: BenchReport): string {
  const byName = new Map(report.results.map((r) => [r.name, r]));
  const names = report.options.contenders.filter((n) => byName.has(n));
  const f = byName.get('flotilla');
  const others = (['bolt', 'floor'] as const).filter((n) => f !== undefined && byName.has(n));
  const head = ['metric', ...names, ...others.map((n) => `flotilla ÷ ${n}`)];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const [label, pick] of ROWS) {
    const cells = names.map((n) => fmt(pick(byName.get(n) as ContenderResult)));
    const ratios = others.map((n) => ratio(pick(f as ContenderResult), pick(byName.get(n) as ContenderResult)));
    lines.push(`| ${label} | ${[...cells, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Target checks of issue 5 that this run can decide. */
export function targetChecks(report: BenchReport): string[] {
  const by = new Map(report.results.map((r) => [r.name, r]));
  const f = by.get('flotilla');
  const b = by.get('bolt');
  const floor = by.get('floor');
  if (f === undefined) return [];
  const out: string[] = [];
  const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
  if (b !== undefined) {
    const r = f.memory.rssPerConnectionKb / b.memory.rssPerConnectionKb;
    out.push(`${mark(r <= 0.5)} RSS per connection ≤ 0.5× Bolt's: ${r.toFixed(2)}× (N=${f.n})`);
  }
  if (floor !== undefined) out.push(`info RSS per connection vs floor: ${(f.memory.rssPerConnectionKb / floor.memory.rssPerConnectionKb).toFixed(2)}×`);
  const fs = f.sweep?.sustainedRate;
  if (fs !== undefined && b?.sweep) out.push(`${mark(fs >= 1.5 * b.sweep.sustainedRate)} sustained rate ≥ 1.5× Bolt's: ${fs}/s vs ${b.sweep.sustainedRate}/s`);
  if (fs !== undefined && floor?.sweep) out.push(`${mark(fs >= 0.8 * floor.sweep.sustainedRate)} sustained rate ≥ 0.8× floor: ${fs}/s vs ${floor.sweep.sustainedRate}/s`);
  if (floor !== undefined && f.load.reply.p99 !== null && floor.load.reply.p99 !== null) {
    const ofMedians = f.load.reply.p99 <= 1.2 * floor.load.reply.p99;
    const paired = pairedRatio(f, floor);
    if (report.options.rounds > 1 && paired !== null) {
      // Both must hold: the medians, and the median of the two's ratio within each round (turns a minute
      // apart share the host's conditions, so the paired ratio is the steadier of the two).
      out.push(`${mark(ofMedians && paired <= 1.2)} reply p99 at ${report.options.rate}/s ≤ 1.2× floor: ${f.load.reply.p99} ms vs ${floor.load.reply.p99} ms (median of ${report.options.rounds} rounds each); round by round ${paired.toFixed(2)}× (median)`);
    } else {
      out.push(`${mark(ofMedians)} reply p99 at ${report.options.rate}/s ≤ 1.2× floor: ${f.load.reply.p99} ms vs ${floor.load.reply.p99} ms`);
    }
  }
  if (f.n >= 10_000) {
    out.push(`${mark((f.load.reply.p99 ?? Infinity) < 50 && f.load.lostAcks === 0)} ${f.n} workspaces at ${report.options.rate}/s: reply p99 ${f.load.reply.p99} ms (< 50), lost acks ${f.load.lostAcks}`);
  }
  if (f.storm !== null) {
    const ok = f.storm.recoveryMs !== null && f.storm.rateLimited === 0 && (f.storm.verify?.missingReplies ?? 1) === 0;
    out.push(`${mark(ok)} storm: recovered in ${f.storm.recoveryMs ?? 'timeout'} ms, ${f.storm.rateLimited} × 429, ${f.storm.verify?.missingReplies ?? '–'} missing after`);
  }
  return out;
}

/** The median over rounds of flotilla's reply p99 ÷ the other's in the same round; null without rounds. */
export function pairedRatio(f: ContenderResult, other: ContenderResult): number | null {
  const a = f.loadRounds ?? [];
  const b = other.loadRounds ?? [];
  const ratios = a.flatMap((step, i) => {
    const mine = step.reply.p99;
    const theirs = b[i]?.reply.p99;
    return mine !== null && theirs !== null && theirs !== undefined && theirs > 0 ? [mine / theirs] : [];
  }).sort((x, y) => x - y);
  if (ratios.length < 2) return null;
  const mid = Math.floor(ratios.length / 2);
  return ratios.length % 2 === 1 ? (ratios[mid] as number) : ((ratios[mid - 1] as number) + (ratios[mid] as number)) / 2;
}

/** With `--rounds`: each contender's reply p99 and the host's steal, round by round. */
export function roundLines(report: BenchReport): string[] {
  if (report.options.rounds <= 1) return [];
  return report.results.map((r) => {
    const rounds = r.loadRounds ?? [r.load];
    return `${r.name}: reply p99 by round ${rounds.map((l) => fmt(l.reply.p99)).join(', ')} ms; host steal ${rounds.map((l) => fmt(l.hostStealPct)).join(', ')} %`;
  });
}

/** The whole Markdown result file. */
export function markdownReport(report: BenchReport): string {
  const o = report.options;
  const m = report.machine;
  const parts = [
    `# flotilla bench — N=${o.n}, M=${o.m} at ${o.rate}/s`,
    '',
    `${report.startedAt} · revision ${report.revision} · ${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, ${m.platform}, open files ${m.openFiles}`,
    '',
    `\`${report.command}\``,
    '',
    markdownTable(report),
    '',
    ...(o.rounds > 1 ? [`Main load in ${o.rounds} rounds, the contenders taking turns; the table shows each one's median round by reply p99.`, '', ...roundLines(report).map((l) => `- ${l}`), ''] : []),
    `Sweep: steps of ${o.sweepStepMs} ms at ${o.sweepRates.join(', ')}/s; a step passes with reply p95 < ${o.sweepP95Ms} ms, nothing missing or lost, and the emulator sending ≥ 90 % of the rate.`,
    `Storm: every socket dropped at once with apps.connections.open limited to ${o.stormPerMinute}/min (${o.stormScope} scope). flotilla FLOTILLA_CONNECT_RATE=${o.connectRate}.`,
  ];
  const checks = targetChecks(report);
  if (checks.length > 0) parts.push('', '## Targets', '', ...checks.map((c) => `- ${c}`));
  if (report.reconcile !== null) {
    const r = report.reconcile;
    parts.push('', '## Reconcile', '',
      `${r.rows} rows (${r.database}, all disabled): supervisor.reconcile() ${r.reconcileMs.join(', ')} ms; ` +
      `${r.versionsAllMs ? `repo.listVersions() of all rows (the desired-set read with all enabled) ${r.versionsAllMs.join(', ')} ms; ` : ''}` +
      `repo.list() of all rows with decryption ${r.listAllMs.join(', ')} ms; bulk insert ${r.insertMs} ms.`);
  }
  const flotilla = report.results.find((r) => r.name === 'flotilla');
  if (flotilla !== undefined && Object.keys(flotilla.extra).length > 0) parts.push('', `flotilla at N=${flotilla.n}: ${JSON.stringify(flotilla.extra)}`);
  for (const [name, error] of Object.entries(report.errors)) parts.push('', `**${name} failed:** ${error.split('\n')[0]}`);
  return `${parts.join('\n')}\n`;
}
