/**
 * `npm run bench -- --mode import [--n 1000] [--rounds 3] [--import-rates 20,200] [--import-sample 64]`:
 * N workspaces imported through the CLI's one call (`flotilla workspace add --from FILE`) into a
 * fresh `flotilla start` (its own embedded PostgreSQL server on a fresh data dir), the Slack
 * emulator in a process of its own. Times from the CLI's start: all stored (the CLI exits) and all
 * connected (the emulator counts N live Socket Mode sockets), at each FLOTILLA_CONNECT_RATE given
 * (the default, 20/s, caps 1,000 opens at 50 s by itself). For comparison, the old way on a sample:
 * one `flotilla workspace add` per workspace, 8 at a time, extrapolated to N.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchWorkspace } from './emulator-child.js';
import { ChildHandle } from './ipc.js';

const MAIN_JS = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const OLD_WAY_PARALLEL = 8;

export interface ImportBenchOptions {
  readonly n: number;
  readonly rounds: number;
  /** FLOTILLA_CONNECT_RATE values, each measured every round. */
  readonly rates: readonly number[];
  /** Workspaces added the old way (one CLI call each) per round; 0 skips it. */
  readonly sample: number;
  readonly logLevel: string;
}

export interface ImportRun {
  readonly round: number;
  readonly connectRate: number;
  /** From the CLI's start until it exited, every row stored. */
  readonly storedMs: number;
  /** From the CLI's start until N sockets were live at the emulator. */
  readonly connectedMs: number;
  readonly loadAverage: string;
}

export interface OldWayRun {
  readonly round: number;
  readonly sample: number;
  readonly elapsedMs: number;
  readonly perWorkspaceMs: number;
}

export interface ImportBenchResult {
  readonly runs: readonly ImportRun[];
  readonly oldWay: readonly OldWayRun[];
}

interface Daemon { readonly child: ChildProcess; readonly dataDir: string; readonly env: Record<string, string> }

/** Runs every round; the emulator child lives for the whole bench. */
export async function runImportBench(options: ImportBenchOptions): Promise<ImportBenchResult> {
  const emulator = await ChildHandle.start(fileURLToPath(new URL('./emulator-child.js', import.meta.url)), ['--server-ping-interval-ms', '5000']);
  const runs: ImportRun[] = [];
  const oldWay: OldWayRun[] = [];
  try {
    const apiUrl = await emulator.call<string>('apiUrl', null);
    const teams = await emulator.call<BenchWorkspace[]>('setup', { n: options.n + options.sample });
    const imported = teams.slice(0, options.n);
    const sample = teams.slice(options.n);
    const live = (): Promise<number> => emulator.call<number>('liveSockets', null);
    for (let round = 1; round <= options.rounds; round++) {
      for (const rate of options.rates) {
        const run = await importRun(round, rate, imported, apiUrl, live, options.logLevel);
        process.stderr.write(`[import] round ${round} rate ${rate}/s: stored ${run.storedMs} ms, connected ${run.connectedMs} ms (load ${run.loadAverage})\n`);
        runs.push(run);
      }
      if (sample.length > 0) {
        const run = await oldWayRun(round, sample, apiUrl, live, options.logLevel);
        process.stderr.write(`[import] round ${round} old way: ${run.sample} adds in ${run.elapsedMs} ms, ${run.perWorkspaceMs} ms per workspace\n`);
        oldWay.push(run);
      }
    }
    return { runs, oldWay };
  } finally {
    await emulator.stop(30_000);
  }
}

async function importRun(round: number, rate: number, teams: readonly BenchWorkspace[], apiUrl: string, live: () => Promise<number>, logLevel: string): Promise<ImportRun> {
  const daemon = await startDaemon(apiUrl, rate, logLevel);
  try {
    const file = join(daemon.dataDir, 'import.jsonl');
    await writeFile(file, teams.map((t) => JSON.stringify({ botToken: t.botToken, appToken: t.appToken })).join('\n') + '\n', { mode: 0o600 });
    const startedAt = performance.now();
    const cli = await runCli(['workspace', 'add', '--from', file], daemon.env);
    const storedMs = Math.round(performance.now() - startedAt);
    const added = cli.stdout.split('\n').filter((line) => /^[TE][A-Z0-9]+$/.test(line)).length;
    if (cli.code !== 0 || added !== teams.length) throw new Error(`the import exited ${cli.code} with ${added} of ${teams.length} added: ${cli.stderr.slice(0, 500)}`);
    await waitFor(async () => (await live()) >= teams.length, 600_000, 'every socket live');
    const connectedMs = Math.round(performance.now() - startedAt);
    return { round, connectRate: rate, storedMs, connectedMs, loadAverage: loadavg().map((l) => l.toFixed(2)).join(' ') };
  } finally {
    await stopDaemon(daemon);
    await waitFor(async () => (await live()) === 0, 60_000, 'every socket closed');
  }
}

