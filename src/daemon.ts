import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { adminTokenPath } from './admin/admin-files.js';
import { FleetStats } from './admin/fleet-stats.js';
import { createMetrics, type FleetMetrics } from './admin/metrics.js';
import { startAdminServer } from './admin/server.js';
import { WorkspaceService } from './admin/workspace-service.js';
import type { TeamDataSources } from './admin/team-data-routes.js';
import { createCommandHandler, type CommandDefinition } from './commands/index.js';
import { adminAddressError, type Config } from './config.js';
import { openDatabase, WORKSPACES_CHANNEL, type Database } from './db/database.js';
import { EmbeddedServer, type EmbeddedServerOptions } from './db/embedded-server.js';
import { FleetRepository } from './db/fleet-repository.js';
import { PostgresLeaseStore } from './db/lease-store.js';
import { LeaveRepository } from './db/leave-repository.js';
import { OAuthStateRepository } from './db/oauth-state-store.js';
import { PlanRepository } from './db/plans-repository.js';
import { ProcessedEvents } from './db/processed-events.js';
import { SettingsRepository } from './db/settings-repository.js';
import { SummaryRepository } from './db/summary-repository.js';
import { TaskRepository } from './db/tasks-repository.js';
import { UsersRepository } from './db/users-repository.js';
import { WorkspaceRepository } from './db/workspace-repository.js';
import { ConnectionPool } from './fleet/connection-pool.js';
import { EventLedger } from './fleet/event-ledger.js';
import type { FleetEvents } from './fleet/fleet-events.js';
import { LeaseKeeper, leaseTimings } from './fleet/lease-keeper.js';
import { LEASES_CHANNEL } from './fleet/lease-store.js';
import { Pacer } from './fleet/pacer.js';
import { StatusPublisher } from './fleet/status-publisher.js';
import { Supervisor } from './fleet/supervisor.js';
import { Worker } from './fleet/worker.js';
import { DailySummaryJob } from './jobs/daily-summary.js';
import type { Logger } from './lib/logger.js';
import { SecretBox } from './lib/secret-box.js';
import { randomSecret, readOrCreateSecret } from './lib/secret-file.js';
import { TtlCache } from './lib/ttl-cache.js';
import { SafeEmitter } from './lib/typed-events.js';
import { startPublicListener } from './public/listener.js';
import { People } from './slack/people.js';
import { TeamZones } from './slack/team-zone.js';
import type { RequestHandler, SlackApi } from './slack/types.js';
import { slackApiFor, SlackWeb } from './slack/web-client.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Commands beyond the built-in set (tests, extensions). */
  readonly extraCommands?: readonly CommandDefinition<unknown>[];
  /** How long a socket may stay silent, our pings unanswered, before it counts as dead (default 10 s). */
  readonly pingTimeoutMs?: number;
  /** Overrides `config.instanceId`. */
  readonly instanceId?: string;
  /** Shown by `/healthz`, `flotilla status` and the `flotilla_info` metric. */
  readonly version?: string;
  /**
   * The embedded server, already started by the caller (`flotilla start` starts it while the
   * daemon's modules load); the daemon owns it from then on and stops it last. Unset with no
   * DATABASE_URL: the daemon starts it itself.
   */
  readonly server?: EmbeddedServer;
  /** How the embedded server (no DATABASE_URL) runs: tests add settings or hold its restarts. */
  readonly embedded?: Pick<EmbeddedServerOptions, 'settings' | 'beforeRestart' | 'osUser' | 'listen'>;
  /** The clock of commands and the daily summary (tests and demos move it); default the system's. */
  readonly now?: () => Date;
  /**
   * An open database to use instead of opening one from the config (the
   * caller closes it). For tests of several daemons on one embedded database.
   */
  readonly database?: Database;
}

const PRUNE_EVERY_MS = 60 * 60_000;
const KEEP_PROCESSED_MS = 24 * 60 * 60_000;

/**
 * The composition root: the only place that wires database, fleet, commands
 * and admin together. `Daemon.start` starts the embedded PostgreSQL server
 * first (when DATABASE_URL is unset), migrates and starts the rest; `stop()`
 * drains and closes everything once (idempotent), that server last.
 */
export class Daemon {
  #stopping: Promise<void> | undefined;

  private constructor(
    /** flotilla's own PostgreSQL server, when DATABASE_URL is unset. */
    readonly server: EmbeddedServer | undefined,
    readonly db: Database,
    readonly supervisor: Supervisor,
    readonly workspaces: WorkspaceService,
    readonly repo: WorkspaceRepository,
    readonly events: SafeEmitter<FleetEvents>,
    readonly instanceId: string,
    private readonly logger: Logger,
    private readonly cleanups: ReadonlyArray<() => Promise<void> | void>,
    /** The admin API as bound (`FLOTILLA_ADMIN_ADDR` with port 0 resolved). */
    readonly adminUrl: string,
    readonly metrics: FleetMetrics,
    /** The daily "who is out" summary (tests call `tick()` after moving the clock). */
    readonly dailySummary: DailySummaryJob,
    private readonly ownsDatabase: boolean,
    /** This instance's share of the fleet's connections. */
    readonly leases: LeaseKeeper,
    /** The public listener as bound (`FLOTILLA_PUBLIC_ADDR` with port 0 resolved); undefined when it is off. */
    readonly publicUrl?: string,
  ) {}

