import { sql, type Kysely } from 'kysely';

/**
 * Several instances on one database. `instances`: who is running (heartbeat).
 * `connection_leases`: one owner at a time per connection key (a Socket Mode
 * app token's digest, an RTM team), with an expiry and a fencing epoch that
 * grows each time the lease changes hands. `workspace_status`: what each
 * owner publishes about its workers, so any instance can list the whole fleet.
 * `workspaces.connection_key`: the lease key of the row's connection, written
 * with the tokens (a Socket Mode key needs the plain app token, so rows from
 * before this migration are keyed by the daemon, not here; RTM keys are
 * filled below).
 *
 * Backward compatible for one version: only a nullable column and new
 * tables, so a daemon of the previous version keeps running on this schema
 * during a rolling upgrade. Frozen once landed. One statement per execute.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('workspaces').addColumn('connection_key', 'text').execute();
  await sql`update workspaces set connection_key = 'rtm:' || team_id where transport = 'rtm'`.execute(db);
  await db.schema.createIndex('workspaces_connection_key_idx').on('workspaces').column('connection_key').execute();

  await db.schema
    .createTable('instances')
    .addColumn('id', 'text', (col) => col.primaryKey())
    .addColumn('host', 'text', (col) => col.notNull())
    .addColumn('version', 'text', (col) => col.notNull())
    // One per process: two live processes never share an id.
    .addColumn('incarnation', 'text', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('heartbeat_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('connection_leases')
    .addColumn('key', 'text', (col) => col.primaryKey())
    // Null once released: free for anyone at once.
    .addColumn('owner', 'text')
    .addColumn('epoch', 'bigint', (col) => col.notNull().defaultTo(1))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('acquired_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // The owner before the last claim (null after a release): tells a takeover from a hand-over.
    .addColumn('previous_owner', 'text')
    .execute();
  await db.schema.createIndex('connection_leases_owner_idx').on('connection_leases').column('owner').execute();

  await db.schema
    .createTable('workspace_status')
    .addColumn('team_id', 'text', (col) => col.primaryKey())
    .addColumn('owner', 'text', (col) => col.notNull())
    .addColumn('connection_key', 'text', (col) => col.notNull())
    .addColumn('epoch', 'bigint', (col) => col.notNull())
    .addColumn('team_name', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) => col.notNull())
    .addColumn('connected_since', 'timestamptz')
    .addColumn('last_event_at', 'timestamptz')
    .addColumn('restarts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('workspace_status').execute();
  await db.schema.dropTable('connection_leases').execute();
  await db.schema.dropTable('instances').execute();
  await db.schema.dropIndex('workspaces_connection_key_idx').execute();
  await db.schema.alterTable('workspaces').dropColumn('connection_key').execute();
}
