/**
 * `npm run bench -- --dashboard [--n 10000]`: the dashboard at N workspaces,
 * in Debian's chromium. The N workspaces are real: flotilla (the daemon, in a
 * process of its own) connects N emulated Slack workspaces, as the main bench
 * does, so the page reads the real `GET /v1/workspaces` and live stream.
 * Measured: sign-in to the first page of rows, each filter / sort / page turn
 * to its painted frame, the page's main-thread share and bytes under a mention
 * load, and how long after the daemon the page shows a restart of all N done.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchBrowser, type Browser } from './chromium.js';
import { measure, PageMeter, shownCount, signIn, takeLongTasks, watchLongTasks, type Interaction } from './dashboard-page.js';
import type { BenchWorkspace } from './emulator-child.js';
import { ChildHandle } from './ipc.js';
import type { LoadOptions, LoadResult } from './load.js';
import type { BenchOptions } from './options.js';

/** What the dashboard promises at N = 10,000 (README, "Dashboard"). */
export const DASHBOARD_BUDGET = {
  /** Token submitted → first page of rows on screen (fetch, parse, sort, render of all N). */
  signInMs: 1_500,
  /** A filter, sort or page turn → its frame painted ("instant"). */
  interactionMs: 100,
  /** Share of the page's main thread used while the fleet answers the mention load. */
  liveBusyPct: 10,
  /** The daemon has every workspace connected again → the page shows it. */
  stormLagMs: 2_000,
} as const;

const REPEATS = 5;
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const log = (text: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] dashboard: ${text}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

/** The interactions timed, each `REPEATS` times; every one undoes the one before, so each does real work. */
function interactions(n: number): Array<[name: string, action: Interaction]> {
  return [
    ['text filter "bench 99"', { kind: 'text', value: 'bench 99' }],
    [`clear text filter (back to ${n})`, { kind: 'text', value: '' }],
    ['text filter, no match', { kind: 'text', value: 'no such team' }],
    ['clear text filter', { kind: 'text', value: '' }],
    ['state filter: backoff (none)', { kind: 'state', value: 'backoff' }],
    [`state filter: all (${n})`, { kind: 'state', value: '' }],
    ['sort by name', { kind: 'sort', column: 'teamName' }],
    ['sort by last event', { kind: 'sort', column: 'lastEvent' }],
    ['sort by restarts', { kind: 'sort', column: 'restarts' }],
    ['sort by team', { kind: 'sort', column: 'teamId' }],
    ['next page', { kind: 'click', id: 'next-page' }],
    ['previous page', { kind: 'click', id: 'prev-page' }],
    ['500 rows per page', { kind: 'pageSize', value: '500' }],
    ['100 rows per page', { kind: 'pageSize', value: '100' }],
  ];
}

export interface DashboardReport {
  readonly n: number;
  /** The commit measured, the command, the machine's CPUs and the browser. */
  readonly meta: Record<string, unknown>;
  readonly budget: typeof DASHBOARD_BUDGET;
  readonly signInMs: number[];
  readonly interactionsMs: Record<string, number[]>;
  readonly live: { rate: number; mentions: number; missingReplies: number; busyPct: number; bytesPerSecond: number; heapMb: number; longTasksMs: number[] };
  readonly storm: {
    daemonBackMs: number | null; pageBackMs: number | null; lagMs: number | null; busyPct: number; longTasksMs: number[];
    /** Whether the page said it had lost the daemon meanwhile (its stream cut, or silent for 10 s). */
    pageLostDaemon: boolean;
  };
}

/** Runs the dashboard benchmark; writes JSON and Markdown to `outDir`; rejects when a step fails. */
export async function runDashboardBench(o: BenchOptions, meta: Record<string, unknown>): Promise<{ report: DashboardReport; markdown: string; files: string[] }> {
  const emulator = await ChildHandle.start(here('./emulator-child.js'), ['--server-ping-interval-ms', String(o.serverPingMs)]);
  let contender: ChildHandle | undefined;
  let browser: Browser | undefined;
  try {
    contender = await ChildHandle.start(here('./contender-child.js'), ['--kind', 'flotilla', '--connect-rate', String(o.connectRate)], { execArgv: ['--expose-gc'] });
    const workspaces = await emulator.call<BenchWorkspace[]>('setup', { n: o.n });
    await contender.call('init', { apiUrl: await emulator.call<string>('apiUrl') });
    await contender.call('prepare', { workspaces });
    log(`connecting ${o.n} workspaces`);
    await contender.call('connect');
    const { url, token } = await contender.call<{ url: string; token: string }>('admin');
    browser = await launchBrowser();
    // The load average says how much of the 2 cores others (other processes on the host) took meanwhile.
    const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model.trim() ?? 'unknown', node: process.version, loadAverageAtStart: loadavg()[0] };
    const report = await measureAll(browser, url, token, o, emulator, contender, { ...meta, ...machine, startedAt: new Date().toISOString() });
    return { report, ...(await write(report, o)) };
  } finally {
    await browser?.close();
    await contender?.stop(60_000);
    await emulator.stop();
  }
}

