import type { Kysely } from 'kysely';

/**
 * The dashboard's live stream reads, about once a second, what changed in
 * the fleet since its last read, removals included: `workspace_removals` is
 * a history that only grows, so its recent rows are found by time through an
 * index. (`workspace_status` and `connection_leases` hold a row per
 * workspace or connection and are read whole: an index on their timestamps
 * would be rewritten by every status publish and lease renewal, while the
 * read runs only while a dashboard is open.)
 *
 * Backward compatible: an index only. Frozen once landed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('workspace_removals_removed_at_idx').on('workspace_removals').column('removed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('workspace_removals_removed_at_idx').execute();
}
