import { sql, type Kysely, type Transaction } from 'kysely';
import type { HalfDayColumn, LeaveStatusColumn, Schema } from './schema.js';

export type LeaveStatus = LeaveStatusColumn;
export type HalfDay = HalfDayColumn;

/** One leave request as commands see it. Days are `YYYY-MM-DD` (inclusive). */
export interface LeaveRecord {
  readonly teamId: string;
  readonly number: number;
  readonly userId: string;
  readonly from: string;
  readonly to: string;
  /** Set only for a one-day request of half a day. */
  readonly halfDay: HalfDay | null;
  readonly type: string;
  readonly reason: string | null;
  readonly status: LeaveStatus;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  /** A rejection's reason (or a cancellation's note). */
  readonly decisionNote: string | null;
  readonly createdAt: Date;
}

/** A request to store; `at` is when it was asked for (the history's first entry). */
export type NewLeave = Pick<LeaveRecord, 'teamId' | 'userId' | 'from' | 'to' | 'halfDay' | 'type' | 'reason'> & { readonly at: Date };

/** A stored request, or the person's own pending/approved request it would overlap (nothing stored then). */
export type CreateLeaveResult =
  | { readonly kind: 'created'; readonly request: LeaveRecord }
  | { readonly kind: 'overlap'; readonly existing: LeaveRecord };

/** What a status change did: changed it, found it in a state that allows no change, or found nothing. */
export type ChangeLeaveResult =
  | { readonly kind: 'changed'; readonly request: LeaveRecord }
  | { readonly kind: 'unchanged'; readonly request: LeaveRecord }
  | { readonly kind: 'missing' };

export interface LeaveHistoryEntry {
  readonly status: LeaveStatus;
  readonly actor: string;
  readonly note: string | null;
  readonly at: Date;
}

/** Which requests a list shows. */
export interface LeaveFilter {
  readonly userId?: string;
  readonly statuses?: readonly LeaveStatus[];
  /** Only requests with a day in `[from, to]`. */
  readonly between?: { readonly from: string; readonly to: string };
  /** `soonest`: by first day; `newest` (default): latest first day first. */
  readonly order?: 'soonest' | 'newest';
  /** Default 50. */
  readonly limit?: number;
}

/** Where an approver's DM about a request is, so it can be updated. */
export interface ApproverMessage {
  readonly approverId: string;
  readonly channelId: string;
  readonly ts: string;
}

/** Every read and write of leave; all scoped by team, so one team never sees another's. */
export interface LeaveStore {
  create(input: NewLeave): Promise<CreateLeaveResult>;
  get(teamId: string, number: number): Promise<LeaveRecord | undefined>;
  list(teamId: string, filter: LeaveFilter): Promise<{ requests: LeaveRecord[]; total: number }>;
  /** The person's first pending or approved request that overlaps `[from, to]` (two different halves of one day do not). */
  overlapping(teamId: string, userId: string, span: { from: string; to: string; halfDay: HalfDay | null }): Promise<LeaveRecord | undefined>;
  decide(teamId: string, number: number, decision: { status: 'approved' | 'rejected'; by: string; at: Date; note: string | null }): Promise<ChangeLeaveResult>;
  /** Cancels a pending request, or an approved one that is not over by `today`. */
  cancel(teamId: string, number: number, change: { by: string; at: Date; today: string }): Promise<ChangeLeaveResult>;
  history(teamId: string, number: number): Promise<LeaveHistoryEntry[]>;
  /** The histories of several requests at once, by number (oldest entry first). */
  histories(teamId: string, numbers: readonly number[]): Promise<Map<number, LeaveHistoryEntry[]>>;
  /** Approved leave covering `day`, by first day. */
  outOn(teamId: string, day: string): Promise<LeaveRecord[]>;
  recordApproverMessage(teamId: string, number: number, message: ApproverMessage): Promise<void>;
  approverMessages(teamId: string, number: number): Promise<ApproverMessage[]>;
}

/** Thrown inside the create transaction to roll the number back on an overlap. */
class Overlap extends Error {
  constructor(readonly existing: LeaveRecord) {
    super('overlap');
  }
}

/**
 * Leave requests in PostgreSQL. Numbers come from a per-team counter row
 * bumped in the creating transaction; that row lock also serializes the
 * overlap check, so two overlapping requests of one person can never both be
 * stored. Every status change writes its history row in the same transaction,
 * and a decision only moves a `pending` row: the first of two decisions wins.
 */
