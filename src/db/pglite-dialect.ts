import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { Mutex } from './mutex.js';

/** What a query answers: PGlite's own results, or their copy from a worker thread. */
export interface PGliteResult<R> {
  readonly rows: R[];
  readonly affectedRows?: number;
  readonly rowCount?: number;
  readonly command?: string;
}

/** What the dialect needs of PGlite: an in-process `PGlite`, or `PGliteInWorker`. */
export interface PGliteLike {
  readonly waitReady: Promise<void>;
  query<R>(sql: string, params?: unknown[], options?: { rowMode: 'object' }): Promise<PGliteResult<R>>;
}

export interface PGliteDialectConfig {
  /** An open PGlite instance. The dialect never closes it: its owner does. */
  readonly pglite: PGliteLike;
  /**
   * The lock that serializes use of the single PGlite connection. Pass your own
   * to run other work on the instance (e.g. `listen()`) outside any transaction.
   */
  readonly mutex?: Mutex;
}

/**
 * Kysely over an in-process PGlite. PGlite is one connection, so the driver
 * hands it to one holder at a time: a query waits for the one before it, and a
 * transaction holds the connection from BEGIN until COMMIT/ROLLBACK, so work
 * outside it never lands inside it.
 */
export class PGliteDialect implements Dialect {
  readonly #config: PGliteDialectConfig;

  constructor(config: PGliteDialectConfig) {
    this.#config = config;
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#config.pglite, this.#config.mutex ?? new Mutex());
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class PGliteDriver implements Driver {
  readonly #mutex: Mutex;
  readonly #connection: PGliteConnection;
  #release: (() => void) | undefined;

  constructor(pglite: PGliteLike, mutex: Mutex) {
    this.#mutex = mutex;
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.#connection.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.lock();
    this.#release = release;
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    release?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const modes: string[] = [];
    if (settings.isolationLevel) modes.push(`isolation level ${settings.isolationLevel}`);
    if (settings.accessMode) modes.push(settings.accessMode);
    const statement = modes.length > 0 ? `start transaction ${modes.join(', ')}` : 'begin';
    await connection.executeQuery(CompiledQuery.raw(statement));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`));
  }

  async destroy(): Promise<void> {
    // The PGlite instance belongs to whoever created it (see PGliteDialectConfig).
  }
}

const COMMANDS_WITH_AFFECTED_ROWS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

class PGliteConnection implements DatabaseConnection {
  constructor(readonly pglite: PGliteLike) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pglite.query<R>(compiledQuery.sql, [...compiledQuery.parameters], {
      rowMode: 'object',
    });
    const command = result.command?.toUpperCase();
    if (command !== undefined && COMMANDS_WITH_AFFECTED_ROWS.has(command)) {
      const count = BigInt(result.rowCount ?? result.affectedRows ?? 0);
      return { numAffectedRows: count, rows: result.rows };
    }
    return { rows: result.rows };
  }

  /** PGlite has no cursors over this API: the whole result is read, then yielded in chunks. */
  async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(compiledQuery);
    const size = Math.max(1, chunkSize);
    for (let start = 0; start < rows.length; start += size) {
      yield { rows: rows.slice(start, start + size) };
    }
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
