import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { WorkspaceView } from './api-types.js';

/** The fleet's changes after a cursor, as `GET /v1/workspaces` rows (WorkspaceService.changedSince). */
export interface FleetChanges {
  readonly rows: readonly WorkspaceView[];
  /** Teams removed meanwhile. */
  readonly removed: readonly string[];
  /** Where the next read starts (opaque: the database's clock). */
  readonly cursor: string;
}

export interface FleetPollerOptions {
  /** Reads what changed after `cursor` (null: the last few seconds). */
  readonly read: (cursor: string | null) => Promise<FleetChanges>;
  /** Whether a team runs on this instance: its changes already come from its worker's events. */
  readonly isLocal: (teamId: string) => boolean;
  /** Gets what a read found that was not sent before (called only when there is something). */
  readonly deliver: (rows: readonly WorkspaceView[], removed: readonly string[]) => void;
  readonly logger: Logger;
}

/**
 * Follows the fleet's changes in the database for the live stream, so rows
 * that other instances run change on the page as their owners publish them.
 * `poll()` starts a read unless one is under way (reads never overlap; a slow
 * one makes the next ticks skip); each read starts where the last one ended,
 * and what it finds is delivered at once, less what the previous read already
 * delivered unchanged (consecutive reads overlap by design, see
 * FleetRepository.changedSince). Rows of teams running here are left to their
 * workers' events, except after `rewind()`: the first read after a client
 * joins resends the last seconds of changes, local ones too, to cover what
 * happened between the page's full list and its stream. A failed read is
 * logged (a warning once, then at debug until one works) and the next tick
 * tries again from the same cursor. `stop()` forgets the cursor and drops a
 * read under way.
 */
export class FleetPoller {
  readonly #o: FleetPollerOptions;
  #cursor: string | null = null;
  /** What the last read found, per team (`removed:` keys for removals): what is not sent again. */
  #seen = new Map<string, string>();
  /** Bumped by rewind/stop: a read started before delivers nothing. */
  #generation = 0;
  #isReading = false;
  #isFailing = false;

  constructor(options: FleetPollerOptions) {
    this.#o = options;
  }

  /** Starts a read unless one is under way. Never throws; the read never rejects. */
  poll(): void {
    if (this.#isReading) return;
    this.#isReading = true;
    void this.#readOnce(this.#generation).finally(() => {
      this.#isReading = false;
    });
  }

  /** The next read starts a few seconds back and resends what it finds. */
  rewind(): void {
    this.#generation += 1;
    this.#cursor = null;
    this.#seen = new Map();
  }

  /** No client is left: forget where we were (a read under way is dropped). */
  stop(): void {
    this.rewind();
  }

  async #readOnce(generation: number): Promise<void> {
    const isRewound = this.#cursor === null;
    let changes: FleetChanges;
    try {
      changes = await this.#o.read(this.#cursor);
    } catch (error) {
      if (generation !== this.#generation) return;
      if (this.#isFailing) this.#o.logger.debug({ error: errorMessage(error) }, 'still cannot read the fleet\'s changes');
      else this.#o.logger.warn({ error: errorMessage(error) }, 'cannot read the fleet\'s changes for the live stream; retrying every second');
      this.#isFailing = true;
      return;
    }
    if (generation !== this.#generation) return;
    if (this.#isFailing) this.#o.logger.info('reading the fleet\'s changes for the live stream again');
    this.#isFailing = false;
    this.#cursor = changes.cursor;
    const seen = new Map<string, string>();
    const rows: WorkspaceView[] = [];
    for (const row of changes.rows) {
      if (!isRewound && this.#o.isLocal(row.teamId)) continue;
      const fingerprint = JSON.stringify(row);
      seen.set(row.teamId, fingerprint);
      if (this.#seen.get(row.teamId) !== fingerprint) rows.push(row);
    }
    const removed = changes.removed.filter((teamId) => {
      seen.set(`removed:${teamId}`, '');
      return !this.#seen.has(`removed:${teamId}`);
    });
    this.#seen = seen;
    if (rows.length > 0 || removed.length > 0) this.#o.deliver(rows, removed);
  }
}
