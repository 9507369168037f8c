import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrations } from '../../migrations/index.js';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';

/** A fresh, private database for one test file. */
export interface TestDatabase {
  /** The server URL of the fresh database, or undefined for embedded PGlite. */
  readonly url: string | undefined;
  /** A fresh temp dir (holds `pgdata/` when embedded). */
  readonly dataDir: string;
  /** Opens the database, migrated to latest. Each call opens a new handle; drop() closes them all. */
  open(logger?: Logger): Promise<Database>;
  /** Closes every handle from open(), then drops the database and removes the temp dir. */
  drop(): Promise<void>;
}

/**
 * With TEST_DATABASE_URL set: a new database with a random name on that
 * server. Otherwise: embedded PGlite in a temp dir, copied from a migrated
 * template data dir that is built once per machine and migration set (a
 * first PGlite start runs initdb, ~3.5 s; a copy starts in ~0.3 s).
 * `kind: 'embedded'` forces PGlite whatever the environment says.
 */
export async function createTestDatabase(options: { kind?: 'auto' | 'embedded' } = {}): Promise<TestDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-test-'));
  const adminUrl = options.kind === 'embedded' ? undefined : process.env.TEST_DATABASE_URL || undefined;
  const url = adminUrl ? await createServerDatabase(adminUrl) : undefined;
  if (url === undefined) await copyDir(join(await embeddedTemplate(), 'pgdata'), join(dataDir, 'pgdata'));

  const opened: Database[] = [];
  let isDropped = false;
  return {
    url,
    dataDir,
    async open(logger = silentLogger()) {
      const database = await openDatabase({ url, dataDir, logger, poolSize: 4 });
      opened.push(database);
      await migrateToLatest(database.kysely);
      return database;
    },
    async drop() {
      if (isDropped) return;
      isDropped = true;
      await Promise.all(opened.map((database) => database.close()));
      if (adminUrl && url) await dropServerDatabase(adminUrl, url);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function createServerDatabase(adminUrl: string): Promise<string> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropServerDatabase(adminUrl: string, url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await withAdmin(adminUrl, async (client) => {
    await client.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
    await client.query(`drop database if exists "${name}" with (force)`);
  });
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Jest gives each test file its own module registry, so this memo is per file; the disk cache is shared. */
let templatePromise: Promise<string> | undefined;

function embeddedTemplate(): Promise<string> {
  templatePromise ??= buildTemplate().catch((error: unknown) => {
    templatePromise = undefined;
    throw error;
  });
  return templatePromise;
}

/**
 * `${tmpdir}/flotilla-pglite-template-<hash of migrations>`: built in a private
 * dir, then renamed into place, so concurrent jest workers never see half a
 * template (the loser of a race throws its copy away).
 */
async function buildTemplate(): Promise<string> {
  const hash = createHash('sha256');
  for (const [name, migration] of Object.entries(migrations)) {
    hash.update(name).update(migration.up.toString()).update(String(migration.down));
  }
  const dir = join(tmpdir(), `flotilla-pglite-template-${hash.digest('hex').slice(0, 16)}`);
  if (await exists(join(dir, 'pgdata', 'PG_VERSION'))) return dir;

  const building = `${dir}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(building, { recursive: true });
  const database = await openDatabase({ dataDir: building, logger: silentLogger() });
  try {
    await migrateToLatest(database.kysely);
  } finally {
    await database.close();
  }
  try {
    await rename(building, dir);
  } catch {
    await rm(building, { recursive: true, force: true });
    if (!(await exists(join(dir, 'pgdata', 'PG_VERSION')))) throw new Error(`cannot create PGlite template ${dir}`);
  }
  return dir;
}

/** `cp -R` is several times faster than node's recursive copy on PGlite's ~1,000 small files. */
async function copyDir(from: string, to: string): Promise<void> {
  await promisify(execFile)('cp', ['-R', from, to]);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
