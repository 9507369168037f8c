import { Writable } from 'node:stream';
import type { CommandDefinition } from '../../src/commands/index.js';
import { loadConfig } from '../../src/config.js';
import { Daemon, type DaemonOptions } from '../../src/daemon.js';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { until } from './until.js';

export interface Harness {
  readonly slack: SlackEmulator;
  /** The running daemon (a new one after `restartDaemon`). */
  readonly daemon: Daemon;
  /** Stops the daemon and starts a fresh one on the same database and data dir. */
  restartDaemon(): Promise<void>;
  /**
   * Starts one more daemon on the same database (its own admin server and
   * instance id; with embedded PGlite it shares the first daemon's database
   * handle, since PGlite is one process's). Stopped by `stop()`.
   */
  startAnotherDaemon(instanceId: string): Promise<Daemon>;
  readonly db: TestDatabase;
  /** Every log line the daemon wrote (JSON), for assertions and secret greps. */
  readonly logs: string[];
  /** Adds a workspace through the service (as `flotilla workspace add` does) and waits until it is connected. */
  add(workspace: EmulatedWorkspace, transport?: 'socket-mode' | 'rtm'): Promise<void>;
  state(teamId: string): string | undefined;
  restarts(teamId: string): number;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly extraCommands?: readonly CommandDefinition<unknown>[];
  /** Extra environment; a function gets the emulator first (e.g. to configure an app it created). */
  readonly env?: Record<string, string> | ((slack: SlackEmulator) => Record<string, string>);
  readonly pingTimeoutMs?: number;
  /**
   * `test` (default): a fresh database on the run's test server (DATABASE_URL set).
   * `embedded`: no DATABASE_URL: the daemon runs its own PostgreSQL server in the data dir, as `flotilla start` does.
   */
  readonly database?: 'test' | 'embedded';
  /** Rewrites the test database's URL before the daemon gets it (e.g. to go through a TCP proxy). */
  readonly databaseUrl?: (url: string) => string;
  /** How that embedded server runs (e.g. a hold on its restarts). */
  readonly embedded?: DaemonOptions['embedded'];
  /** The daemons' clock (commands and the daily summary); default the system's. */
  readonly now?: () => Date;
  /** The daemon's log level (default `debug`; `trace` for secret greps over everything it can write). */
  readonly logLevel?: 'debug' | 'trace';
}

/** The daemon against a fresh emulator and a fresh database (the run's test server, or its own embedded one). */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = await SlackEmulator.start({ serverPingIntervalMs: 1_000 });
  const db = await createTestDatabase();
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const config = loadConfig({
    FLOTILLA_DATA_DIR: db.dataDir,
    SLACK_API_URL: slack.apiUrl,
    FLOTILLA_CONNECT_RATE: '1000',
    FLOTILLA_SHUTDOWN_GRACE_MS: '5000',
    LOG_LEVEL: 'debug',
    FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', // every daemon has an admin server: never a fixed port in tests
    ...(options.database === 'embedded' ? {} : { DATABASE_URL: options.databaseUrl?.(db.url) ?? db.url }),
    ...(typeof options.env === 'function' ? options.env(slack) : options.env),
  });
  const logger = createLogger({ level: options.logLevel ?? 'debug', destination });
  const startDaemon = (extra: { instanceId?: string; database?: Daemon['db'] } = {}): Promise<Daemon> => Daemon.start({
    config, logger, extraCommands: options.extraCommands ?? [], pingTimeoutMs: options.pingTimeoutMs ?? 1_500,
    ...(options.embedded ? { embedded: options.embedded } : {}),
    ...(options.now ? { now: options.now } : {}), ...extra,
  });
  let daemon = await startDaemon();
  const others: Daemon[] = [];
  const state = (teamId: string): string | undefined => daemon.supervisor.worker(teamId)?.status().state;
  return {
    slack, db, logs, state,
    get daemon() { return daemon; },
    async restartDaemon() {
      await daemon.stop();
      daemon = await startDaemon();
    },
    async startAnotherDaemon(instanceId) {
      const other = await startDaemon({ instanceId, ...(db.url ? {} : { database: daemon.db }) });
      others.push(other);
      return other;
    },
    restarts: (teamId) => daemon.supervisor.worker(teamId)?.status().restarts ?? -1,
    async add(workspace, transport = 'socket-mode') {
      await daemon.workspaces.add({
        botToken: workspace.botToken,
        ...(transport === 'socket-mode' ? { appToken: workspace.appToken } : {}),
        transport,
      });
      await until(() => state(workspace.teamId) === 'connected', 10_000, `${workspace.teamId} connected`);
    },
    async stop() {
      for (const other of others) await other.stop();
      await daemon.stop();
      await slack.stop();
      await db.drop();
    },
  };
}