async function oldWayRun(round: number, teams: readonly BenchWorkspace[], apiUrl: string, live: () => Promise<number>, logLevel: string): Promise<OldWayRun> {
  const daemon = await startDaemon(apiUrl, 20, logLevel);
  try {
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: OLD_WAY_PARALLEL }, async () => {
      while (next < teams.length) {
        const team = teams[next++]!;
        const cli = await runCli(['workspace', 'add', '--bot-token', team.botToken, '--app-token', team.appToken], daemon.env);
        if (cli.code !== 0) throw new Error(`workspace add exited ${cli.code}: ${cli.stderr.slice(0, 300)}`);
      }
    }));
    const elapsedMs = Math.round(performance.now() - startedAt);
    return { round, sample: teams.length, elapsedMs, perWorkspaceMs: Math.round(elapsedMs / teams.length) };
  } finally {
    await stopDaemon(daemon);
    await waitFor(async () => (await live()) === 0, 60_000, 'every socket closed');
  }
}

/** `flotilla start` on a fresh data dir (its own embedded PostgreSQL server); resolves once /readyz says ready. */
async function startDaemon(apiUrl: string, rate: number, logLevel: string): Promise<Daemon> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-bench-import-'));
  const env = {
    PATH: process.env.PATH ?? '', FLOTILLA_DATA_DIR: dataDir, SLACK_API_URL: apiUrl, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0',
    FLOTILLA_CONNECT_RATE: String(rate), LOG_LEVEL: logLevel, FLOTILLA_INSTANCE_ID: 'bench-import',
  };
  const child = spawn(process.execPath, [MAIN_JS, 'start'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`flotilla start exited ${child.exitCode}: ${stderr}`);
    const url = (await readFile(join(dataDir, 'admin-url'), 'utf8').catch(() => '')).trim();
    return url !== '' && (await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200;
  }, 120_000, 'flotilla start ready');
  return { child, dataDir, env };
}

/** How long a SIGTERM may take before the second signal (flotilla then exits at once). */
const STOP_GRACE_MS = 60_000;

/** SIGTERM, and a second one if the drain takes longer than STOP_GRACE_MS (said on stderr: it is a finding). */
async function stopDaemon(daemon: Daemon): Promise<void> {
  if (daemon.child.exitCode === null) {
    const exited = new Promise((resolve) => daemon.child.once('exit', resolve));
    daemon.child.kill('SIGTERM');
    const late = await Promise.race([exited.then(() => false), new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS, true))]);
    if (late) {
      process.stderr.write(`[import] flotilla did not stop within ${STOP_GRACE_MS} ms of SIGTERM: sending the second signal\n`);
      daemon.child.kill('SIGTERM');
      await exited;
    }
  }
  // A second signal leaves the embedded server to the next start's orphan check: stop it here.
  await stopOrphanedServer(join(daemon.dataDir, 'pgdata'));
  await rm(daemon.dataDir, { recursive: true, force: true });
}

async function stopOrphanedServer(pgdata: string): Promise<void> {
  const pid = Number((await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  await waitFor(async () => {
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  }, 30_000, 'the orphaned embedded server stopping');
}

function runCli(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** The report: every run, the median per rate, the old way extrapolated, and the target checked. */
export function importMarkdown(result: ImportBenchResult, options: ImportBenchOptions, header: string): string {
  const lines = [header, '', '| round | FLOTILLA_CONNECT_RATE | all stored | all connected | load average |', '|---:|---:|---:|---:|---|'];
  for (const run of result.runs) {
    lines.push(`| ${run.round} | ${run.connectRate}/s | ${(run.storedMs / 1000).toFixed(2)} s | ${(run.connectedMs / 1000).toFixed(2)} s | ${run.loadAverage} |`);
  }
  lines.push('', `Medians over ${options.rounds} round(s), ${options.n} workspaces, target: all connected within 20 s:`, '');
  for (const rate of options.rates) {
    const runs = result.runs.filter((run) => run.connectRate === rate);
    if (runs.length === 0) continue;
    const connected = median(runs.map((run) => run.connectedMs));
    // Each new worker takes two paced steps (its auth.test, then apps.connections.open): the floor.
    const floorS = (2 * options.n) / rate;
    lines.push(`- at ${rate}/s: stored ${(median(runs.map((run) => run.storedMs)) / 1000).toFixed(2)} s, connected ${(connected / 1000).toFixed(2)} s (pacing floor 2 × ${options.n} / ${rate} = ${floorS.toFixed(1)} s): ${connected <= 20_000 ? 'meets' : 'misses'} the target`);
  }
  if (result.oldWay.length > 0) {
    const per = median(result.oldWay.map((run) => run.perWorkspaceMs));
    lines.push(`- the old way (one \`workspace add\` per workspace, ${OLD_WAY_PARALLEL} in parallel, ${result.oldWay[0]!.sample} per round): ${per} ms per workspace, about ${((per * options.n) / 1000).toFixed(0)} s for ${options.n} (stored, before any connect wait)`);
  }
  return `${lines.join('\n')}\n`;
}
