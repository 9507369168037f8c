/**
 * `npm run bench -- --instances 3 --n 1000`: several `flotilla start` processes on one PostgreSQL
 * database (a fresh one on DATABASE_URL's server), the emulator in a process of its own. Measures
 * the time to all connected and the fairness of the shares, the database statements each instance
 * makes at steady state, and the takeover after kill -9 and after SIGTERM under load: per
 * workspace of the instance that went, from the signal to its first new socket (p50, max), and
 * the replies missing or duplicated across it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.js';
import { leaseTimings } from '../../src/fleet/lease-keeper.js';
import { silentLogger } from '../../src/lib/logger.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { insertRows } from './contenders/flotilla.js';
import type { BenchWorkspace } from './emulator-child.js';
import { ChildHandle } from './ipc.js';
import type { LoadResult } from './load.js';
import { summarize, type LatencySummary } from './stats.js';

export interface InstancesOptions {
  readonly n: number;
  readonly instances: number;
  readonly ttlMs: number;
  readonly connectRate: number;
  /** Mentions per second during each takeover. */
  readonly takeoverRate: number;
  /** How long the steady state is watched for statements per second. */
  readonly steadyMs: number;
  readonly serverPingMs: number;
  readonly outDir: string;
}

/** One takeover: of the instance that went, per workspace from the signal to its first new socket. */
export interface Takeover {
  readonly victim: string;
  readonly connections: number;
  readonly takeoverMs: LatencySummary;
  /** Workspaces not taken over when the load ended. */
  readonly notTakenOver: number;
  readonly load: Pick<LoadResult, 'sent' | 'missingReplies' | 'duplicateReplies' | 'reply'>;
  readonly exitCode: number | null;
}

export interface InstancesResult {
  readonly allConnectedMs: number;
  /** From the first spawn until every instance holds ceil or floor of N / instances. */
  readonly fairMs: number | null;
  readonly shares: Record<string, number>;
  /** Statements per second on the coordination tables, per instance, by kind, at steady state. */
  readonly steady: { readonly windowMs: number; readonly perInstance: Record<string, Record<string, number>>; readonly dbTransactionsPerSec: number };
  readonly renewEveryMs: number;
  readonly kill9: Takeover;
  /** The killed instance started again: from its start until the shares are fair again. */
  readonly rejoinFairMs: number | null;
  readonly sigterm: Takeover;
  /** Apps that ever had two sockets open at once (Socket Mode: harmless, but never expected). */
  readonly doubledApps: readonly string[];
  readonly logs: string;
}

