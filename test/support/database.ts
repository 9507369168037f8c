import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { silentLogger, type Logger } from '../../src/lib/logger.js';

/** A fresh, private database for one test file. */
export interface TestDatabase {
  /** The `postgres://` URL of the fresh database (on the run's embedded server, or TEST_DATABASE_URL's). */
  readonly url: string;
  /** A fresh temp dir, for a daemon's generated secrets and admin-url file. */
  readonly dataDir: string;
  /** Opens the database, migrated to latest. Each call opens a new handle; drop() closes them all. */
  open(logger?: Logger): Promise<Database>;
  /** Closes every handle from open(), then drops the database and removes the temp dir. */
  drop(): Promise<void>;
}

/**
 * A new database with a random name, copied (`CREATE DATABASE … TEMPLATE`)
 * from a migrated template that jest's global setup made
 * (test/support/global-setup.mjs): on TEST_DATABASE_URL's server when that is
 * set, else on the one embedded PostgreSQL server the run started.
 * `kind: 'embedded'` takes the embedded server whatever the environment says.
 */
export async function createTestDatabase(options: { kind?: 'auto' | 'embedded' } = {}): Promise<TestDatabase> {
  const { adminUrl, template } = serverFor(options.kind ?? 'auto');
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-test-'));
  const url = await createServerDatabase(adminUrl, template);
  const opened: Database[] = [];
  let isDropped = false;
  return {
    url,
    dataDir,
    async open(logger = silentLogger()) {
      const database = await openDatabase({ target: url, logger, poolSize: 4 });
      opened.push(database);
      await migrateToLatest(database.kysely);
      return database;
    },
    async drop() {
      if (isDropped) return;
      isDropped = true;
      await Promise.all(opened.map((database) => database.close()));
      await dropServerDatabase(adminUrl, url);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The run's embedded server (a `postgres://` URL with its password), as global setup left it in the environment. */
export function embeddedTestServerUrl(): string {
  return required('FLOTILLA_TEST_EMBEDDED_URL');
}

function serverFor(kind: 'auto' | 'embedded'): { adminUrl: string; template: string } {
  const external = process.env.TEST_DATABASE_URL;
  if (kind === 'auto' && external) return { adminUrl: external, template: required('FLOTILLA_TEST_SERVER_TEMPLATE') };
  return { adminUrl: embeddedTestServerUrl(), template: required('FLOTILLA_TEST_EMBEDDED_TEMPLATE') };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is unset: run the tests through jest (its global setup starts the test server) after npm run build`);
  return value;
}

async function createServerDatabase(adminUrl: string, template: string): Promise<string> {
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database "${name}" template "${template}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropServerDatabase(adminUrl: string, url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await withAdmin(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
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
