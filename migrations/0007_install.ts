import { sql, type Kysely } from 'kysely';

/**
 * "Add to Slack" and HTTP events. `workspaces.transport` may now be `http`
 * (events arrive at the public listener; no socket, no lease), and a row
 * records who installed it (`installed_by`: the installing user's id for an
 * OAuth install, null for an operator's `workspace add`). `oauth_states`:
 * the install flow's `state` values, kept only as SHA-256 digests, single use
 * (`used_at`) and expiring (`expires_at`), with the install options
 * @slack/oauth hands back on the redirect.
 *
 * Backward compatible for one version: a wider check, a nullable column and
 * a new table. Frozen once landed. One statement per execute.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table workspaces drop constraint workspaces_transport_check`.execute(db);
  await sql`alter table workspaces add constraint workspaces_transport_check check (transport in ('socket-mode', 'rtm', 'http'))`.execute(db);
  await db.schema.alterTable('workspaces').addColumn('installed_by', 'text').execute();

  await db.schema
    .createTable('oauth_states')
    .addColumn('state_hash', 'text', (col) => col.primaryKey())
    .addColumn('install_options', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('oauth_states_expires_at_idx').on('oauth_states').column('expires_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('oauth_states').execute();
  await db.schema.alterTable('workspaces').dropColumn('installed_by').execute();
  await sql`alter table workspaces drop constraint workspaces_transport_check`.execute(db);
  await sql`alter table workspaces add constraint workspaces_transport_check check (transport in ('socket-mode', 'rtm'))`.execute(db);
}