const MAIN = fileURLToPath(new URL('../../src/main.js', import.meta.url));
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] instances: ${text}\n`);

async function until(predicate: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<number> {
  const startedAt = Date.now();
  for (;;) {
    if (await predicate()) return Date.now() - startedAt;
    if (Date.now() - startedAt > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

interface Running { readonly id: string; readonly child: ChildProcess; readonly dataDir: string; readonly exited: Promise<number | null>; adminUrl: string }

/** The fleet under test: processes, their admin APIs, the database. */
class Bench {
  readonly running = new Map<string, Running>();
  readonly token = randomBytes(24).toString('hex');
  readonly key = SecretBox.generateKey();

  constructor(readonly o: InstancesOptions, readonly url: string, readonly apiUrl: string, readonly logDir: string) {}

  async start(id: string): Promise<Running> {
    const dataDir = await mkdtemp(join(tmpdir(), `flotilla-bench-${id}-`));
    const child = spawn(process.execPath, [MAIN, 'start'], {
      env: {
        PATH: process.env.PATH ?? '', DATABASE_URL: this.url, FLOTILLA_DATA_DIR: dataDir, SLACK_API_URL: this.apiUrl,
        FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', FLOTILLA_INSTANCE_ID: id, FLOTILLA_LEASE_TTL_MS: String(this.o.ttlMs),
        FLOTILLA_ENCRYPTION_KEY: this.key, FLOTILLA_ADMIN_TOKEN: this.token, FLOTILLA_CONNECT_RATE: String(this.o.connectRate),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = createWriteStream(join(this.logDir, `${id}-${Date.now()}.log`));
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const running: Running = { id, child, dataDir, exited, adminUrl: '' };
    this.running.set(id, running);
    void (async () => {
      await until(async () => (running.adminUrl = (await readFile(join(dataDir, 'admin-url'), 'utf8').catch(() => '')).trim()) !== '', 120_000, `${id} listening`).catch(() => undefined);
    })();
    return running;
  }

  live(): Running[] {
    return [...this.running.values()].filter((r) => r.child.exitCode === null && r.child.signalCode === null && r.adminUrl !== '');
  }

  async api<T>(r: Running, path: string): Promise<T> {
    const response = await fetch(`${r.adminUrl}${path}`, { headers: { authorization: `Bearer ${this.token}` } });
    if (!response.ok) throw new Error(`${r.id} ${path}: HTTP ${response.status}`);
    return (path === '/metrics' ? response.text() : response.json()) as Promise<T>;
  }

  /** Connections per live instance, as the database says. */
  async shares(): Promise<Record<string, number>> {
    const [first] = this.live();
    if (!first) return {};
    const { instances } = await this.api<{ instances: Array<{ id: string; connections: number }> }>(first, '/v1/instances');
    const live = new Set(this.live().map((r) => r.id));
    return Object.fromEntries(instances.filter((i) => live.has(i.id)).map((i) => [i.id, i.connections]));
  }

  async isFair(count: number): Promise<boolean> {
    const shares = Object.values(await this.shares());
    return shares.length === count && shares.reduce((a, b) => a + b, 0) === this.o.n
      && Math.max(...shares) <= Math.ceil(this.o.n / count) && Math.min(...shares) >= Math.floor(this.o.n / count);
  }

  /** Every `flotilla_coordination_statements_total` sample of an instance, by kind. */
  async statements(r: Running): Promise<Record<string, number>> {
    const text = await this.api<string>(r, '/metrics');
    const out: Record<string, number> = {};
    for (const match of text.matchAll(/^flotilla_coordination_statements_total\{kind="(\w+)"\} (\d+(?:\.\d+)?)$/gm)) out[match[1]!] = Number(match[2]);
    return out;
  }

  async stopAll(): Promise<void> {
    for (const r of this.running.values()) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    const all = Promise.all([...this.running.values()].map((r) => r.exited));
    await Promise.race([all, sleep(30_000)]);
    for (const r of this.running.values()) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    for (const r of this.running.values()) await rm(r.dataDir, { recursive: true, force: true });
  }
}

async function transactions(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('select xact_commit + xact_rollback as n from pg_stat_database where datname = current_database()');
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * One takeover: load on every workspace, `signal` to the instance holding the most connections
 * after a few seconds, until the load drains (it waits for Slack's redeliveries).
 */
async function takeover(bench: Bench, emulator: ChildHandle, signal: 'SIGKILL' | 'SIGTERM'): Promise<Takeover> {
  const shares = await bench.shares();
  const victimId = Object.entries(shares).sort((a, b) => b[1] - a[1])[0]![0];
  const victim = bench.running.get(victimId) as Running;
  const { workspaces } = await bench.api<{ workspaces: Array<{ teamId: string; owner: string | null }> }>(bench.live().find((r) => r.id !== victimId) as Running, '/v1/workspaces');
  const teams = new Set(workspaces.filter((w) => w.owner === victimId).map((w) => w.teamId));
  const apps = (await emulator.call<BenchWorkspace[]>('setup', { n: bench.o.n })).filter((w) => teams.has(w.teamId)).map((w) => w.appId);
  const seconds = 4 + bench.o.ttlMs / 1000 + 6;
  const loading = emulator.call<LoadResult>('load', {
    rate: bench.o.takeoverRate, count: Math.round(bench.o.takeoverRate * seconds), drainMs: bench.o.ttlMs + 20_000, ackLostMs: 3_000,
  });
  await sleep(4_000);
  const signalledAt = Date.now();
  victim.child.kill(signal);
  log(`${signal} to ${victimId} (${apps.length} connections)`);
  const load = await loading;
  const firsts = await emulator.call<Record<string, number | null>>('firstOpensSince', { since: signalledAt });
  const times = apps.map((appId) => firsts[appId]).filter((at): at is number => typeof at === 'number').map((at) => at - signalledAt);
  const exitCode = await victim.exited;
  return {
    victim: victimId, connections: apps.length, takeoverMs: summarize(times), notTakenOver: apps.length - times.length,
    load: { sent: load.sent, missingReplies: load.missingReplies, duplicateReplies: load.duplicateReplies, reply: load.reply }, exitCode,
  };
}

/** Runs the instances mode end to end; every process is stopped and the database dropped, even on failure. */
export async function runInstancesBench(o: InstancesOptions): Promise<InstancesResult> {
  const serverUrl = process.env['DATABASE_URL'] || process.env['TEST_DATABASE_URL'];
  if (!serverUrl) throw new Error('the instances mode needs a PostgreSQL server: set DATABASE_URL (the embedded database serves one instance)');
  const name = `flotilla_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  const url = Object.assign(new URL(serverUrl), { pathname: `/${name}` }).toString();
  const emulator = await ChildHandle.start(here('./emulator-child.js'), [
    '--server-ping-interval-ms', String(o.serverPingMs), '--redeliver-unacked-after-ms', '3000',
  ]);
  // The daemons' logs (info level), kept out of the results directory.
  const logDir = await mkdtemp(join(tmpdir(), 'flotilla-bench-instances-logs-'));
  const bench = new Bench(o, url, await emulator.call<string>('apiUrl'), logDir);
  const cleanUp = async (): Promise<void> => {
    await bench.stopAll();
    await emulator.stop();
    await admin.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
  };
  // Ctrl-C must not leave daemons running and a database behind.
  const onSignal = (): void => void cleanUp().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const workspaces = await emulator.call<BenchWorkspace[]>('setup', { n: o.n });
    const db = await openDatabase({ target: url, logger: silentLogger() });
    try {
      await db.migrate();
      await insertRows(db.kysely, bench.key, workspaces, true);
    } finally {
      await db.close();
    }
    return await measure(bench, emulator, url, logDir);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }
}

