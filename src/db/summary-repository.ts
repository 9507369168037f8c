import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** One (team, day) summary: who claimed it, and its message once posted. */
export interface SummaryClaim {
  readonly teamId: string;
  readonly day: string;
  readonly channelId: string;
  /** The posted message's ts; null while only claimed (or when the poster died before storing it). */
  readonly ts: string | null;
  readonly claimedBy: string;
  readonly claimedAt: Date;
  readonly postedAt: Date | null;
}

/** What a claim attempt found: ours now (`fresh`, or `taken_over` from a claimer that went quiet), or someone else's. */
export type ClaimResult =
  | { readonly kind: 'fresh' | 'taken_over'; readonly claim: SummaryClaim }
  | { readonly kind: 'held'; readonly claim: SummaryClaim };

/** The claims that make each workspace's daily summary happen once. */
export interface SummaryStore {
  /**
   * Claims (team, day) for `instance`: inserted when nobody has; taken over
   * when claimed before `staleBefore` and never posted (its claimer crashed,
   * or crashed between posting and storing the ts: look before posting).
   * One statement each, so two instances never both hold it.
   */
  claim(input: { teamId: string; day: string; channelId: string; instance: string; at: Date; staleBefore: Date }): Promise<ClaimResult>;
  /** Stores the posted message's ts (and channel) on the claim. */
  recordPosted(teamId: string, day: string, posted: { ts: string; channelId: string; at: Date }): Promise<void>;
  get(teamId: string, day: string): Promise<SummaryClaim | undefined>;
}

/** Daily-summary claims in PostgreSQL (`daily_summaries`, primary key team and day). */
export class SummaryRepository implements SummaryStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  async claim(input: { teamId: string; day: string; channelId: string; instance: string; at: Date; staleBefore: Date }): Promise<ClaimResult> {
    const inserted = await this.#db.insertInto('daily_summaries')
      .values({ team_id: input.teamId, day: input.day, channel_id: input.channelId, claimed_by: input.instance, claimed_at: input.at })
      .onConflict((oc) => oc.columns(['team_id', 'day']).doNothing())
      .returning(RETURNED).executeTakeFirst();
    if (inserted) return { kind: 'fresh', claim: toClaim(inserted) };
    const taken = await this.#db.updateTable('daily_summaries')
      .set({ claimed_by: input.instance, claimed_at: input.at })
      .where('team_id', '=', input.teamId).where('day', '=', input.day)
      .where('ts', 'is', null).where('claimed_at', '<', input.staleBefore)
      .returning(RETURNED).executeTakeFirst();
    if (taken) return { kind: 'taken_over', claim: toClaim(taken) };
    const held = await this.get(input.teamId, input.day);
    if (!held) throw new Error(`summary claim for ${input.teamId} ${input.day} vanished`);
    return { kind: 'held', claim: held };
  }

  async recordPosted(teamId: string, day: string, posted: { ts: string; channelId: string; at: Date }): Promise<void> {
    await this.#db.updateTable('daily_summaries').set({ ts: posted.ts, channel_id: posted.channelId, posted_at: posted.at })
      .where('team_id', '=', teamId).where('day', '=', day).execute();
  }

  async get(teamId: string, day: string): Promise<SummaryClaim | undefined> {
    const row = await this.#db.selectFrom('daily_summaries').select(RETURNED)
      .where('team_id', '=', teamId).where('day', '=', day).executeTakeFirst();
    return row && toClaim(row);
  }
}

const RETURNED = ['team_id', 'channel_id', 'ts', 'claimed_by', 'claimed_at', 'posted_at', sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day_text')] as const;

interface ReturnedRow { team_id: string; channel_id: string; ts: string | null; claimed_by: string; claimed_at: Date; posted_at: Date | null; day_text: string }

function toClaim(row: ReturnedRow): SummaryClaim {
  return {
    teamId: row.team_id, day: row.day_text, channelId: row.channel_id, ts: row.ts, claimedBy: row.claimed_by,
    claimedAt: row.claimed_at, postedAt: row.posted_at,
  };
}
