import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PGliteLike, PGliteResult } from './pglite-dialect.js';

/**
 * The worker's script, as source: evaluated (not loaded from a file), so the
 * same code runs from `dist/` and under the test runner, which only has the
 * TypeScript. It opens PGlite in the worker and serves queries, LISTEN and
 * close over messages; errors travel as plain objects with every field
 * (`code`, `detail`, `constraint`…), since a structured clone keeps only an
 * Error's message.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const plain = (error) => {
  // PGlite's file-system errors (ErrnoError) carry only an errno, no message.
  const message = error && typeof error.message === 'string' ? error.message
    : error && error.errno !== undefined ? (error.name || 'Error') + ' (errno ' + error.errno + ')' : String(error);
  const out = { message, name: error && error.name || 'Error', stack: error && error.stack };
  if (error && typeof error === 'object') for (const key of Object.keys(error)) {
    const value = error[key];
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value;
  }
  return out;
};
(async () => {
  let db;
  try {
    const { PGlite, types } = await import(workerData.moduleUrl);
    db = await PGlite.create(workerData.dataDir, { parsers: { [types.INT8]: (value) => value } });
  } catch (error) {
    parentPort.postMessage({ type: 'opened', error: plain(error) });
    return;
  }
  const unlistens = new Map();
  parentPort.on('message', async (m) => {
    try {
      let value = null;
      if (m.op === 'query') {
        const r = await db.query(m.sql, m.params, { rowMode: 'object' });
        value = { rows: r.rows, affectedRows: r.affectedRows, rowCount: r.rowCount, command: r.command };
      } else if (m.op === 'listen') {
        unlistens.set(m.id, await db.listen(m.channel, (payload) => parentPort.postMessage({ type: 'notify', id: m.id, payload })));
      } else if (m.op === 'unlisten') {
        const unlisten = unlistens.get(m.subscription);
        unlistens.delete(m.subscription);
        if (unlisten && !db.closed) await unlisten();
      } else if (m.op === 'close') {
        await db.close();
      }
      parentPort.postMessage({ type: 'done', id: m.id, value });
    } catch (error) {
      parentPort.postMessage({ type: 'done', id: m.id, error: plain(error) });
    }
  });
  parentPort.postMessage({ type: 'opened' });
})();
`;

type FromWorker =
  | { readonly type: 'opened'; readonly error?: Record<string, unknown> }
  | { readonly type: 'done'; readonly id: number; readonly value?: unknown; readonly error?: Record<string, unknown> }
  | { readonly type: 'notify'; readonly id: number; readonly payload: string };

/** An error thrown in the worker, with its fields (`code`, `detail`…) back on it. */
function rebuilt(fields: Record<string, unknown>): Error {
  const { message, name, stack, ...rest } = fields;
  const error = Object.assign(new Error(String(message)), rest);
  error.name = typeof name === 'string' ? name : 'Error';
  if (typeof stack === 'string') error.stack = stack;
  return error;
}

/**
 * Remakes the row's dates with this realm's `Date`: a message is decoded in the
 * receiving thread's main realm, and code running in another (a test VM) would
 * not see them as `instanceof Date`.
 */
function localDates(row: Record<string, unknown>): void {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (value !== null && typeof value === 'object' && !(value instanceof Date) && Object.prototype.toString.call(value) === '[object Date]') {
      row[key] = new Date((value as Date).getTime());
    }
  }
}

/**
 * The embedded database in a worker thread. PGlite runs Postgres compiled to
 * WebAssembly on whichever thread calls it; in the daemon's own thread each
 * statement (about 1 ms, 5–6 ms for a 200-row batch) held up every socket, and
 * PGlite's objects grew the heap the daemon's collector walks. Here the event
 * loop only posts a message and reads the answer. Still one connection: the
 * dialect's lock orders the work as before.
 */
export class PGliteInWorker implements PGliteLike {
  readonly waitReady: Promise<void> = Promise.resolve();
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly #listeners = new Map<number, (payload: string) => void>();
  #nextId = 1;
  #closed = false;
  #exited: Promise<void>;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (message: FromWorker) => this.#onMessage(message));
    worker.on('error', (error) => this.#failAll(error));
    worker.once('exit', (code) => this.#failAll(new Error(`the embedded database's worker stopped (exit code ${code})`)));
  }

  /** Opens the database in `dataDir` in a new worker; rejects with PGlite's error if it cannot. */
  static async open(dataDir: string): Promise<PGliteInWorker> {
    const moduleUrl = pathToFileURL(createRequire(import.meta.url).resolve('@electric-sql/pglite')).href;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { dataDir, moduleUrl } });
    const opened = await new Promise<FromWorker>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the embedded database's worker stopped (exit code ${code})`)));
    });
    if (opened.type === 'opened' && opened.error) {
      await worker.terminate();
      throw rebuilt(opened.error);
    }
    return new PGliteInWorker(worker);
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<R>(sql: string, params: readonly unknown[] = []): Promise<PGliteResult<R>> {
    const result = (await this.#call({ op: 'query', sql, params })) as PGliteResult<R>;
    for (const row of result.rows as Array<Record<string, unknown>>) localDates(row);
    return result;
  }

  /** LISTEN; resolves to the UNLISTEN. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const id = this.#nextId++;
    this.#listeners.set(id, onNotify);
    try {
      await this.#call({ op: 'listen', channel }, id);
    } catch (error) {
      this.#listeners.delete(id);
      throw error;
    }
    return async () => {
      if (!this.#listeners.delete(id) || this.#closed) return;
      await this.#call({ op: 'unlisten', subscription: id });
    };
  }

  /** Closes the database, then ends the worker. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#call({ op: 'close' });
    } finally {
      this.#closed = true;
      await this.#worker.terminate();
      await this.#exited;
    }
  }

  #call(message: Record<string, unknown>, id = this.#nextId++): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('the embedded database is closed'));
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...message, id });
    });
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'notify') {
      this.#listeners.get(message.id)?.(message.payload);
      return;
    }
    if (message.type !== 'done') return;
    const waiting = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (message.error) waiting?.reject(rebuilt(message.error));
    else waiting?.resolve(message.value);
  }

  #failAll(error: Error): void {
    this.#closed = true;
    for (const waiting of this.#pending.values()) waiting.reject(error);
    this.#pending.clear();
  }
}
