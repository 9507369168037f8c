import { sql, type Kysely } from 'kysely';

/**
 * Core tables: workspaces (with a NOTIFY trigger so the supervisor reacts at
 * once), the removal log, and Slack event dedupe. Frozen once landed: change
 * the schema in a new migration. One statement per execute (PGlite runs every
 * query through the extended protocol, which takes a single statement).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('workspaces')
    .addColumn('team_id', 'text', (col) => col.primaryKey())
    .addColumn('team_name', 'text', (col) => col.notNull())
    .addColumn('team_domain', 'text')
    .addColumn('transport', 'text', (col) => col.notNull().check(sql`transport in ('socket-mode', 'rtm')`))
    .addColumn('bot_token_enc', 'text', (col) => col.notNull())
    .addColumn('app_token_enc', 'text')
    .addColumn('app_id', 'text')
    .addColumn('bot_user_id', 'text', (col) => col.notNull())
    .addColumn('bot_id', 'text')
    .addColumn('enabled', 'boolean', (col) => col.notNull().defaultTo(true))
    .addColumn('restart_requested_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'workspaces_socket_mode_has_app_token',
      sql`transport <> 'socket-mode' or app_token_enc is not null`,
    )
    .execute();

  await sql`
    create function flotilla_notify_workspaces() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        perform pg_notify('flotilla_workspaces', old.team_id);
      else
        perform pg_notify('flotilla_workspaces', new.team_id);
      end if;
      return null;
    end
    $$`.execute(db);

  await sql`
    create trigger workspaces_notify
    after insert or update or delete on workspaces
    for each row execute function flotilla_notify_workspaces()`.execute(db);

  await db.schema
    .createTable('workspace_removals')
    .addColumn('id', 'bigint', (col) => col.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('team_name', 'text', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('actor', 'text', (col) => col.notNull())
    .addColumn('removed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createIndex('workspace_removals_team_id_idx')
    .on('workspace_removals')
    .columns(['team_id', 'removed_at'])
    .execute();

  await db.schema
    .createTable('processed_events')
    .addColumn('team_id', 'text', (col) => col.notNull())
    .addColumn('event_id', 'text', (col) => col.notNull())
    .addColumn('processed_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('processed_events_pkey', ['team_id', 'event_id'])
    .execute();

  await db.schema
    .createIndex('processed_events_processed_at_idx')
    .on('processed_events')
    .column('processed_at')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('processed_events').execute();
  await db.schema.dropTable('workspace_removals').execute();
  await db.schema.dropTable('workspaces').execute();
  await sql`drop function flotilla_notify_workspaces()`.execute(db);
}
