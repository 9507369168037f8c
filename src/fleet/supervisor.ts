import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { FleetEvents } from './fleet-events.js';
import type { Worker, WorkerStatus, WorkspaceSpec } from './worker.js';

/** A desired workspace and when it last changed, without its tokens. */
export interface DesiredVersion {
  readonly teamId: string;
  readonly updatedAt: Date;
  readonly restartRequestedAt: Date | null;
}

/** Where the supervisor reads the desired set and records removals. */
export interface WorkspaceSource {
  /** Every enabled workspace's version: cheap, read on every reconcile. */
  listDesired(): Promise<readonly DesiredVersion[]>;
  /** The specs (tokens decrypted) of the workspaces about to start; unreadable ones are left out. */
  load(teamIds: readonly string[]): Promise<readonly WorkspaceSpec[]>;
  remove(teamId: string, removal: { reason: string; actor: string }): Promise<boolean>;
}

export interface SupervisorOptions {
  readonly source: WorkspaceSource;
  readonly createWorker: (spec: WorkspaceSpec, onDead: (teamId: string, reason: string) => Promise<void>) => Worker;
  readonly pollIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
}

interface Running {
  readonly worker: Worker;
  /** `updated_at` of the row the worker was started from. */
  readonly version: number;
  /**
   * The `restart_requested_at` this worker has acted on (ms), or 'direct' right
   * after `restart()` restarted it: the next read of the row absorbs that
   * request instead of restarting a second time.
   */
  restartSeen: number | 'direct';
}

/**
 * Keeps the running workers equal to the rows in `workspaces`: at start, every
 * poll interval, and at once when asked (`reconcile()`, e.g. on NOTIFY or an
 * admin call). It starts, stops and restarts workers; a worker whose token is
 * dead removes its row through `source.remove`. Reconciles never overlap: a
 * request during one runs once more after it.
 */
export class Supervisor {
  readonly #running = new Map<string, Running>();
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #isAgain = false;
  #isStopped = false;
  #lastReconcileAt: Date | null = null;

  constructor(private readonly options: SupervisorOptions) {}

  /** Reconciles once, then polls. Resolves after the first reconcile. */
  async start(): Promise<void> {
    await this.reconcile();
    this.#schedule();
  }

  get lastReconcileAt(): Date | null { return this.#lastReconcileAt; }
  get isRunning(): boolean { return !this.#isStopped && this.#lastReconcileAt !== null; }

  /** Brings workers in line with the table. Resolves when done; logs, never rejects. */
  reconcile(): Promise<void> {
    if (this.#current) {
      this.#isAgain = true;
      return this.#current;
    }
    this.#current = (async () => {
      do {
        this.#isAgain = false;
        await this.#reconcileOnce().catch((error: unknown) => this.options.logger.error({ err: error }, 'reconcile failed'));
      } while (this.#isAgain && !this.#isStopped);
    })().finally(() => { this.#current = undefined; });
    return this.#current;
  }

  statuses(): WorkerStatus[] {
    return [...this.#running.values()].map((r) => r.worker.status()).sort((a, b) => a.teamId.localeCompare(b.teamId));
  }

  worker(teamId: string): Worker | undefined {
    return this.#running.get(teamId)?.worker;
  }

  /**
   * Restarts one workspace's connection, or all, now; returns how many. Call
   * it after recording the request in the table (`restart_requested_at`): the
   * reconcile that row change triggers then does not restart them again.
   */
  restart(teamId: string | 'all'): number {
    const targets = teamId === 'all' ? [...this.#running.values()] : [this.#running.get(teamId)].filter((r) => r !== undefined);
    for (const r of targets) {
      r.worker.restart();
      r.restartSeen = 'direct';
    }
    return targets.length;
  }

  /** Stops polling and every worker (draining in-flight handlers). Idempotent. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    clearTimeout(this.#timer);
    await this.#current;
    const workers = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(workers.map((r) => r.worker.stop('shutdown', this.options.shutdownGraceMs)));
  }

  #schedule(): void {
    if (this.#isStopped) return;
    this.#timer = setTimeout(() => {
      void this.reconcile().finally(() => this.#schedule());
    }, this.options.pollIntervalMs);
    this.#timer.unref();
  }

  async #reconcileOnce(): Promise<void> {
    if (this.#isStopped) return;
    const desired = await this.options.source.listDesired();
    const wanted = new Map(desired.map((d) => [d.teamId, d]));
    const stops: Promise<void>[] = [];
    for (const [teamId, running] of this.#running) {
      const want = wanted.get(teamId);
      if (!want || want.updatedAt.getTime() !== running.version) {
        this.#running.delete(teamId);
        this.options.logger.info({ team_id: teamId }, want ? 'workspace changed: restarting its worker' : 'workspace gone: stopping its worker');
        stops.push(running.worker.stop(want ? 'changed' : 'removed', this.options.shutdownGraceMs));
      } else {
        const requested = want.restartRequestedAt?.getTime() ?? 0;
        if (running.restartSeen !== 'direct' && requested > running.restartSeen) running.worker.restart();
        running.restartSeen = requested;
      }
    }
    await Promise.all(stops);
    const toStart = desired.filter((d) => !this.#running.has(d.teamId)).map((d) => d.teamId);
    // Only what starts is read in full and decrypted: a steady fleet of 100,000 costs one narrow query.
    const specs = toStart.length > 0 ? await this.options.source.load(toStart) : [];
    for (const spec of specs) {
      const want = wanted.get(spec.teamId);
      if (!want || this.#running.has(spec.teamId) || this.#isStopped) continue;
      const worker = this.options.createWorker(spec, (teamId, reason) => this.#remove(teamId, reason));
      this.#running.set(spec.teamId, { worker, version: want.updatedAt.getTime(), restartSeen: want.restartRequestedAt?.getTime() ?? 0 });
      void worker.start();
    }
    this.#lastReconcileAt = new Date();
  }

  async #remove(teamId: string, reason: string): Promise<void> {
    this.#running.delete(teamId);
    await this.options.source.remove(teamId, { reason, actor: 'flotilla' });
    this.options.events.emit('workspace:removed', teamId, reason);
    this.options.logger.warn({ team_id: teamId, reason }, 'workspace removed');
  }
}
