import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { PostgresBinaries } from './binaries.js';
import { EmbeddedServerError } from './errors.js';
import { serverEnvironment } from './postmaster.js';
import { asUser, giveTo, type ServerUser } from './server-user.js';

/** The superuser initdb creates; the daemon connects as it. */
export const SUPERUSER = 'flotilla';

/** What is in `pgdata` before the server starts. */
export type ClusterState = 'missing' | 'ready';

/**
 * Checks that `pgdata` holds a cluster this server can open, and refuses
 * what it cannot: a PGlite database (what flotilla used before its embedded
 * server), another major version, or a directory that is no cluster at all.
 * Resolves to 'missing' when there is nothing yet (initdb is due).
 */
export async function inspectCluster(pgdata: string, major: string): Promise<ClusterState> {
  const entries = await readdir(pgdata).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw new EmbeddedServerError(`cannot read ${pgdata}: ${error.code ?? error.message}`, { cause: error });
  });
  if (entries.length === 0) return 'missing';
  const versionFile = join(pgdata, 'PG_VERSION');
  const versionStat = await stat(versionFile).catch(() => undefined);
  if (!versionStat) {
    throw new EmbeddedServerError(`${pgdata} is not empty and holds no PostgreSQL database (no PG_VERSION); move it away, or set FLOTILLA_DATA_DIR elsewhere`);
  }
  const version = (await readFile(versionFile, 'utf8')).trim();
  // PGlite writes through an emulated file system: every file group- and world-writable (0666).
  // initdb never does (PostgreSQL refuses such a data dir), so the bits tell PGlite's data dirs apart.
  if ((versionStat.mode & 0o022) !== 0) {
    throw new EmbeddedServerError(
      `${pgdata} holds a PGlite database (PostgreSQL ${version}) from an earlier flotilla; the embedded PostgreSQL ${major} server cannot open it. Move it away to start afresh (mv ${pgdata} ${pgdata}.pglite; workspaces must then be added again), or set DATABASE_URL`,
    );
  }
  if (version !== major) {
    throw new EmbeddedServerError(`${pgdata} holds a PostgreSQL ${version} database; this flotilla's embedded server is PostgreSQL ${major}. Upgrade it with pg_upgrade, move it away, or set DATABASE_URL`);
  }
  return 'ready';
}

/**
 * Creates the cluster with initdb, as the server's user: UTF-8, the builtin
 * C.UTF-8 locale (no OS locales needed), scram-sha-256 for every connection,
 * superuser `flotilla` with `password`. initdb works in a temp dir renamed into
 * place when done, so a crash never leaves half a cluster at `pgdata`.
 */
export async function createCluster(pgdata: string, binaries: PostgresBinaries, user: ServerUser, password: string): Promise<void> {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const building = `${pgdata}.init-${suffix}`;
  const passwordFile = `${pgdata}.pw-${suffix}`;
  await mkdir(building, { mode: 0o700 });
  await giveTo(user, building);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await giveTo(user, passwordFile);
  try {
    await runInitdb(binaries.initdb, [
      `--pgdata=${building}`, `--username=${SUPERUSER}`, `--pwfile=${passwordFile}`, '--auth=scram-sha-256',
      '--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8', '--no-instructions',
    ], user);
    await rm(pgdata, { recursive: true, force: true }); // an empty dir, if any (inspectCluster said 'missing')
    await rename(building, pgdata);
  } finally {
    await unlink(passwordFile).catch(() => undefined);
    await rm(building, { recursive: true, force: true }).catch(() => undefined);
  }
}

function runInitdb(initdb: string, args: string[], user: ServerUser): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(initdb, args, { ...asUser(user), stdio: ['ignore', 'pipe', 'pipe'], env: serverEnvironment() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    child.on('error', (error) => reject(new EmbeddedServerError(`cannot run initdb: ${error.message}`, { cause: error })));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve();
      const reason = output.trim().split('\n').filter((line) => /error|fatal|could not|cannot/i.test(line)).slice(-2).join('; ');
      reject(new EmbeddedServerError(`initdb failed (${signal ?? `exit ${code}`}): ${reason || output.trim().split('\n').slice(-1)[0] || 'no output'}`));
    });
  });
}
