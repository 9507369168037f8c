import { Kysely, PostgresDialect, sql, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely';
import pg from 'pg';
import { withTimeout } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { EmbeddedConnection } from './embedded-server.js';
import { DatabaseError, redactDatabaseUrl, scrubDatabaseSecret } from './errors.js';
import { migrateToLatest } from './migrate.js';
import { PgListener } from './pg-listener.js';
import type { Schema } from './schema.js';

/** The channel the `workspaces` trigger notifies on; the payload is the team id. */
export const WORKSPACES_CHANNEL = 'flotilla_workspaces';

export interface Database {
  readonly kysely: Kysely<Schema>;
  /**
   * For heartbeats and leases: a pool of its own (two connections) whose
   * every statement and connect gives up after `coordinationTimeoutMs`, so a
   * busy or hung main pool never delays a renewal and a cut link fails fast.
   */
  readonly coordination: Kysely<Schema>;
  /** `embedded`: flotilla's own server (see embedded-server.ts); `postgres`: the server at DATABASE_URL. The same code serves both. */
  readonly kind: 'postgres' | 'embedded';
  /**
   * Subscribes to NOTIFY on `channel` (lower-case identifier); resolves once
   * listening, to an unsubscribe. One dedicated pg client that reconnects if
   * dropped; notifications sent meanwhile are lost, so `onRestored` is called
   * after each reconnection (catch up there; keep polling anyway).
   */
  listen(channel: string, onNotify: (payload: string) => void, onRestored?: () => void): Promise<() => Promise<void>>;
  /**
   * Applies pending migrations (`migrateToLatest`) on a connection of its own
   * that no statement bound applies to: DDL on a big table may rightly take
   * minutes, and a start waits as long as another start holds the migration
   * lock. Resolves to the names applied now.
   */
  migrate(): Promise<{ applied: string[] }>;
  /** Cheap reachability check for /readyz (select 1, 2 s timeout). Never throws. */
  ping(): Promise<boolean>;
  /** Closes the pool and the LISTEN client. Idempotent. Never stops a server. */
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A `postgres://` URL (DATABASE_URL), or the embedded server's connection. */
  readonly target: string | EmbeddedConnection;
  readonly logger: Logger;
  /** Max pool connections. Default 10. */
  readonly poolSize?: number | undefined;
  /** Bound of each statement and connect on the coordination pool. Default 5000. */
  readonly coordinationTimeoutMs?: number | undefined;
}

const PING_TIMEOUT_MS = 2_000;
/** A query waits this long for a connection before failing as "unavailable" (the default is forever). */
const CONNECT_TIMEOUT_MS = 5_000;
/**
 * A statement of the main pool that gets no answer this long fails ("Query
 * read timeout": the database is unavailable) and its connection is closed:
 * a cut link (packets dropped, nothing reset) otherwise hangs a handler until
 * TCP gives up, minutes later. Our statements take milliseconds; the longest
 * (a page of 10,000 workspaces, a prune batch) well under a second.
 */
const QUERY_TIMEOUT_MS = 5_000;
/**
 * The server cancels a statement of the main pool after this long (SQLSTATE
 * 57014), before the client gives up on it: a server that is there but stuck
 * (a lock held by a migration elsewhere, overload) answers with a clean error
 * and the connection stays usable.
 */
const STATEMENT_TIMEOUT_MS = 4_000;

/**
 * Opens a `pg` pool on `target` and checks it with one connection. Does not
 * migrate: call `migrate()`. Every statement of the pool is bounded in time
 * (QUERY_TIMEOUT_MS, STATEMENT_TIMEOUT_MS): past it, it fails as the
 * database being unavailable. Rejects with DatabaseError whose message
 * never contains the password. Once open, a server that goes away makes
 * queries fail (isDatabaseUnavailable says so) until it is back; the pool
 * reconnects by itself.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const { target, logger } = options;
  const secret = typeof target === 'string' ? target : target.password;
  const shown = typeof target === 'string' ? redactDatabaseUrl(target) : `the embedded PostgreSQL server (${target.host})`;
  if (typeof target === 'string' && !/^postgres(ql)?:$/.test(safeProtocol(target))) {
    throw new DatabaseError(`DATABASE_URL must be a postgres:// URL (got ${shown})`);
  }
  const connection: pg.ClientConfig = typeof target === 'string' ? { connectionString: target } : { ...target };
  const pool = new pg.Pool({
    ...connection, max: options.poolSize ?? 10, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true,
    query_timeout: QUERY_TIMEOUT_MS, statement_timeout: STATEMENT_TIMEOUT_MS,
  });
  // An idle client that dies must not crash the process; the pool replaces it.
  pool.on('error', (error) => logger.warn({ error: scrubDatabaseSecret(error.message, secret) }, 'idle database connection failed'));
  survivePeerResets(pool);
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseError(`cannot connect to ${shown}: ${scrubDatabaseSecret(errorMessage(error), secret)}`);
  }
  const kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: closingTimedOut(pool) }) });
  const timeoutMs = options.coordinationTimeoutMs ?? 5_000;
  const coordinationPool = new pg.Pool({ ...connection, max: 2, keepAlive: true, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  coordinationPool.on('error', (error) => logger.warn({ error: scrubDatabaseSecret(error.message, secret) }, 'idle coordination connection failed'));
  survivePeerResets(coordinationPool);
  const coordination = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: closingTimedOut(coordinationPool) }) });
  const listener = new PgListener(connection, secret, logger);
  if (typeof target === 'string') logger.info({ database: shown }, 'database connected');
  const migrate = async (): Promise<{ applied: string[] }> => {
    const unbounded = new pg.Pool({ ...connection, max: 1, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
    unbounded.on('error', (error) => logger.warn({ error: scrubDatabaseSecret(error.message, secret) }, 'idle migration connection failed'));
    survivePeerResets(unbounded);
    const migrator = new Kysely<Schema>({ dialect: new PostgresDialect({ pool: unbounded }) });
    try {
      return await migrateToLatest(migrator);
    } finally {
      await migrator.destroy();
    }
  };
  // Kysely ends a pool only once it has run a statement on it: end any that never did (the check above holds a connection).
  const endPools = async (): Promise<void> => {
    for (const each of [pool, coordinationPool]) if (!each.ending) await each.end();
  };
  return new OpenedDatabase(typeof target === 'string' ? 'postgres' : 'embedded', kysely, coordination, listener, migrate, endPools);
}

/**
 * A pool as Kysely uses it (the main one and the coordination one): when a
 * statement times out on our side (no answer at all), its connection is
 * ended at once (pg's `end()` drops a connection whose statement hangs), so
 * what follows on it (a rollback) fails at once too, and the pool opens a
 * fresh connection for the next statement instead of queueing it behind one
 * that will never be answered (or that a healed link resets).
 */
function closingTimedOut(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      function query<R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>>;
      function query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
      function query<R>(text: string | PostgresCursor<R>, values: readonly unknown[] = []): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
        if (typeof text !== 'string') throw new DatabaseError('cursors are not used (the dialect is created without one)');
        const answer = client.query(text, values as unknown[]);
        answer.catch((error: unknown) => {
          if (error instanceof Error && error.message === QUERY_TIMED_OUT) void client.end().catch(() => undefined);
        });
        return answer as Promise<PostgresQueryResult<R>>;
      }
      return { query, release: () => client.release() };
    },
    end: () => pool.end(),
  };
}

