import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';

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

  /** Deletes claims processed before `olderThan`; resolves to how many. */
  async prune(olderThan: Date): Promise<number> {
    const result = await this.#db.deleteFrom('processed_events').where('processed_at', '<', olderThan).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