async function measureAll(
  browser: Browser, url: string, token: string, o: BenchOptions, emulator: ChildHandle, contender: ChildHandle, meta: Record<string, unknown>,
): Promise<DashboardReport> {
  const signInMs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const fresh = await browser.context.newPage(); // a new tab: signed out (the token is per tab)
    signInMs.push(await signIn(fresh, url, token, o.n));
    await fresh.close();
  }
  log(`sign-in to ${o.n} rows on screen: ${signInMs.join(', ')} ms`);
  const page = await browser.context.newPage();
  const meter = await PageMeter.attach(page);
  const agent = String(await page.evaluate('navigator.userAgent'));
  const withBrowser = { ...meta, browser: /Chrome\/([\d.]+)/.exec(agent)?.[1] ?? agent };
  await signIn(page, url, token, o.n);
  await watchLongTasks(page);
  const interactionsMs: Record<string, number[]> = {};
  for (let i = 0; i < REPEATS; i++) {
    for (const [name, action] of interactions(o.n)) (interactionsMs[name] ??= []).push(await measure(page, action));
  }
  for (const [name, ms] of Object.entries(interactionsMs)) log(`${name}: ${ms.join(', ')} ms`);
  await takeLongTasks(page);
  const live = await liveLoad(page, meter, o, emulator);
  const storm = await restartAll(page, meter, o.n, contender);
  return { n: o.n, meta: { ...withBrowser, loadAverageAtEnd: loadavg()[0] }, budget: DASHBOARD_BUDGET, signInMs, interactionsMs, live, storm };
}

/** The mention load of the main bench (R/s) for 35 s: it spans one of the page's full reloads (every 30 s). */
async function liveLoad(page: Page, meter: PageMeter, o: BenchOptions, emulator: ChildHandle): Promise<DashboardReport['live']> {
  const mentions = Math.round(o.rate * (o.quick ? 5 : 35));
  const start = await meter.read();
  const load = await emulator.call<LoadResult>('load', { rate: o.rate, count: mentions, drainMs: 1_000, ackLostMs: 3_000 } satisfies LoadOptions);
  const used = await meter.since(start);
  const longTasksMs = await takeLongTasks(page);
  log(`live at ${o.rate} mentions/s: page busy ${used.busyPct} %, ${used.bytesPerSecond} B/s received, heap ${used.heapMb} MB, long tasks ${longTasksMs.join(', ') || 'none'}`);
  return { rate: o.rate, mentions: load.sent, missingReplies: load.missingReplies, busyPct: used.busyPct, bytesPerSecond: used.bytesPerSecond, heapMb: used.heapMb, longTasksMs };
}

/**
 * Restart all from the page: when the daemon has all N connected again, and
 * when the page shows all N connected with every row's restart count up (the
 * table sorted by restarts, ascending: its first row is the least restarted).
 */
