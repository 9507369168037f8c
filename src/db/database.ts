import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { withTimeout } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { assertChannelName, DatabaseError, redactDatabaseUrl, scrubDatabaseSecret } from './errors.js';
import { lockDataDir } from './data-dir-lock.js';
import { Mutex } from './mutex.js';
import { PgListener } from './pg-listener.js';
import { PGliteDialect } from './pglite-dialect.js';
import { PGliteInWorker } from './pglite-worker.js';
import type { Schema } from './schema.js';

/** The channel the `workspaces` trigger notifies on; the payload is the team id. */
export const WORKSPACES_CHANNEL = 'flotilla_workspaces';

export interface Database {
  readonly kysely: Kysely<Schema>;
  /**
   * For heartbeats and leases: on a server, a pool of its own (two
   * connections) whose every statement and connect gives up after
   * `coordinationTimeoutMs`, so a hung or busy main pool never delays a
   * renewal and a cut link fails fast. Embedded: the same as `kysely`.
   */
  readonly coordination: Kysely<Schema>;
  readonly kind: 'postgres' | 'embedded';
  /**
   * Subscribes to NOTIFY on `channel` (lower-case identifier); resolves once
   * listening, to an unsubscribe. Postgres: one dedicated pg client that
   * reconnects if dropped (notifications sent meanwhile are lost: keep
   * polling); embedded: PGlite's own listen().
   */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Cheap reachability check for /readyz (select 1, 2 s timeout). Never throws. */
  ping(): Promise<boolean>;
  /** Closes pools/clients/PGlite. Idempotent. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** `postgres://…`; unset means embedded PGlite under `dataDir`. */
  readonly url?: string | undefined;
  /** Holds the embedded database (`pgdata/`). */
  readonly dataDir: string;
  readonly logger: Logger;
  /** Max pool connections (postgres only). Default 10. */
  readonly poolSize?: number | undefined;
  /** Bound of each statement and connect on the coordination pool (postgres only). Default 5000. */
  readonly coordinationTimeoutMs?: number | undefined;
}

const PING_TIMEOUT_MS = 2_000;

/**
 * Opens (and checks) the database: a `pg` pool when `url` is set, else an
 * on-disk PGlite under `${dataDir}/pgdata` (created on first use, which takes
 * a few seconds for initdb), locked against other processes by
 * `${dataDir}/pgdata.lock`. Does not migrate: call `migrateToLatest`.
 * Rejects with DatabaseError whose message never contains the URL's password.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.url === undefined || options.url === ''
    ? openEmbedded(options.dataDir, options.logger)
    : openPostgres(options.url, options.logger, options.poolSize ?? 10, options.coordinationTimeoutMs ?? 5_000);
}

async function openPostgres(url: string, logger: Logger, poolSize: number, coordinationTimeoutMs: number): Promise<Database> {
  const shownUrl = redactDatabaseUrl(url);
  if (!/^postgres(ql)?:$/.test(safeProtocol(url))) {
    throw new DatabaseError(`DATABASE_URL must be a postgres:// URL (got ${shownUrl})`);
  }
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle client that dies must not crash the process; the pool replaces it.
  pool.on('error', (error) =>
    logger.warn({ error: scrubDatabaseSecret(error.message, url) }, 'idle database connection failed'),
  );
  survivePeerResets(pool);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseError(
      `cannot connect to ${shownUrl}: ${scrubDatabaseSecret(errorMessage(error), url)}`,
    );
  }
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const coordinationPool = new pg.Pool({
    connectionString: url, max: 2, keepAlive: true,
    connectionTimeoutMillis: coordinationTimeoutMs, query_timeout: coordinationTimeoutMs,
  });
  coordinationPool.on('error', (error) =>
    logger.warn({ error: scrubDatabaseSecret(error.message, url) }, 'idle coordination connection failed'),
  );
  survivePeerResets(coordinationPool);
  const coordination = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: coordinationPool }) });
  const listener = new PgListener(url, logger);
  logger.info({ database: shownUrl }, 'database connected');
  return new OpenedDatabase('postgres', kysely, coordination, {
    listen: (channel, onNotify) => listener.listen(channel, onNotify),
    close: async () => {
      await listener.close();
      await coordination.destroy();
      await kysely.destroy(); // ends the pool
    },
  });
}

async function openEmbedded(dataDir: string, logger: Logger): Promise<Database> {
  const pgdata = join(dataDir, 'pgdata');
  await mkdir(pgdata, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    throw new DatabaseError(`cannot create ${pgdata}: ${errorMessage(error)}`, { cause: error });
  });
  const unlock = await lockDataDir(join(dataDir, 'pgdata.lock'), `the embedded database in ${pgdata}`);
  let pglite: PGliteInWorker;
  try {
    const startedAt = Date.now();
    // In a worker thread, int8 parsed as a string to match node-postgres (see pglite-worker.ts).
    pglite = await PGliteInWorker.open(pgdata);
    logger.info({ dataDir: pgdata, startMs: Date.now() - startedAt }, 'embedded database opened');
  } catch (error) {
    await unlock();
    throw new DatabaseError(`cannot open the embedded database in ${pgdata}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const mutex = new Mutex();
  const kysely = new Kysely<Schema>({ dialect: new PGliteDialect({ pglite, mutex }) });
  return new OpenedDatabase('embedded', kysely, kysely, {
    listen: async (channel, onNotify) => {
      assertChannelName(channel);
      // Through the dialect's lock, so LISTEN never runs inside someone's transaction.
      const unlisten = await mutex.run(() => pglite.listen(channel, onNotify));
      let isSubscribed = true;
      return async () => {
        if (!isSubscribed || pglite.closed) return;
        isSubscribed = false;
        await mutex.run(() => unlisten());
      };
    },
    close: async () => {
      await kysely.destroy();
      // After every queued query and open transaction has finished.
      await mutex.run(() => pglite.close());
      await unlock();
    },
  });
}

interface EngineHooks {
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

class OpenedDatabase implements Database {
  readonly #hooks: EngineHooks;
  #closing: Promise<void> | undefined;

  constructor(
    readonly kind: 'postgres' | 'embedded',
    readonly kysely: Kysely<Schema>,
    readonly coordination: Kysely<Schema>,
    hooks: EngineHooks,
  ) {
    this.#hooks = hooks;
  }

  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    if (this.#closing) return Promise.reject(new DatabaseError('database is closed'));
    return this.#hooks.listen(channel, onNotify);
  }

  async ping(): Promise<boolean> {
    if (this.#closing) return false;
    const check = sql`select 1`.execute(this.kysely).then(
      () => true,
      () => false,
    );
    return withTimeout(check, PING_TIMEOUT_MS, false);
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#hooks.close());
  }
}

/**
 * pg-pool listens for errors on idle clients only: a link reset while a
 * statement is under way (a network cut healing) emits 'error' on a
 * checked-out client with no listener, which would end the process. The
 * statement itself fails with that error, and the pool drops the client.
 */
function survivePeerResets(pool: pg.Pool): void {
  pool.on('connect', (client) => client.on('error', () => undefined));
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
