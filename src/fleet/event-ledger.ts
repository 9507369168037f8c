import type { Logger } from '../lib/logger.js';

/** The durable side of dedupe, as the ledger needs it. */
export interface ProcessedStore {
  claim(teamId: string, key: string): Promise<boolean>;
  recordMany(rows: ReadonlyArray<{ readonly teamId: string; readonly eventId: string }>): Promise<void>;
}

// Seldom and in bulk: one statement per few dozen events, off the reply path.
const FLUSH_EVERY_MS = 1_000;
const MAX_BATCH = 500;
const ROWS_PER_STATEMENT = 32;
/** While the database is unreachable, owed rows wait (oldest dropped beyond this) and a flush is retried. */
const MAX_OWED = 100_000;
const RETRY_BASE_MS = 1_000;
const RETRY_CAP_MS = 30_000;

/**
 * Durable dedupe without a database round trip per event. In-process dedupe
 * (RecentKeys) already stops repeats this process has seen; what it cannot
 * see is a Slack redelivery of an event handled before a restart or by another
 * replica. So first deliveries are recorded in batches, off the reply path,
 * and only a redelivery (`retry_attempt` > 0, seconds later) waits for a
 * synchronous claim.
 */
export class EventLedger {
  #pending: Array<{ teamId: string; eventId: string }> = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  /** Failed flushes in a row (0: the last one worked). */
  #failures = 0;

  constructor(private readonly store: ProcessedStore, private readonly logger: Logger) {}

  /** Notes a first delivery; written within about a second. Never throws. */
  record(teamId: string, key: string): void {
    this.#pending.push({ teamId, eventId: key });
    if (this.#pending.length >= MAX_BATCH && this.#failures === 0) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS).unref();
  }

  /** For a redelivery: true if no one has handled this key yet (and now we have). */
  async claim(teamId: string, key: string): Promise<boolean> {
    await this.flush();
    return this.store.claim(teamId, key);
  }

  /**
   * Writes what is pending; resolves when written, or when the write failed:
   * then the rows stay owed and another flush is scheduled with backoff, so
   * a database outage loses nothing (beyond MAX_OWED rows, the oldest go).
   */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length > 0) {
      this.#flushing = this.#flushing.then(() => this.#write(batch)).then(() => {
        if (this.#failures > 0) this.logger.info({ count: batch.length, failures: this.#failures }, 'processed events recorded after the database came back');
        this.#failures = 0;
      }, (error: unknown) => this.#owe(batch, error));
    }
    return this.#flushing;
  }

  /** Puts a batch that could not be written back in front of the queue and schedules a retry. */
  #owe(batch: ReadonlyArray<{ teamId: string; eventId: string }>, error: unknown): void {
    this.#failures += 1;
    const owed = [...batch, ...this.#pending];
    const dropped = Math.max(0, owed.length - MAX_OWED);
    this.#pending = owed.slice(dropped);
    if (this.#failures === 1 || dropped > 0) {
      this.logger.warn({ err: error, owed: this.#pending.length, dropped }, 'could not record processed events; will retry');
    }
    clearTimeout(this.#timer);
    const delayMs = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** (this.#failures - 1));
    this.#timer = setTimeout(() => void this.flush(), delayMs).unref();
  }

  /** Writes in statements of a few dozen rows: between them the event loop serves sockets again. */
  async #write(batch: ReadonlyArray<{ teamId: string; eventId: string }>): Promise<void> {
    for (let at = 0; at < batch.length; at += ROWS_PER_STATEMENT) {
      if (at > 0) await new Promise((resolve) => setImmediate(resolve)); // let waiting socket I/O run
      await this.store.recordMany(batch.slice(at, at + ROWS_PER_STATEMENT));
    }
  }
}