export class LeaveRepository implements LeaveStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  async create(input: NewLeave): Promise<CreateLeaveResult> {
    try {
      const request = await this.#db.transaction().execute(async (trx) => {
        const { last_number: number } = await trx
          .insertInto('leave_counters')
          .values({ team_id: input.teamId, last_number: 1 })
          .onConflict((oc) => oc.column('team_id').doUpdateSet({ last_number: sql<number>`leave_counters.last_number + 1` }))
          .returning('last_number')
          .executeTakeFirstOrThrow();
        const existing = await findOverlap(trx, input.teamId, input.userId, input);
        if (existing) throw new Overlap(existing);
        const row = await trx.insertInto('leave_requests').values({
          team_id: input.teamId, number, user_id: input.userId, from_day: input.from, to_day: input.to, half_day: input.halfDay,
          leave_type: input.type, reason: input.reason, status: 'pending', created_at: input.at, updated_at: input.at,
        }).returning(RETURNED).executeTakeFirstOrThrow();
        await addHistory(trx, input.teamId, number, { status: 'pending', actor: input.userId, note: null, at: input.at });
        return toRecord(row);
      });
      return { kind: 'created', request };
    } catch (error) {
      if (error instanceof Overlap) return { kind: 'overlap', existing: error.existing };
      throw error;
    }
  }

  async get(teamId: string, number: number): Promise<LeaveRecord | undefined> {
    const row = await this.#db.selectFrom('leave_requests').select(RETURNED)
      .where('team_id', '=', teamId).where('number', '=', number).executeTakeFirst();
    return row && toRecord(row);
  }

  async list(teamId: string, filter: LeaveFilter): Promise<{ requests: LeaveRecord[]; total: number }> {
    let query = this.#db.selectFrom('leave_requests').where('team_id', '=', teamId);
    if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
    if (filter.statuses !== undefined) query = query.where('status', 'in', [...filter.statuses]);
    if (filter.between !== undefined) query = query.where('from_day', '<=', filter.between.to).where('to_day', '>=', filter.between.from);
    const { count } = await query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    const ordered = filter.order === 'soonest'
      ? query.orderBy('from_day').orderBy('number')
      : query.orderBy('from_day', 'desc').orderBy('number', 'desc');
    const rows = await ordered.select(RETURNED).limit(filter.limit ?? 50).execute();
    return { requests: rows.map(toRecord), total: Number(count) };
  }

  overlapping(teamId: string, userId: string, span: { from: string; to: string; halfDay: HalfDay | null }): Promise<LeaveRecord | undefined> {
    return findOverlap(this.#db, teamId, userId, span);
  }

  decide(teamId: string, number: number, decision: { status: 'approved' | 'rejected'; by: string; at: Date; note: string | null }): Promise<ChangeLeaveResult> {
    return this.#change(teamId, number, { status: decision.status, actor: decision.by, note: decision.note, at: decision.at }, { kind: 'pending' });
  }

  cancel(teamId: string, number: number, change: { by: string; at: Date; today: string }): Promise<ChangeLeaveResult> {
    return this.#change(teamId, number, { status: 'cancelled', actor: change.by, note: null, at: change.at }, { kind: 'not_over', today: change.today });
  }

  async history(teamId: string, number: number): Promise<LeaveHistoryEntry[]> {
    const rows = await this.#db.selectFrom('leave_history').select(['status', 'actor', 'note', 'at'])
      .where('team_id', '=', teamId).where('number', '=', number).orderBy('id').execute();
    return rows.map((row) => ({ status: row.status, actor: row.actor, note: row.note, at: row.at }));
  }

  async histories(teamId: string, numbers: readonly number[]): Promise<Map<number, LeaveHistoryEntry[]>> {
    const byNumber = new Map<number, LeaveHistoryEntry[]>(numbers.map((n) => [n, []]));
    for (let at = 0; at < numbers.length; at += 1_000) {
      const rows = await this.#db.selectFrom('leave_history').select(['number', 'status', 'actor', 'note', 'at'])
        .where('team_id', '=', teamId).where('number', 'in', numbers.slice(at, at + 1_000)).orderBy('id').execute();
      for (const row of rows) byNumber.get(row.number)?.push({ status: row.status, actor: row.actor, note: row.note, at: row.at });
    }
    return byNumber;
  }

  async outOn(teamId: string, day: string): Promise<LeaveRecord[]> {
    const rows = await this.#db.selectFrom('leave_requests').select(RETURNED)
      .where('team_id', '=', teamId).where('status', '=', 'approved')
      .where('from_day', '<=', day).where('to_day', '>=', day)
      .orderBy('from_day').orderBy('number').execute();
    return rows.map(toRecord);
  }

  async recordApproverMessage(teamId: string, number: number, message: ApproverMessage): Promise<void> {
    await this.#db.insertInto('leave_approver_messages')
      .values({ team_id: teamId, number, approver_id: message.approverId, channel_id: message.channelId, ts: message.ts })
      .onConflict((oc) => oc.columns(['team_id', 'number', 'approver_id']).doUpdateSet({ channel_id: message.channelId, ts: message.ts }))
      .execute();
  }

  async approverMessages(teamId: string, number: number): Promise<ApproverMessage[]> {
    const rows = await this.#db.selectFrom('leave_approver_messages').select(['approver_id', 'channel_id', 'ts'])
      .where('team_id', '=', teamId).where('number', '=', number).orderBy('approver_id').execute();
    return rows.map((row) => ({ approverId: row.approver_id, channelId: row.channel_id, ts: row.ts }));
  }

  /** One conditional update plus its history row; `unchanged` when the condition does not hold. */
  async #change(teamId: string, number: number, entry: LeaveHistoryEntry, when: ChangeCondition): Promise<ChangeLeaveResult> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await trx.updateTable('leave_requests').set({
        status: entry.status, updated_at: entry.at,
        ...(entry.status === 'cancelled' ? {} : { decided_by: entry.actor, decided_at: entry.at, decision_note: entry.note }),
      })
        .where('team_id', '=', teamId).where('number', '=', number)
        .where((eb) => (when.kind === 'pending'
          ? eb('status', '=', 'pending')
          : eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'approved'), eb('to_day', '>=', when.today)])])))
        .returning(RETURNED).executeTakeFirst();
      if (row) {
        await addHistory(trx, teamId, number, entry);
        return { kind: 'changed', request: toRecord(row) };
      }
      const current = await trx.selectFrom('leave_requests').select(RETURNED)
        .where('team_id', '=', teamId).where('number', '=', number).executeTakeFirst();
      return current ? { kind: 'unchanged', request: toRecord(current) } : { kind: 'missing' };
    });
  }
}