  static async start(options: DaemonOptions): Promise<Daemon> {
    const { config, logger } = options;
    const unsafe = adminAddressError(config);
    if (unsafe) throw unsafe;
    const server = config.databaseUrl !== undefined || options.database ? undefined
      : options.server ?? (await EmbeddedServer.start({ dataDir: config.dataDir, logger, role: 'owner', ...options.embedded }));
    const { renewEveryMs, statementMs } = leaseTimings(config.leaseTtlMs);
    const target = config.databaseUrl ?? server!.connection;
    const db = options.database ?? await openDatabase({ target, logger, coordinationTimeoutMs: statementMs }).catch(async (error: unknown) => {
      await server?.stop();
      throw error;
    });
    // A stack: undone last-registered first, on stop and on a failed start alike.
    const cleanups: Array<() => Promise<void> | void> = [];
    try {
      const { applied } = await db.migrate();
      if (applied.length > 0) logger.info({ applied }, 'migrations applied');
      const key = config.encryptionKey ?? (await readOrCreateSecret(join(config.dataDir, 'encryption-key'), () => randomSecret(32)));
      // During a rotation rows sealed with the previous key still open; everything written is sealed with the current one.
      const repo = new WorkspaceRepository(db.kysely, new SecretBox(key, config.previousEncryptionKey ? [config.previousEncryptionKey] : []), logger);
      const processed = new ProcessedEvents(db.kysely);
      const ledger = new EventLedger(processed, logger);
      const events = new SafeEmitter<FleetEvents>(logger);
      const instanceId = options.instanceId ?? config.instanceId;
      const version = options.version ?? '0.0.0-dev';
      const web = new SlackWeb({
        slackApiUrl: config.slackApiUrl, userAgent: `flotilla/${options.version ?? 'dev'}`,
        onCall: (method, outcome) => events.emit('slack:call', method, outcome),
      });
      cleanups.push(() => web.close());
      const pacer = new Pacer(config.connectRatePerSec);
      const pool = new ConnectionPool({
        slackApiUrl: config.slackApiUrl, web, pacer, events, logger,
        pingTimeoutMs: options.pingTimeoutMs ?? 10_000,
      });
      const team = teamData(db, repo, web, { ...options, instanceId });
      let holder: Supervisor | undefined; // the keeper drives the supervisor; both exist before either starts
      const keeper = new LeaseKeeper({
        store: new PostgresLeaseStore(db.coordination),
        me: { id: instanceId, incarnation: randomUUID(), host: hostname(), version },
        ttlMs: config.leaseTtlMs,
        // About what the connect rate opens between two looks: hand-overs no faster than sockets open.
        batch: Math.max(10, Math.ceil((config.connectRatePerSec * renewEveryMs) / 1000)),
        // Its own embedded server serves this process alone (its data dir is locked): nobody can take a lease over.
        isExclusive: server !== undefined,
        holder: {
          fence: (keys) => holder?.fence(keys),
          relinquish: async () => holder?.relinquish(),
          reconcile: async () => holder?.reconcile(),
        },
        events, logger: logger.child({ component: 'leases' }),
      });
      const supervisor = new Supervisor({
        source: {
          listDesired: () => repo.listVersions({ enabledOnly: true }),
          load: async (teamIds) => {
            const { records, unreadable } = await repo.loadMany(teamIds);
            return { specs: records, unreadable };
          },
          remove: (teamId, removal) => repo.remove(teamId, removal),
        },
        createWorker: (spec, onDead) => new Worker(spec, {
          web, pacer, pool, handler: team.handler, events, logger, instanceId, onDead,
          ledger,
        }),
        pollIntervalMs: config.pollIntervalMs,
        shutdownGraceMs: config.shutdownGraceMs,
        ownership: keeper,
        events,
        logger,
      });
      holder = supervisor;
      const metrics = createMetrics({
        events, statuses: () => supervisor.statuses(), lastReconcileAt: () => supervisor.lastReconcileAt,
        version, instanceId, leases: keeper,
      });
      cleanups.push(() => metrics.close());
      const stats = new FleetStats({ events, instanceId });
      cleanups.push(() => stats.close());
      await keeper.start();
      cleanups.push(() => keeper.stop()); // after every socket is closed: then hand the connections over
      await supervisor.start();
      cleanups.push(() => ledger.flush(), () => supervisor.stop());
      const fleet = new FleetRepository(db.kysely, instanceId);
      const publisher = new StatusPublisher({
        sink: fleet, source: () => supervisor.running(), epochOf: (k) => keeper.epochOf(k),
        intervalMs: Math.min(5_000, Math.max(1_000, renewEveryMs)), events, logger,
      });
      publisher.start();
      cleanups.push(() => publisher.stop());
      team.dailySummary.start();
      cleanups.push(() => team.dailySummary.stop());
      // A LISTEN connection restored after an outage missed what was notified meanwhile: catch up at once.
      const reconcile = (): void => {
        keeper.poke();
        void supervisor.reconcile();
      };
      const unlisten = await db.listen(WORKSPACES_CHANNEL, reconcile, reconcile);
      cleanups.push(unlisten);
      // Another instance released connections (or left): take them now, not at the next look.
      const unlistenLeases = await db.listen(LEASES_CHANNEL, (from) => { if (from !== instanceId) keeper.poke(); }, () => keeper.poke());
      cleanups.push(unlistenLeases);
      const pruner = setInterval(() => {
        processed.prune(new Date(Date.now() - KEEP_PROCESSED_MS)).catch((error: unknown) => logger.warn({ err: error }, 'prune failed'));
      }, PRUNE_EVERY_MS).unref();
      cleanups.push(() => clearInterval(pruner));
      const service = new WorkspaceService(repo, supervisor, web, logger, events, {
        instanceId, reader: fleet,
        refresh: async () => {
          await keeper.tick();
          await supervisor.reconcile();
        },
      });
      const admin = await startAdminServer({
        host: config.adminAddr.host, port: config.adminAddr.port, dataDir: config.dataDir,
        token: config.adminToken ?? (await readOrCreateSecret(adminTokenPath(config.dataDir), () => randomSecret(32))),
        workspaces: service, metrics, stats, events, isDatabaseUp: () => db.ping(), isSupervisorRunning: () => supervisor.isRunning,
        version, instanceId, logger, teamData: team.sources,
      });
      cleanups.push(() => admin.close()); // first on stop: no new operator calls while draining
      const listener = await startPublicListener({
        config, workspaces: repo, states: new OAuthStateRepository(db.kysely), workerOf: (teamId) => supervisor.worker(teamId),
        startInstalled: async () => {
          await keeper.tick();
          await supervisor.reconcile();
        },
        reconcile: () => supervisor.reconcile(),
        events, logger,
      });
      if (listener) cleanups.push(() => listener.close()); // before the admin API: Slack stops reaching us first
      const daemon = new Daemon(
        server, db, supervisor, service, repo, events, instanceId, logger, cleanups, admin.url, metrics, team.dailySummary, !options.database, keeper,
        listener?.url,
      );
      const count = supervisor.statuses().length;
      logger.info({ workspaces: count, instance: instanceId, leases: keeper.heldCount }, 'flotilla started');
      if (count === 0 && keeper.liveInstances <= 1) logger.info('no workspaces yet: add one with `flotilla workspace add --bot-token xoxb-… --app-token xapp-…`');
      return daemon;
    } catch (error) {
      await runCleanups(cleanups, logger);
      if (!options.database) await db.close();
      await server?.stop();
      throw error;
    }
  }