async function measure(bench: Bench, emulator: ChildHandle, url: string, logDir: string): Promise<InstancesResult> {
  const o = bench.o;
  const ids = Array.from({ length: o.instances }, (_, i) => `b${i + 1}`);
  for (const id of ids) await bench.start(id);
  const allConnectedMs = await until(async () => (await emulator.call<number>('liveSockets')) >= o.n, 600_000, 'all connected');
  log(`all ${o.n} connected in ${allConnectedMs} ms`);
  const fairMs = await until(() => bench.isFair(o.instances), 300_000, 'fair shares').then((ms) => allConnectedMs + ms, () => null);
  const shares = await bench.shares();
  log(`fair after ${fairMs} ms: ${JSON.stringify(shares)}`);

  await sleep(5_000);
  const before = new Map(await Promise.all(bench.live().map(async (r) => [r.id, await bench.statements(r)] as const)));
  const xact0 = await transactions(url);
  const startedAt = Date.now();
  await sleep(o.steadyMs);
  const after = new Map(await Promise.all(bench.live().map(async (r) => [r.id, await bench.statements(r)] as const)));
  const windowMs = Date.now() - startedAt;
  const dbTransactionsPerSec = Math.round(((await transactions(url)) - xact0) / (windowMs / 1000) * 10) / 10;
  const perInstance: Record<string, Record<string, number>> = {};
  for (const [id, end] of after) {
    const start = before.get(id) ?? {};
    perInstance[id] = Object.fromEntries(Object.entries(end).map(([kind, n]) => [kind, Math.round((n - (start[kind] ?? 0)) / (windowMs / 1000) * 100) / 100]));
  }
  log(`steady state over ${windowMs} ms: ${JSON.stringify(perInstance)}; database ${dbTransactionsPerSec} transactions/s`);

  const kill9 = await takeover(bench, emulator, 'SIGKILL');
  log(`kill -9 takeover: p50 ${kill9.takeoverMs.p50} ms, max ${kill9.takeoverMs.max} ms; missing ${kill9.load.missingReplies}, duplicated ${kill9.load.duplicateReplies}`);
  await until(async () => (await emulator.call<number>('liveSockets')) >= o.n, 120_000, 'all connected after kill -9');
  const rejoinAt = Date.now();
  await bench.start(kill9.victim);
  const rejoinFairMs = await until(() => bench.isFair(o.instances), 300_000, 'fair after rejoin').then(() => Date.now() - rejoinAt, () => null);
  log(`rejoined; fair again after ${rejoinFairMs} ms`);
  await until(async () => (await emulator.call<number>('liveSockets')) >= o.n, 120_000, 'all connected after rejoin');

  const sigterm = await takeover(bench, emulator, 'SIGTERM');
  log(`SIGTERM takeover: p50 ${sigterm.takeoverMs.p50} ms, max ${sigterm.takeoverMs.max} ms; missing ${sigterm.load.missingReplies}, duplicated ${sigterm.load.duplicateReplies}`);
  const doubledApps = await emulator.call<string[]>('doubledApps');
  return {
    allConnectedMs, fairMs, shares, steady: { windowMs, perInstance, dbTransactionsPerSec },
    renewEveryMs: leaseTimings(o.ttlMs).renewEveryMs, kill9, rejoinFairMs, sigterm, doubledApps, logs: logDir,
  };
}