/** node-postgres' error for a statement that got no answer within `query_timeout`. */
const QUERY_TIMED_OUT = 'Query read timeout';

/**
 * pg-pool listens for errors on idle clients only: a link reset while a
 * statement is under way (a network cut healing) emits 'error' on a
 * checked-out client with no listener, which would end the process. The
 * statement itself fails with that error, and the pool drops the client.
 */
function survivePeerResets(pool: pg.Pool): void {
  pool.on('connect', (client) => client.on('error', () => undefined));
}

class OpenedDatabase implements Database {
  readonly #listener: PgListener;
  #closing: Promise<void> | undefined;

  constructor(
    readonly kind: 'postgres' | 'embedded',
    readonly kysely: Kysely<Schema>,
    readonly coordination: Kysely<Schema>,
    listener: PgListener,
    readonly migrate: () => Promise<{ applied: string[] }>,
    private readonly endPools: () => Promise<void>,
  ) {
    this.#listener = listener;
  }

  listen(channel: string, onNotify: (payload: string) => void, onRestored?: () => void): Promise<() => Promise<void>> {
    if (this.#closing) return Promise.reject(new DatabaseError('database is closed'));
    return this.#listener.listen(channel, onNotify, onRestored);
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
    return (this.#closing ??= (async () => {
      await this.#listener.close();
      await this.coordination.destroy();
      await this.kysely.destroy(); // ends the pool
      await this.endPools();
    })());
  }
}

function safeProtocol(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
