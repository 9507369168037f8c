/**
 * flotilla as it runs in production: the real Daemon (supervisor, workers, dispatcher, database),
 * workspaces as rows in its database: its own embedded PostgreSQL server in a temp dir unless DATABASE_URL is set.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { adminTokenPath } from '../../../src/admin/admin-files.js';
import { loadConfig } from '../../../src/config.js';
import { Daemon } from '../../../src/daemon.js';
import type { Schema } from '../../../src/db/schema.js';
import { tuneGarbageCollector } from '../../../src/lib/gc-tuning.js';
import { createLogger } from '../../../src/lib/logger.js';
import { SecretBox } from '../../../src/lib/secret-box.js';
import { connectionKey } from '../../../src/slack/connection-key.js';
import type { BenchWorkspace } from '../emulator-child.js';
import { treeMemory } from '../footprint.js';
import { until, type Contender } from './contender.js';

/** Rows per INSERT when loading workspaces in bulk. */
const INSERT_CHUNK = 500;

/** Where rows are inserted: sealed exactly as WorkspaceRepository.upsert seals them. */
export interface BulkRow { readonly teamId: string; readonly teamName: string; readonly botToken: string; readonly appToken: string; readonly appId: string; readonly botUserId: string; readonly botId: string }

/** Inserts rows in bulk (the repository has no bulk path; its per-row upsert costs a round trip each). */
export async function insertRows(kysely: Kysely<Schema>, key: string, rows: readonly BulkRow[], enabled: boolean): Promise<void> {
  const box = new SecretBox(key);
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK).map((w) => ({
      team_id: w.teamId,
      team_name: w.teamName,
      team_domain: null,
      transport: 'socket-mode' as const,
      // The context strings mirror src/db/workspace-repository.ts (botContext / appContext).
      bot_token_enc: box.seal(w.botToken, `workspaces.bot_token:${w.teamId}`),
      app_token_enc: box.seal(w.appToken, `workspaces.app_token:${w.teamId}`),
      app_id: w.appId,
      bot_user_id: w.botUserId,
      bot_id: w.botId,
      enabled,
      connection_key: connectionKey(w.teamId, { transport: 'socket-mode', appToken: w.appToken }),
    }));
    await kysely.insertInto('workspaces').values(chunk).execute();
  }
}

/**
 * Starts a daemon on a fresh data dir (or DATABASE_URL) with logs at `error`, its garbage collector
 * tuned as `flotilla start` tunes it; `env` adds settings (the HTTP mode's public listener).
 */
export async function startDaemon(apiUrl: string, connectRate: number, env: NodeJS.ProcessEnv = {}): Promise<{ daemon: Daemon; key: string; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  const key = SecretBox.generateKey();
  const config = loadConfig({
    DATABASE_URL: process.env['DATABASE_URL'],
    FLOTILLA_DATA_DIR: dataDir,
    SLACK_API_URL: apiUrl,
    LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'error',
    FLOTILLA_CONNECT_RATE: String(connectRate),
    FLOTILLA_POLL_INTERVAL_MS: String(86_400_000),
    FLOTILLA_ENCRYPTION_KEY: key,
    // A random port: the admin API runs as in production, without colliding with another daemon.
    FLOTILLA_ADMIN_ADDR: '127.0.0.1:0',
    FLOTILLA_HEAP_GROWTH_PERCENT: process.env['FLOTILLA_HEAP_GROWTH_PERCENT'],
    ...env,
  });
  // As `flotilla start` does (src/main.ts): this process is the daemon's.
  tuneGarbageCollector({ heapGrowthPercent: config.heapGrowthPercent });
  const logger = createLogger({ level: config.logLevel, destination: process.stderr });
  const daemon = await Daemon.start({ config, logger });
  return { daemon, key, dataDir };
}

/** Times `supervisor.reconcile()` `times` times; returns each duration in ms. */
export async function timeReconcile(daemon: Daemon, times: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    await daemon.supervisor.reconcile();
    out.push(Math.round((performance.now() - t0) * 100) / 100);
  }
  return out;
}

export class FlotillaContender implements Contender {
  #daemon: Daemon | undefined;
  #key = '';
  #dataDir = '';
  #count = 0;
  /** Kept from `worker:state` events, so the bench never polls statuses() of N workers inside the measured process. */
  readonly #connected = new Set<string>();
  #transitionsToConnected = 0;

  constructor(private readonly connectRate: number) {}

  async init(apiUrl: string): Promise<void> {
    const started = await startDaemon(apiUrl, this.connectRate);
    this.#daemon = started.daemon;
    this.#key = started.key;
    this.#dataDir = started.dataDir;
    started.daemon.events.on('worker:state', (teamId, _from, to) => {
      if (to === 'connected') {
        this.#connected.add(teamId);
        this.#transitionsToConnected += 1;
      }
      else this.#connected.delete(teamId);
    });
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    await insertRows(this.#need().db.kysely, this.#key, workspaces, true);
    this.#count = workspaces.length;
  }

  async connect(): Promise<void> {
    const daemon = this.#need();
    await daemon.supervisor.reconcile();
    await until(() => this.connectedCount() >= this.#count, 30 * 60_000, 'flotilla workers connected', 200);
  }

  connectedCount(): number {
    return this.#connected.size;
  }

  async extra(): Promise<Record<string, unknown>> {
    const t0 = performance.now();
    const rows = await this.#need().repo.list({ enabledOnly: true });
    const listMs = Math.round((performance.now() - t0) * 100) / 100;
    // The embedded server's processes are not in this process's RSS: report them beside it.
    const serverPid = this.#need().server?.pid;
    const server = serverPid === undefined ? null : await treeMemory(serverPid);
    return {
      reconcileNoChangeMs: await timeReconcile(this.#need(), 3), repoListMs: listMs, rows: rows.length,
      embeddedServer: server === null ? null : { processes: server.processes, pssMb: Math.round(server.pssKb / 102.4) / 10, rssMb: Math.round(server.rssKb / 102.4) / 10 },
    };
  }

  transitionsToConnected(): number {
    return this.#transitionsToConnected;
  }

  async admin(): Promise<{ url: string; token: string }> {
    const token = (await readFile(adminTokenPath(this.#dataDir), 'utf8')).trim();
    return { url: this.#need().adminUrl, token };
  }

  async stop(): Promise<void> {
    await this.#daemon?.stop();
    if (this.#dataDir !== '') await rm(this.#dataDir, { recursive: true, force: true });
  }

  #need(): Daemon {
    if (this.#daemon === undefined) throw new Error('flotilla contender not initialised');
    return this.#daemon;
  }
}
