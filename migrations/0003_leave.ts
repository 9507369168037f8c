import { sql, type Kysely } from 'kysely';

/**
 * Leave and the daily "who is out" summary: leave requests (numbered per
 * workspace through a counter row, like tasks) with the history of every
 * status change and the approvers' DMs (for `chat.update`), holidays,
 * workspace settings and approvers, the daily summaries posted (one row per
 * team and day: the claim that makes the post happen once, then its `ts`),
 * and a cache of Slack users. No foreign key to `workspaces`: a removed
 * workspace keeps its data for a reinstall. Frozen once landed. One
 * statement per execute (PGlite).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('leave_counters')
    .addColumn('team_id', 'text', (col) => col.primaryKey())
    .addColumn('last_number', 'integer', (col) => col.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('leave_requests')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('number', 'integer', (col) => col.notNull().check(sql`number > 0`))
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addColumn('from_day', 'date', (col) => col.notNull())
    .addColumn('to_day', 'date', (col) => col.notNull())
    .addColumn('half_day', 'text', (col) => col.check(sql`half_day in ('am', 'pm')`))
    .addColumn('leave_type', 'text', (col) => col.notNull().check(sql`length(leave_type) between 1 and 40`))
    .addColumn('reason', 'text', (col) => col.check(sql`length(reason) between 1 and 500`))
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('pending', 'approved', 'rejected', 'cancelled')`))
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'timestamptz')
    .addColumn('decision_note', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('leave_requests_team_number_key', ['team_id', 'number'])
    .addCheckConstraint('leave_requests_days_in_order', sql`from_day <= to_day`)
    .addCheckConstraint('leave_requests_half_day_is_one_day', sql`half_day is null or from_day = to_day`)
    .execute();

  await db.schema
    .createIndex('leave_requests_team_days_idx')
    .on('leave_requests')
    .columns(['team_id', 'to_day', 'from_day'])
    .execute();

  await db.schema
    .createIndex('leave_requests_team_user_idx')
    .on('leave_requests')
    .columns(['team_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('leave_history')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().check(sql`status in ('pending', 'approved', 'rejected', 'cancelled')`))
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('note', 'text')
    .addColumn('at', 'timestamptz', (col) => col.notNull())
    .execute();

  await db.schema
    .createIndex('leave_history_team_number_idx')
    .on('leave_history')
    .columns(['team_id', 'number', 'id'])
    .execute();

  await db.schema
    .createTable('leave_approver_messages')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('approver_id', 'text', (col) => col.notNull())
    .addColumn('channel_id', 'text', (col) => col.notNull())
    .addColumn('ts', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('leave_approver_messages_pkey', ['team_id', 'number', 'approver_id'])
    .execute();

  await db.schema
    .createTable('holidays')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull().check(sql`length(name) between 1 and 100`))
    .addColumn('created_by', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('holidays_pkey', ['team_id', 'day'])
    .execute();

  await db.schema
    .createTable('workspace_settings')
    .addColumn('team_id', 'text', (col) => col.primaryKey())
    .addColumn('time_zone', 'text')
    .addColumn('summary_channel', 'text')
    .addColumn('summary_time', 'text', (col) => col.notNull().defaultTo('09:00').check(sql`summary_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'`))
    .addColumn('workdays', 'jsonb', (col) => col.notNull().defaultTo(sql`'[1, 2, 3, 4, 5]'::jsonb`))
    .addColumn('leave_types', 'jsonb', (col) => col.notNull().defaultTo(sql`'["vacation", "sick", "personal"]'::jsonb`))
    .addColumn('is_summary_enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('users_listed_at', 'timestamptz')
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('leave_approvers')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('leave_approvers_pkey', ['team_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('daily_summaries')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('day', 'date', (col) => col.notNull())
    .addColumn('channel_id', 'text', (col) => col.notNull())
    .addColumn('ts', 'text')
    .addColumn('claimed_by', 'text', (col) => col.notNull())
    .addColumn('claimed_at', 'timestamptz', (col) => col.notNull())
    .addColumn('posted_at', 'timestamptz')
    .addPrimaryKeyConstraint('daily_summaries_pkey', ['team_id', 'day'])
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('user_id', 'text', (col) => col.notNull())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('real_name', 'text')
    .addColumn('display_name', 'text')
    .addColumn('tz', 'text')
    .addColumn('is_admin', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('is_owner', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('is_bot', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('is_deleted', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('fetched_at', 'timestamptz', (col) => col.notNull())
    .addPrimaryKeyConstraint('users_pkey', ['team_id', 'user_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'users', 'daily_summaries', 'leave_approvers', 'workspace_settings', 'holidays', 'leave_approver_messages',
    'leave_history', 'leave_requests', 'leave_counters',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
