import { sql, type Kysely } from 'kysely';

/**
 * The team's own data: tasks (numbered per workspace through a counter row
 * bumped in the adding transaction, so concurrent adds never share a number)
 * and daily plan entries (plan / did / blocked / meeting, per user per day in
 * the workspace's time zone). Every row carries `team_id`; no foreign key to
 * `workspaces`, because a removed workspace keeps its data for a reinstall.
 * Frozen once landed. One statement per execute (PGlite).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('task_counters')
    .addColumn('team_id', 'text', (col) => col.primaryKey())
    .addColumn('last_number', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('number', 'integer', (col) => col.notNull().check(sql`number > 0`))
    .addColumn('title', 'text', (col) => col.notNull().check(sql`length(title) between 1 and 500`))
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('assignee', 'text')
    .addColumn('due_on', 'date')
    .addColumn('done_at', 'timestamptz')
    .addColumn('done_by', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('tasks_team_number_key', ['team_id', 'number'])
    .execute();

  await db.schema
    .createIndex('tasks_team_open_idx')
    .on('tasks')
    .columns(['team_id', 'assignee'])
    .where(sql.ref('done_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('plan_entries')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull().check(sql`kind in ('plan', 'did', 'blocked', 'meeting')`))
    .addColumn('text', 'text', (col) => col.notNull().check(sql`length(text) between 1 and 1000`))
    .addColumn('meeting_at', 'time')
    .addColumn('channel_id', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('plan_entries_meeting_has_time', sql`(kind = 'meeting') = (meeting_at is not null)`)
    .execute();

  await db.schema
    .createIndex('plan_entries_team_day_idx')
    .on('plan_entries')
    .columns(['team_id', 'day', 'user_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('plan_entries').execute();
  await db.schema.dropTable('tasks').execute();
  await db.schema.dropTable('task_counters').execute();
}
