import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { FleetEvents } from './fleet-events.js';
import type { Worker, WorkerStatus, WorkspaceSpec } from './worker.js';

/** A desired workspace and when it last changed, without its tokens. */
export interface DesiredVersion {
  readonly teamId: string;
  readonly updatedAt: Date;
  readonly restartRequestedAt: Date | null;
  /** Its connection's lease key (`slack/connection-key.ts`); null for a transport without a socket. */
  readonly connectionKey: string | null;
}

/**
 * Which connections this instance may run: with several instances, those
 * whose lease it holds (`LeaseKeeper`); alone without leases, all of them.
 * Asked on reconcile, never per event.
 */
export interface Ownership {
  /** Whether this instance may run the connection with this key now; always true for null (no socket). */
  holds(key: string | null): boolean;
  /** The fleet has this many distinct connection keys now (a hint that one was added or removed). */
  noteDesiredKeys?(count: number): void;
  /** This instance cannot run this key's workspaces (their tokens do not decrypt here): leave it to others. */
  cannotServe?(key: string): void;
}

const EVERYTHING: Ownership = { holds: () => true };

/** Where the supervisor reads the desired set and records removals. */
export interface WorkspaceSource {
  /** Every enabled workspace's version: cheap, read on every reconcile. */
  listDesired(): Promise<readonly DesiredVersion[]>;
  /**
   * The specs (tokens decrypted) of the workspaces about to start. Rows gone
   * meanwhile are left out; rows whose tokens do not decrypt here are named
   * in `unreadable`.
   */
  load(teamIds: readonly string[]): Promise<{ readonly specs: readonly WorkspaceSpec[]; readonly unreadable: readonly string[] }>;
  remove(teamId: string, removal: { reason: string; actor: string }): Promise<boolean>;
}

export interface SupervisorOptions {
  readonly source: WorkspaceSource;
  readonly createWorker: (spec: WorkspaceSpec, onDead: (teamId: string, reason: string) => Promise<void>) => Worker;
  readonly pollIntervalMs: number;
  readonly shutdownGraceMs: number;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  /** Default: this instance runs everything. */
  readonly ownership?: Ownership;
}

interface Running {
  readonly worker: Worker;
  readonly connectionKey: string | null;
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
  /** Workers being stopped outside a reconcile (fenced, handed over): `stop()` waits for them too. */
  readonly #leaving = new Set<Promise<void>>();
  /** Workspaces whose tokens did not decrypt here, by the version tried: not loaded again until they change. */
  readonly #unreadable = new Map<string, number>();
  readonly #ownership: Ownership;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #isAgain = false;
  #isStopped = false;
  #lastReconcileAt: Date | null = null;

  constructor(private readonly options: SupervisorOptions) {
    this.#ownership = options.ownership ?? EVERYTHING;
  }

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

  /** Every running worker with its connection key, its status built on demand (for publishing the fleet's state). */
  running(): Array<{ readonly status: () => WorkerStatus; readonly connectionKey: string | null }> {
    return [...this.#running.values()].map((r) => ({ status: () => r.worker.status(), connectionKey: r.connectionKey }));
  }

  /**
   * Fencing: the workers on these connections stop taking events now (in
   * this call) and their sockets close; in-flight replies still finish.
   */
  fence(keys: ReadonlySet<string>): void {
    for (const [teamId, running] of this.#running) {
      if (running.connectionKey === null || !keys.has(running.connectionKey)) continue;
      this.#running.delete(teamId);
      this.#track(running.worker.fence(this.options.shutdownGraceMs));
    }
  }

  /** Stops the workers whose connection this instance no longer holds; resolves once they are stopped. */
  async relinquish(): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [teamId, running] of this.#running) {
      if (this.#ownership.holds(running.connectionKey)) continue;
      this.#running.delete(teamId);
      stops.push(this.#track(running.worker.stop('handed over', this.options.shutdownGraceMs)));
    }
    await Promise.all([...stops, ...this.#leaving]);
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
    await Promise.all([...workers.map((r) => r.worker.stop('shutdown', this.options.shutdownGraceMs)), ...this.#leaving]);
  }

  #track(stopping: Promise<void>): Promise<void> {
    const tracked = stopping.finally(() => this.#leaving.delete(tracked));
    this.#leaving.add(tracked);
    return tracked;
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
    this.#ownership.noteDesiredKeys?.(new Set(desired.map((d) => d.connectionKey).filter((key) => key !== null)).size);
    const wanted = new Map(desired.filter((d) => this.#ownership.holds(d.connectionKey)).map((d) => [d.teamId, d]));
    await this.#stopUnwanted(wanted);
    const toStart = [...wanted.values()].filter((d) => !this.#running.has(d.teamId) && this.#unreadable.get(d.teamId) !== d.updatedAt.getTime());
    // Only what starts is read in full and decrypted: a steady fleet of 100,000 costs one narrow query.
    const { specs, unreadable } = toStart.length > 0 ? await this.options.source.load(toStart.map((d) => d.teamId)) : { specs: [], unreadable: [] };
    for (const spec of specs) {
      const want = wanted.get(spec.teamId);
      if (!want || this.#running.has(spec.teamId) || this.#isStopped || !this.#ownership.holds(want.connectionKey)) continue;
      const worker = this.options.createWorker(spec, (teamId, reason) => this.#remove(teamId, reason));
      this.#running.set(spec.teamId, {
        worker, connectionKey: want.connectionKey, version: want.updatedAt.getTime(), restartSeen: want.restartRequestedAt?.getTime() ?? 0,
      });
      void worker.start();
    }
    this.#noteUnreadable(wanted, unreadable);
    this.#lastReconcileAt = new Date();
  }

  /** Stops workers whose row is gone, changed, or whose connection is no longer held here; absorbs restart requests. */
  async #stopUnwanted(wanted: ReadonlyMap<string, DesiredVersion>): Promise<void> {
    const stops: Promise<void>[] = [];
    for (const [teamId, running] of this.#running) {
      const want = wanted.get(teamId);
      if (!want || want.updatedAt.getTime() !== running.version) {
        this.#running.delete(teamId);
        const reason = want ? 'changed' : this.#ownership.holds(running.connectionKey) ? 'removed' : 'handed over';
        this.options.logger.info({ team_id: teamId, reason }, reason === 'changed' ? 'workspace changed: restarting its worker' : 'stopping a worker');
        stops.push(running.worker.stop(reason, this.options.shutdownGraceMs));
      } else {
        const requested = want.restartRequestedAt?.getTime() ?? 0;
        if (running.restartSeen !== 'direct' && requested > running.restartSeen) running.worker.restart();
        running.restartSeen = requested;
      }
    }
    await Promise.all(stops);
  }

  /** Rows that did not decrypt here are not read again until they change; their connections are left to others. */
  #noteUnreadable(wanted: ReadonlyMap<string, DesiredVersion>, unreadable: readonly string[]): void {
    for (const teamId of unreadable) {
      const d = wanted.get(teamId);
      if (d === undefined) continue;
      this.#unreadable.set(d.teamId, d.updatedAt.getTime());
      if (d.connectionKey !== null) this.#ownership.cannotServe?.(d.connectionKey);
    }
  }

  async #remove(teamId: string, reason: string): Promise<void> {
    this.#running.delete(teamId);
    await this.options.source.remove(teamId, { reason, actor: 'flotilla' });
    this.options.events.emit('workspace:removed', teamId, reason);
    this.options.logger.warn({ team_id: teamId, reason }, 'workspace removed');
  }
}
