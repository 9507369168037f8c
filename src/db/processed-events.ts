import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** Rows a prune deletes per statement: a few hundred milliseconds' work. */
const PRUNE_BATCH = 10_000;

/**
 * Dedupe of Slack events: Slack retries carry the same `event_id`, and one
 * message can arrive as both `message` and `app_mention`.
 */
export class ProcessedEvents {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  /** True only for the first claim of (team, event), across every instance sharing the database. */
  async claim(teamId: string, eventId: string): Promise<boolean> {
    const result = await this.#db
      .insertInto('processed_events')
      .values({ team_id: teamId, event_id: eventId })
      .onConflict((oc) => oc.columns(['team_id', 'event_id']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
  }

  /** Records many keys in one statement (already-known ones are skipped). */
  async recordMany(rows: ReadonlyArray<{ readonly teamId: string; readonly eventId: string }>): Promise<void> {
    if (rows.length === 0) return;
    await this.#db
      .insertInto('processed_events')
      .values(rows.map((row) => ({ team_id: row.teamId, event_id: row.eventId })))
      .onConflict((oc) => oc.columns(['team_id', 'event_id']).doNothing())
      .execute();
  }

  /**
   * Deletes claims processed before `olderThan`, a batch per statement (a day
   * of a busy fleet is millions of rows: one statement would outlast the
   * pool's statement bound); resolves to how many.
   */
  async prune(olderThan: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.#db.deleteFrom('processed_events')
        .where(sql<string>`ctid`, 'in', this.#db.selectFrom('processed_events').select(sql<string>`ctid`.as('ctid'))
          .where('processed_at', '<', olderThan).limit(PRUNE_BATCH))
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows);
      total += deleted;
      if (deleted < PRUNE_BATCH) return total;
    }
  }
}
