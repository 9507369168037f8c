import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Logger } from '../../lib/logger.js';
import { randomSecret, readOrCreateSecret } from '../../lib/secret-file.js';
import { findBinaries, type PostgresBinaries } from './binaries.js';
import { createCluster, inspectCluster, SUPERUSER } from './cluster.js';
import { DEFAULT_SERVER_USER, prepareForUser, resolveServerUser, type ServerUser } from './server-user.js';

/** The database flotilla's tables live in (initdb makes only `postgres`). */
export const DATABASE_NAME = 'flotilla';

/** Everything a start needs, found or made on disk. */
export interface PreparedDataDir {
  readonly dataDir: string;
  readonly pgdata: string;
  readonly logFile: string;
  readonly binaries: PostgresBinaries;
  readonly user: ServerUser;
  readonly password: string;
}

export interface PrepareOptions {
  readonly dataDir: string;
  readonly logger: Logger;
  /** As root, the unprivileged user the server runs as (default `postgres`). */
  readonly osUser?: string | undefined;
  /** The npm package holding the binaries (default: this platform's). */
  readonly platformPackage?: string | undefined;
}

/**
 * Readies `<dataDir>`: the binaries for this platform, the user to run them
 * as, the password (generated once into `<dataDir>/postgres-password`, mode
 * 0600), and a cluster in `<dataDir>/pgdata` (initdb on first use; a PGlite
 * or foreign data dir refused). Rejects with one line on any of these.
 */
export async function prepareDataDir(options: PrepareOptions): Promise<PreparedDataDir> {
  const dataDir = resolve(options.dataDir);
  // As root, the server's user must pass through every directory we create (search only: no listing).
  await mkdir(dataDir, { recursive: true, mode: process.getuid?.() === 0 ? 0o711 : 0o700 });
  const pgdata = join(dataDir, 'pgdata');
  const found = await findBinaries(options.platformPackage);
  const user = await resolveServerUser(options.osUser ?? DEFAULT_SERVER_USER, options.logger);
  const binaries = await prepareForUser(user, dataDir, found, options.logger);
  const password = await readOrCreateSecret(join(dataDir, 'postgres-password'), () => randomSecret(24));
  if ((await inspectCluster(pgdata, binaries.major)) === 'missing') {
    const startedAt = Date.now();
    await createCluster(pgdata, binaries, user, password);
    options.logger.info({ pgdata, initdbMs: Date.now() - startedAt, user: user.kind === 'other' ? user.name : undefined }, 'embedded PostgreSQL cluster created');
  }
  return { dataDir, pgdata, logFile: join(dataDir, 'postgres.log'), binaries, user, password };
}

/** Where and as whom to connect: node-postgres settings (a socket directory as `host`). */
export interface EmbeddedConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

/** Connection settings for the server at `address`, as the superuser. */
export function clientConfig(prepared: PreparedDataDir, address: { host: string; port: number }, database = DATABASE_NAME): EmbeddedConnection {
  return { ...address, user: SUPERUSER, password: prepared.password, database };
}

/** Creates the `flotilla` database when missing (first start). */
export async function ensureDatabase(config: pg.ClientConfig): Promise<void> {
  const client = new pg.Client({ ...config, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) {
      await client.query(`create database "${DATABASE_NAME}"`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