/** Which rows a status change may move: pending ones (decisions), or pending and not-yet-over approved ones (cancellations). */
type ChangeCondition = { readonly kind: 'pending' } | { readonly kind: 'not_over'; readonly today: string };

async function findOverlap(
  db: Kysely<Schema> | Transaction<Schema>, teamId: string, userId: string, span: { from: string; to: string; halfDay: HalfDay | null },
): Promise<LeaveRecord | undefined> {
  let query = db.selectFrom('leave_requests').select(RETURNED)
    .where('team_id', '=', teamId).where('user_id', '=', userId).where('status', 'in', ['pending', 'approved'])
    .where('from_day', '<=', span.to).where('to_day', '>=', span.from);
  // Morning and afternoon of one day are two requests that do not overlap.
  const half = span.halfDay;
  if (half !== null) query = query.where((eb) => eb.or([eb('half_day', 'is', null), eb('half_day', '=', half)]));
  const row = await query.orderBy('from_day').limit(1).executeTakeFirst();
  return row && toRecord(row);
}

async function addHistory(trx: Transaction<Schema>, teamId: string, number: number, entry: LeaveHistoryEntry): Promise<void> {
  await trx.insertInto('leave_history').values({ team_id: teamId, number, status: entry.status, actor: entry.actor, note: entry.note, at: entry.at }).execute();
}

const RETURNED = [
  'team_id', 'number', 'user_id', 'half_day', 'leave_type', 'reason', 'status', 'decided_by', 'decided_at', 'decision_note', 'created_at',
  sql<string>`to_char(from_day, 'YYYY-MM-DD')`.as('from_text'),
  sql<string>`to_char(to_day, 'YYYY-MM-DD')`.as('to_text'),
] as const;

interface ReturnedRow {
  team_id: string; number: number; user_id: string; half_day: HalfDay | null; leave_type: string; reason: string | null;
  status: LeaveStatus; decided_by: string | null; decided_at: Date | null; decision_note: string | null; created_at: Date;
  from_text: string; to_text: string;
}

function toRecord(row: ReturnedRow): LeaveRecord {
  return {
    teamId: row.team_id, number: row.number, userId: row.user_id, from: row.from_text, to: row.to_text, halfDay: row.half_day,
    type: row.leave_type, reason: row.reason, status: row.status, decidedBy: row.decided_by, decidedAt: row.decided_at,
    decisionNote: row.decision_note, createdAt: row.created_at,
  };
}
