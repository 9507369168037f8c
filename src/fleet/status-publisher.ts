import { withTimeout } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { FleetEvents } from './fleet-events.js';
import type { WorkerStatus } from './worker.js';

/** One worker's status as published, with the lease it runs under. */
export interface PublishedStatus {
  readonly status: WorkerStatus;
  readonly connectionKey: string;
  readonly epoch: number;
}

/** Where statuses go (`db/fleet-repository.ts`). */
export interface StatusSink {
  /** Upserts the rows in one statement (per few hundred rows). */
  publish(rows: readonly PublishedStatus[]): Promise<void>;
}

export interface StatusPublisherOptions {
  readonly sink: StatusSink;
  /** The running workers and their connection keys; a status is built only when asked for (a fleet of HTTP workers publishes none). */
  readonly source: () => ReadonlyArray<{ readonly status: () => WorkerStatus; readonly connectionKey: string | null }>;
  /** The fencing epoch of a lease this instance holds. */
  readonly epochOf: (key: string) => number | undefined;
  readonly intervalMs: number;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
}

/** How long `stop()` waits for a publish under way. */
const STOP_WAIT_MS = 2_000;

/** A state change is published this soon (several changes in a burst go together). */
const ON_CHANGE_DELAY_MS = 200;

/**
 * Publishes this instance's workers to the database, so any instance can
 * list the whole fleet: every `intervalMs` and soon after a worker changes
 * state, only the rows that changed since the last publish, in one
 * statement. Workers without a lease (no socket) are not published: every
 * instance runs them. A failed publish is tried again next time.
 */
export class StatusPublisher {
  readonly #o: StatusPublisherOptions;
  /** What was last published, per team. */
  #published = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #current: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #isFailing = false;

  constructor(options: StatusPublisherOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => void this.publish(), this.#o.intervalMs);
    this.#timer.unref();
    this.#unsubscribe = this.#o.events.on('worker:state', () => {
      this.#soon ??= setTimeout(() => {
        this.#soon = undefined;
        void this.publish();
      }, ON_CHANGE_DELAY_MS);
      this.#soon.unref();
    });
  }

  /** Publishes what changed; resolves when written (or failed, logged). Calls never overlap. */
  publish(): Promise<void> {
    this.#current = this.#current.then(() => this.#publishOnce());
    return this.#current;
  }

  /** Stops publishing; waits for a publish under way, but not for long (the database may be out of reach). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    this.#unsubscribe?.();
    await withTimeout(this.#current, STOP_WAIT_MS, undefined);
  }

  async #publishOnce(): Promise<void> {
    const changed: PublishedStatus[] = [];
    const fingerprints = new Map<string, string>();
    for (const worker of this.#o.source()) {
      const { connectionKey } = worker;
      if (connectionKey === null) continue;
      const epoch = this.#o.epochOf(connectionKey);
      if (epoch === undefined) continue;
      const status = worker.status();
      const fingerprint = JSON.stringify([epoch, status]);
      fingerprints.set(status.teamId, fingerprint);
      if (this.#published.get(status.teamId) !== fingerprint) changed.push({ status, connectionKey, epoch });
    }
    if (changed.length === 0) return;
    try {
      this.#o.events.emit('coordination:statement', 'status');
      await this.#o.sink.publish(changed);
      for (const row of changed) this.#published.set(row.status.teamId, fingerprints.get(row.status.teamId) as string);
      for (const teamId of [...this.#published.keys()]) if (!fingerprints.has(teamId)) this.#published.delete(teamId);
      this.#isFailing = false;
    } catch (error) {
      if (!this.#isFailing) this.#o.logger.warn({ error: errorMessage(error) }, 'could not publish worker statuses; retrying');
      this.#isFailing = true;
    }
  }
}
