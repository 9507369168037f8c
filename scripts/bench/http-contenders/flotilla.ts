/**
 * flotilla serving one distributed app over HTTP: the real Daemon with its public listener
 * (`FLOTILLA_PUBLIC_ADDR`, `SLACK_SIGNING_SECRET`) and the N installations as `http` rows in its
 * database (its own embedded PostgreSQL server unless DATABASE_URL is set). Events arrive at
 * `POST /slack/events` and are answered by the same dispatcher as over Socket Mode.
 */
import { rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { Daemon } from '../../../src/daemon.js';
import type { Schema } from '../../../src/db/schema.js';
import { SecretBox } from '../../../src/lib/secret-box.js';
import type { BenchWorkspace } from '../emulator-child.js';
import type { Contender } from '../contenders/contender.js';
import { until } from '../contenders/contender.js';
import { startDaemon, timeReconcile } from '../contenders/flotilla.js';
import { signingSecretFromEnv } from './shared.js';

/** Rows per INSERT when loading workspaces in bulk. */
const INSERT_CHUNK = 500;

/** A port free right now on loopback (the daemon's config takes an address, and the bench must know it). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Inserts `http` rows in bulk, sealed exactly as WorkspaceRepository.upsert seals them (no app token, no connection key). */
async function insertHttpRows(kysely: Kysely<Schema>, key: string, rows: readonly BenchWorkspace[]): Promise<void> {
  const box = new SecretBox(key);
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK).map((w) => ({
      team_id: w.teamId,
      team_name: w.teamName,
      team_domain: null,
      transport: 'http' as const,
      // The context string mirrors src/db/workspace-repository.ts (botContext).
      bot_token_enc: box.seal(w.botToken, `workspaces.bot_token:${w.teamId}`),
      app_token_enc: null,
      app_id: w.appId,
      bot_user_id: w.botUserId,
      bot_id: w.botId,
      enabled: true,
      connection_key: null,
    }));
    await kysely.insertInto('workspaces').values(chunk).execute();
  }
}

export class HttpFlotillaContender implements Contender {
  #daemon: Daemon | undefined;
  #key = '';
  #dataDir = '';
  #url = '';
  #count = 0;
  /** Kept from `worker:state` events: an http worker is connected once its token passed auth.test. */
  readonly #connected = new Set<string>();

  constructor(private readonly connectRate: number) {}

  async init(apiUrl: string): Promise<void> {
    const port = await freePort();
    const started = await startDaemon(apiUrl, this.connectRate, {
      FLOTILLA_PUBLIC_ADDR: `127.0.0.1:${port}`,
      SLACK_SIGNING_SECRET: signingSecretFromEnv(),
    });
    this.#daemon = started.daemon;
    this.#key = started.key;
    this.#dataDir = started.dataDir;
    this.#url = `http://127.0.0.1:${port}/slack/events`;
    started.daemon.events.on('worker:state', (teamId, _from, to) => {
      if (to === 'connected') this.#connected.add(teamId);
      else this.#connected.delete(teamId);
    });
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    await insertHttpRows(this.#need().db.kysely, this.#key, workspaces);
    this.#count = workspaces.length;
  }

  /** No socket over HTTP: each workspace's worker checks its token (auth.test) and is then ready for events. */
  async connect(): Promise<void> {
    await this.#need().supervisor.reconcile();
    await until(() => this.#connected.size >= this.#count, 10 * 60_000, 'flotilla http workers ready', 200);
  }

  connectedCount(): number {
    return this.#connected.size;
  }

  requestUrl(): string {
    return this.#url;
  }

  async extra(): Promise<Record<string, unknown>> {
    return { reconcileNoChangeMs: await timeReconcile(this.#need(), 3) };
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