  /** Stops taking events, drains in-flight handlers, closes sockets and the database, then stops the embedded server. Idempotent. */
  stop(): Promise<void> {
    return (this.#stopping ??= (async () => {
      this.logger.info('stopping');
      await runCleanups(this.cleanups, this.logger);
      if (this.ownsDatabase) await this.db.close();
      await this.server?.stop(); // last: everything that used it has stopped
      this.logger.info('stopped');
    })());
  }
}

const TEAM_TOKEN_TTL_MS = 5 * 60_000;

/**
 * The team-data side: repositories, the users cache, time zones, the command
 * handler and the daily summary job (which posts with each workspace's stored
 * bot token), and what the admin API exports.
 */
function teamData(
  db: Database, repo: WorkspaceRepository, web: SlackWeb,
  options: DaemonOptions & { readonly instanceId: string },
): { handler: RequestHandler; dailySummary: DailySummaryJob; sources: TeamDataSources } {
  const now = options.now ?? (() => new Date());
  const [tasks, plans, leave, settings] = [new TaskRepository(db.kysely), new PlanRepository(db.kysely), new LeaveRepository(db.kysely), new SettingsRepository(db.kysely)];
  const people = new People(new UsersRepository(db.kysely), now);
  const zones = new TeamZones();
  const tokens = new TtlCache<SlackApi | undefined>(TEAM_TOKEN_TTL_MS);
  const slackFor = (teamId: string): Promise<SlackApi | undefined> => tokens.get(teamId, async () => {
    const workspace = await repo.get(teamId);
    return workspace?.enabled ? slackApiFor(web.caller(workspace.botToken)) : undefined;
  });
  const dailySummary = new DailySummaryJob({
    settings, leave, summaries: new SummaryRepository(db.kysely), people, zones, slackFor, now,
    instanceId: options.instanceId, logger: options.logger.child({ component: 'daily-summary' }),
  });
  const handler = createCommandHandler({
    tasks, plans, leave, settings, people, zones, summary: dailySummary, now, logger: options.logger, extra: options.extraCommands,
  });
  return { handler, dailySummary, sources: { leave, tasks } };
}

/** Runs cleanups last-registered first; one that fails is logged and the rest still run. */
async function runCleanups(cleanups: ReadonlyArray<() => Promise<void> | void>, logger: Logger): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    await Promise.resolve().then(cleanup).catch((error: unknown) => logger.error({ err: error }, 'cleanup failed'));
  }
}