async function restartAll(page: Page, meter: PageMeter, n: number, contender: ChildHandle): Promise<DashboardReport['storm']> {
  while (await page.getAttribute('th:has(button[data-sort="restarts"])', 'aria-sort') !== 'ascending') await page.click('button[data-sort="restarts"]');
  const fewestRestarts = async (): Promise<number> => Number(await page.textContent('#rows tr:first-child td.restarts'));
  const before = await fewestRestarts();
  const transitions = await contender.call<number>('transitionsToConnected');
  const start = await meter.read();
  await page.click('#restart-all');
  await page.click('#confirm-yes');
  const t0 = Date.now();
  let daemonBackMs: number | null = null;
  let pageBackMs: number | null = null;
  let pageLostDaemon = false;
  while (Date.now() - t0 < 5 * 60_000 && (daemonBackMs === null || pageBackMs === null)) {
    const [daemon, reconnected, shown, fewest, status] = await Promise.all([
      contender.call<number>('connectedCount'), contender.call<number>('transitionsToConnected'), shownCount(page, 'connected'), fewestRestarts(),
      page.getAttribute('#connection', 'class'),
    ]);
    pageLostDaemon ||= status?.includes('lost') ?? false;
    if (daemon >= n && reconnected >= transitions + n) daemonBackMs ??= Date.now() - t0;
    if (shown >= n && fewest > before) pageBackMs ??= Date.now() - t0;
    await sleep(50);
  }
  const used = await meter.since(start);
  const longTasksMs = await takeLongTasks(page);
  const lagMs = daemonBackMs === null || pageBackMs === null ? null : pageBackMs - daemonBackMs;
  log(`restart all: daemon back in ${daemonBackMs ?? 'TIMEOUT'} ms, page shows it ${lagMs ?? '?'} ms later${pageLostDaemon ? ' (the page lost the daemon meanwhile)' : ''}; page busy ${used.busyPct} %, long tasks ${longTasksMs.join(', ') || 'none'}`);
  return { daemonBackMs, pageBackMs, lagMs, busyPct: used.busyPct, longTasksMs, pageLostDaemon };
}

/** The Markdown table: median and worst of each measure against its budget. */
export function dashboardMarkdown(r: DashboardReport): string {
  const b = r.budget;
  const row = (name: string, values: readonly number[], budget: number, unit: string): string => {
    const worst = Math.max(...values);
    return `| ${name} | ${median(values)} ${unit} | ${worst} ${unit} | ≤ ${budget} ${unit} | ${worst <= budget ? 'met' : 'MISSED'} |`;
  };
  const lines = [
    `Dashboard at N=${r.n.toLocaleString('en')} (median and worst of ${REPEATS}; interactions: to the painted frame)`, '',
    `\`${String(r.meta['command'])}\`, build of ${String(r.meta['revision'])}, ${String(r.meta['cpus'])} × ${String(r.meta['cpuModel'])}, Node ${String(r.meta['node'])}, Chromium ${String(r.meta['browser'])}, ${String(r.meta['startedAt'])}, `
      + `load average ${Number(r.meta['loadAverageAtStart']).toFixed(1)} at the start, ${Number(r.meta['loadAverageAtEnd']).toFixed(1)} at the end`, '',
    '| measure | median | worst | budget | |', '|---|---:|---:|---:|---|',
    row('sign-in → first page of rows on screen', r.signInMs, b.signInMs, 'ms'),
    ...Object.entries(r.interactionsMs).map(([name, values]) => row(name, values, b.interactionMs, 'ms')),
    row(`page main thread busy, ${r.live.rate} mentions/s for ${r.live.mentions} mentions`, [r.live.busyPct], b.liveBusyPct, '%'),
    row(`restart all ${r.n.toLocaleString('en')}: page shows all connected after the daemon`, [r.storm.lagMs ?? Infinity], b.stormLagMs, 'ms'),
    '',
    `Live: ${r.live.bytesPerSecond.toLocaleString('en')} B/s received by the page, JS heap ${r.live.heapMb} MB, long tasks ${r.live.longTasksMs.join(', ') || 'none'} ms; ${r.live.missingReplies} replies missing.`,
    `Restart all: the daemon had all ${r.n.toLocaleString('en')} connected again after ${r.storm.daemonBackMs ?? 'TIMEOUT'} ms, the page showed it after ${r.storm.pageBackMs ?? 'TIMEOUT'} ms; ${r.storm.pageLostDaemon ? 'the page lost the daemon meanwhile (its stream cut, or silent for 10 s); ' : ''}page busy ${r.storm.busyPct} % meanwhile, long tasks ${r.storm.longTasksMs.join(', ') || 'none'} ms.`,
  ];
  return `${lines.join('\n')}\n`;
}

async function write(report: DashboardReport, o: BenchOptions): Promise<{ markdown: string; files: string[] }> {
  await mkdir(o.outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const base = join(o.outDir, `dashboard-${stamp}-n${o.n}${o.label === '' ? '' : `-${o.label}`}`);
  const markdown = dashboardMarkdown(report);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdown);
  return { markdown, files: [`${base}.json`, `${base}.md`] };
}
