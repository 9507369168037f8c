import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** One task as commands see it. Dates are `YYYY-MM-DD`. */
export interface TaskRecord {
  readonly teamId: string;
  readonly number: number;
  readonly title: string;
  readonly createdBy: string;
  readonly assignee: string | null;
  readonly dueOn: string | null;
  readonly doneAt: Date | null;
  readonly doneBy: string | null;
  readonly createdAt: Date;
}

export interface NewTask {
  readonly teamId: string;
  readonly title: string;
  readonly createdBy: string;
  readonly assignee: string | null;
  readonly dueOn: string | null;
}

/** Which tasks a list shows. `person`: assigned to them, or created by them and unassigned. */
export interface TaskFilter {
  readonly status: 'open' | 'done' | 'all';
  readonly person?: string;
  /** Default 50. */
  readonly limit?: number;
}

/** A change to one task; omitted fields keep their value. `done: null` reopens. */
export interface TaskPatch {
  readonly title?: string;
  readonly assignee?: string | null;
  readonly dueOn?: string | null;
  readonly done?: { readonly by: string } | null;
}

/** Every read and write of tasks; all scoped by team, so one team never sees another's. */
export interface TaskStore {
  add(task: NewTask): Promise<TaskRecord>;
  get(teamId: string, number: number): Promise<TaskRecord | undefined>;
  list(teamId: string, filter: TaskFilter): Promise<{ tasks: TaskRecord[]; total: number }>;
  update(teamId: string, number: number, patch: TaskPatch): Promise<TaskRecord | undefined>;
  delete(teamId: string, number: number): Promise<boolean>;
}

/**
 * Tasks in PostgreSQL. Numbers come from a per-team counter row bumped in the
 * same transaction as the insert: the row lock serializes concurrent adds, so
 * numbers are unique and never reused (not even after a delete).
 */
export class TaskRepository implements TaskStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  /** Inserts a task with the team's next number; resolves to it. */
  async add(task: NewTask): Promise<TaskRecord> {
    return this.#db.transaction().execute(async (trx) => {
      const { last_number: number } = await trx
        .insertInto('task_counters')
        .values({ team_id: task.teamId, last_number: 1 })
        .onConflict((oc) => oc.column('team_id').doUpdateSet({ last_number: sql<number>`task_counters.last_number + 1` }))
        .returning('last_number')
        .executeTakeFirstOrThrow();
      const row = await trx
        .insertInto('tasks')
        .values({
          team_id: task.teamId, number, title: task.title, created_by: task.createdBy,
          assignee: task.assignee, due_on: task.dueOn,
        })
        .returning(RETURNED)
        .executeTakeFirstOrThrow();
      return toRecord(row);
    });
  }

  /** The task numbered `number` in `teamId`, or undefined. */
  async get(teamId: string, number: number): Promise<TaskRecord | undefined> {
    const row = await this.#db.selectFrom('tasks').select(RETURNED)
      .where('team_id', '=', teamId).where('number', '=', number).executeTakeFirst();
    return row && toRecord(row);
  }

  /**
   * Up to `limit` tasks matching `filter` and how many match in all. Open
   * tasks come by due date (undated last), then number; done ones newest first.
   */
  async list(teamId: string, filter: TaskFilter): Promise<{ tasks: TaskRecord[]; total: number }> {
    let query = this.#db.selectFrom('tasks').where('team_id', '=', teamId);
    if (filter.status === 'open') query = query.where('done_at', 'is', null);
    if (filter.status === 'done') query = query.where('done_at', 'is not', null);
    const person = filter.person;
    if (person !== undefined) {
      query = query.where((eb) => eb.or([
        eb('assignee', '=', person),
        eb.and([eb('assignee', 'is', null), eb('created_by', '=', person)]),
      ]));
    }
    const { count } = await query.select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    let rows = query.select(RETURNED);
    rows = filter.status === 'done'
      ? rows.orderBy('done_at', 'desc').orderBy('number', 'desc')
      : rows.orderBy(sql`done_at is not null`).orderBy(sql`due_on asc nulls last`).orderBy('number');
    const tasks = await rows.limit(filter.limit ?? 50).execute();
    return { tasks: tasks.map(toRecord), total: Number(count) };
  }

  /** Applies `patch`; resolves to the updated task, or undefined when there is no such task. */
  async update(teamId: string, number: number, patch: TaskPatch): Promise<TaskRecord | undefined> {
    const row = await this.#db
      .updateTable('tasks')
      .set({
        updated_at: sql`now()`,
        ...(patch.title === undefined ? {} : { title: patch.title }),
        ...(patch.assignee === undefined ? {} : { assignee: patch.assignee }),
        ...(patch.dueOn === undefined ? {} : { due_on: patch.dueOn }),
        ...(patch.done === undefined ? {} : patch.done === null
          ? { done_at: null, done_by: null }
          : { done_at: sql`now()`, done_by: patch.done.by }),
      })
      .where('team_id', '=', teamId)
      .where('number', '=', number)
      .returning(RETURNED)
      .executeTakeFirst();
    return row && toRecord(row);
  }

  /** Deletes the task; resolves to whether it existed. Its number is not reused. */
  async delete(teamId: string, number: number): Promise<boolean> {
    const result = await this.#db.deleteFrom('tasks').where('team_id', '=', teamId).where('number', '=', number).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

const RETURNED = [
  'team_id', 'number', 'title', 'created_by', 'assignee', 'done_at', 'done_by', 'created_at',
  sql<string | null>`to_char(due_on, 'YYYY-MM-DD')`.as('due_on_text'),
] as const;

interface ReturnedRow {
  team_id: string; number: number; title: string; created_by: string; assignee: string | null;
  done_at: Date | null; done_by: string | null; created_at: Date; due_on_text: string | null;
}

function toRecord(row: ReturnedRow): TaskRecord {
  return {
    teamId: row.team_id, number: row.number, title: row.title, createdBy: row.created_by, assignee: row.assignee,
    dueOn: row.due_on_text, doneAt: row.done_at, doneBy: row.done_by, createdAt: row.created_at,
  };
}
