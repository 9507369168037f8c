/**
 * `npm run bench -- --footprint`: what a new user meets. `flotilla start` as a real process on
 * an empty data dir (no workspaces): time until /healthz answers on the first start (initdb
 * included) and on a restart of the same data dir, and the idle memory of the whole process tree
 * (the daemon and its embedded PostgreSQL server): PSS, which shares pages fairly between the
 * server's processes, and RSS, which counts shared pages in each. With `--footprint-external URL`
 * (an admin URL of a PostgreSQL server), the same daemon on that server, for comparison (the
 * server's own memory is not counted: it is not flotilla's).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { hostCpu, stealPct } from './host.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));

/** Memory of one process tree, kB. */
export interface TreeMemory { readonly processes: number; readonly pssKb: number; readonly rssKb: number; readonly daemonPssKb: number; readonly daemonRssKb: number }

export interface FootprintRun {
  readonly database: 'embedded' | 'external';
  readonly firstStartMs: number;
  readonly restartMs: number;
  readonly idle: TreeMemory;
  readonly hostStealPct: number | null;
  readonly loadAverage: string;
}

/** Every descendant of `pid` (Linux: /proc/<pid>/task/<tid>/children). */
/** Every process below `pid` (Linux /proc; none elsewhere). */
export async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  for (const task of tasks) {
    const children = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
    for (const child of children) out.push(child, ...(await descendants(child)));
  }
  return out;
}

async function rollup(pid: number): Promise<{ pss: number; rss: number }> {
  const text = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { pss: field('Pss'), rss: field('Rss') };
}

/** Summed PSS and RSS of `pid` and all its descendants. */
export async function treeMemory(pid: number): Promise<TreeMemory> {
  const pids = [pid, ...(await descendants(pid))];
  const all = await Promise.all(pids.map(rollup));
  return {
    processes: pids.length,
    pssKb: all.reduce((sum, m) => sum + m.pss, 0),
    rssKb: all.reduce((sum, m) => sum + m.rss, 0),
    daemonPssKb: all[0]?.pss ?? 0,
    daemonRssKb: all[0]?.rss ?? 0,
  };
}

/** Starts `flotilla start`; resolves when /healthz answers 200, with the elapsed time. */
async function startUntilHealthy(env: Record<string, string>, dataDir: string): Promise<{ child: ChildProcess; ms: number }> {
  await rm(join(dataDir, 'admin-url'), { force: true });
  const startedAt = performance.now();
  const child = spawn(process.execPath, [MAIN_JS, 'start'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`flotilla start exited ${child.exitCode}: ${stderr}`);
    const url = (await readFile(join(dataDir, 'admin-url'), 'utf8').catch(() => '')).trim();
    if (url !== '') {
      const status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
      if (status === 200) return { child, ms: Math.round(performance.now() - startedAt) };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** One measurement: first start, idle settle, memory, stop, restart. */
export async function footprintRun(database: 'embedded' | 'external', externalAdminUrl: string | undefined, settleMs: number): Promise<FootprintRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-footprint-'));
  const cpuBefore = hostCpu();
  let dbName: string | undefined;
  const env: Record<string, string> = { FLOTILLA_DATA_DIR: dataDir, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', SLACK_API_URL: 'http://127.0.0.1:9/api/', LOG_LEVEL: 'warn' };
  try {
    if (database === 'external') {
      dbName = `flotilla_footprint_${randomBytes(4).toString('hex')}`;
      await adminQuery(externalAdminUrl!, `create database "${dbName}"`);
      const url = new URL(externalAdminUrl!);
      url.pathname = `/${dbName}`;
      env.DATABASE_URL = url.toString();
    }
    const first = await startUntilHealthy(env, dataDir);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const idle = await treeMemory(first.child.pid!);
    await stop(first.child);
    const again = await startUntilHealthy(env, dataDir);
    await stop(again.child);
    return {
      database, firstStartMs: first.ms, restartMs: again.ms, idle,
      hostStealPct: stealPct(cpuBefore, hostCpu()), loadAverage: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' '),
    };
  } finally {
    if (dbName) await adminQuery(externalAdminUrl!, `drop database if exists "${dbName}" with (force)`).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const mb = (kb: number): string => (kb / 1024).toFixed(1);

/** The Markdown report of several runs: each run, then medians, then the targets. */
export function footprintReport(runs: readonly FootprintRun[]): string {
  const lines = [
    '| database | run | first start → /healthz (ms) | restart → /healthz (ms) | processes | PSS total (MB) | RSS total (MB) | daemon PSS / RSS (MB) | host steal % | load avg |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  const byDb = (db: FootprintRun['database']): FootprintRun[] => runs.filter((r) => r.database === db);
  for (const db of ['embedded', 'external'] as const) {
    byDb(db).forEach((r, i) => lines.push(`| ${db} | ${i + 1} | ${r.firstStartMs} | ${r.restartMs} | ${r.idle.processes} | ${mb(r.idle.pssKb)} | ${mb(r.idle.rssKb)} | ${mb(r.idle.daemonPssKb)} / ${mb(r.idle.daemonRssKb)} | ${r.hostStealPct ?? '–'} | ${r.loadAverage} |`));
    const of = byDb(db);
    if (of.length > 0) {
      lines.push(`| ${db} | **median** | **${median(of.map((r) => r.firstStartMs))}** | **${median(of.map((r) => r.restartMs))}** | ${median(of.map((r) => r.idle.processes))} | **${mb(median(of.map((r) => r.idle.pssKb)))}** | **${mb(median(of.map((r) => r.idle.rssKb)))}** | ${mb(median(of.map((r) => r.idle.daemonPssKb)))} / ${mb(median(of.map((r) => r.idle.daemonRssKb)))} | | |`);
    }
  }
  const embedded = byDb('embedded');
  if (embedded.length > 0) {
    const check = (label: string, value: number, target: number, unit: string): string => `- ${label}: median ${value} ${unit} (target ≤ ${target} ${unit}) ${value <= target ? 'met' : 'NOT met'}`;
    lines.push('', check('idle PSS of the daemon and its embedded server', Number(mb(median(embedded.map((r) => r.idle.pssKb)))), 150, 'MB'),
      check('first start on an empty data dir until /healthz', median(embedded.map((r) => r.firstStartMs)), 4000, 'ms'),
      check('restart on an existing data dir until /healthz', median(embedded.map((r) => r.restartMs)), 1500, 'ms'));
  }
  return lines.join('\n');
}
