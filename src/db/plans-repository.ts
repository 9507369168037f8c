import { sql, type Kysely } from 'kysely';
import type { PlanEntryKindColumn, Schema } from './schema.js';

/** What a daily-plan entry says: planned work, an accomplishment, a blocker, or a meeting. */
export type PlanEntryKind = PlanEntryKindColumn;

/** One entry as commands see it. `day` is `YYYY-MM-DD` in the workspace's time zone; `time` is `HH:MM`. */
export interface PlanEntry {
  readonly teamId: string;
  readonly userId: string;
  readonly day: string;
  readonly kind: PlanEntryKind;
  readonly text: string;
  /** Set exactly for meetings. */
  readonly time: string | null;
  readonly channelId: string | null;
  readonly createdAt: Date;
}

export type NewPlanEntry = Omit<PlanEntry, 'createdAt'>;

/** Every read and write of plan entries; all scoped by team. */
export interface PlanStore {
  add(entries: readonly NewPlanEntry[]): Promise<number>;
  forDay(teamId: string, day: string, userId?: string): Promise<PlanEntry[]>;
}

/** Daily plan entries in PostgreSQL. */
export class PlanRepository implements PlanStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  /** Inserts the entries in one statement (all or none); resolves to how many. */
  async add(entries: readonly NewPlanEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    await this.#db.insertInto('plan_entries').values(entries.map((entry) => ({
      team_id: entry.teamId, user_id: entry.userId, day: entry.day, kind: entry.kind, text: entry.text,
      meeting_at: entry.time, channel_id: entry.channelId,
    }))).execute();
    return entries.length;
  }

  /** The day's entries of the team (or of one user), by user, then meetings by time, then in the order written. */
  async forDay(teamId: string, day: string, userId?: string): Promise<PlanEntry[]> {
    let query = this.#db.selectFrom('plan_entries').where('team_id', '=', teamId).where('day', '=', day);
    if (userId !== undefined) query = query.where('user_id', '=', userId);
    const rows = await query
      .select([
        'team_id', 'user_id', 'kind', 'text', 'channel_id', 'created_at',
        sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day_text'),
        sql<string | null>`to_char(meeting_at, 'HH24:MI')`.as('time_text'),
      ])
      .orderBy('user_id').orderBy('meeting_at').orderBy('id')
      .execute();
    return rows.map((row) => ({
      teamId: row.team_id, userId: row.user_id, day: row.day_text, kind: row.kind, text: row.text,
      time: row.time_text, channelId: row.channel_id, createdAt: row.created_at,
    }));
  }
}
