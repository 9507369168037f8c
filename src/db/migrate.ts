import { Migrator, type Kysely, type MigrationProvider, type Migration } from 'kysely';
import { FlotillaError } from '../lib/errors.js';
import { migrations } from '../../migrations/index.js';

/** A migration failed; `migration` names it (undefined if it failed before any ran). */
export class MigrationError extends FlotillaError {
  readonly code = 'flotilla_migration';
  constructor(readonly migration: string | undefined, options: { cause: unknown }) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(
      migration === undefined
        ? `database migration failed: ${reason}`
        : `database migration ${migration} failed (rolled back): ${reason}`,
      options,
    );
  }
}

const staticProvider: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => ({ ...migrations }),
};

/**
 * Applies every pending migration, all in one transaction under Kysely's
 * migration lock (so concurrent starts are safe and a failure leaves the
 * schema as it was). Resolves to the names applied now (empty when already up
 * to date); throws MigrationError naming the migration that failed.
 */
export async function migrateToLatest(kysely: Kysely<any>): Promise<{ applied: string[] }> {
  const migrator = new Migrator({ db: kysely, provider: staticProvider });
  const { error, results = [] } = await migrator.migrateToLatest();
  const applied = results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(failed, { cause: error });
  }
  return { applied };
}
