import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
// A ref'd timer: while we wait for a server (that may not be our child), nothing else may keep node alive.
import { setTimeout as delay } from 'node:timers/promises';
import type { PostgresBinaries } from './binaries.js';
import { EmbeddedServerError } from './errors.js';
import { asUser, type ServerUser } from './server-user.js';

/** Where the server listens: a Unix socket in its data dir, or loopback TCP. Never beyond the machine. */
export type Listen =
  | { readonly kind: 'socket'; readonly dir: string; readonly port: number }
  | { readonly kind: 'tcp'; readonly host: '127.0.0.1'; readonly port: number };

/** What `postmaster.pid` says about a running (or crashed) server. */
export interface PostmasterInfo {
  readonly pid: number;
  readonly startedAtMs: number;
  readonly listen: Listen | undefined;
  /** `starting`, `ready`, `stopping` or `standby`. */
  readonly status: string;
}

const SOCKET_PORT = 5432;
/** sun_path holds 108 bytes with its NUL; PostgreSQL refuses longer socket paths. */
const MAX_SOCKET_PATH = 107;
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

/** A Unix socket in `pgdata` when its path fits, else 127.0.0.1 on a free port (`tcp` forces that). */
export async function chooseListen(pgdata: string, prefer: 'auto' | 'tcp'): Promise<Listen> {
  const socketPath = join(pgdata, `.s.PGSQL.${SOCKET_PORT}`);
  if (prefer === 'auto' && Buffer.byteLength(socketPath) <= MAX_SOCKET_PATH) return { kind: 'socket', dir: pgdata, port: SOCKET_PORT };
  return { kind: 'tcp', host: '127.0.0.1', port: await freePort() };
}

/** `host` and `port` as node-postgres takes them (a directory for a socket). */
export function pgAddress(listen: Listen): { host: string; port: number } {
  return { host: listen.kind === 'socket' ? listen.dir : listen.host, port: listen.port };
}

/** Reads `pgdata/postmaster.pid`; undefined when there is none (or it is being written). */
export async function readPostmaster(pgdata: string): Promise<PostmasterInfo | undefined> {
  const text = await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const lines = text?.split('\n') ?? [];
  const pid = Number.parseInt(lines[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || lines.length < 8) return undefined;
  const port = Number.parseInt(lines[3] ?? '', 10);
  const socketDir = lines[4]?.trim() ?? '';
  const address = lines[5]?.trim() ?? '';
  const listen: Listen | undefined = socketDir !== ''
    ? { kind: 'socket', dir: socketDir, port }
    : address === '127.0.0.1' ? { kind: 'tcp', host: '127.0.0.1', port } : undefined;
  return { pid, startedAtMs: Number.parseInt(lines[2] ?? '0', 10) * 1000, listen, status: lines[7]?.trim() ?? '' };
}

/** Whether a process with this pid exists (one of another user counts). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent of `pid` (Linux /proc), undefined where it cannot be read. An orphaned server's parent is init (1) or a subreaper. */
export async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number.parseInt(fields?.[1] ?? '', 10);
  return Number.isInteger(ppid) ? ppid : undefined;
}

export interface SpawnOptions {
  readonly binaries: PostgresBinaries;
  readonly pgdata: string;
  readonly user: ServerUser;
  readonly listen: Listen;
  readonly logFile: string;
  /** Extra `-c name=value` settings. */
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * Starts `postgres` in its own process group (a Ctrl-C meant for flotilla
 * must not stop it before flotilla has drained), its output appended to
 * `logFile`, and resolves once `postmaster.pid` says it is ready. Rejects
 * with the server's own FATAL line when it exits first, or after `timeoutMs`.
 */
export async function spawnPostgres(options: SpawnOptions, timeoutMs = 60_000): Promise<ChildProcess> {
  await rotateLog(options.logFile);
  const log = await open(options.logFile, 'a', 0o600);
  const { listen } = options;
  const settings: Record<string, string> = {
    listen_addresses: listen.kind === 'tcp' ? listen.host : '',
    unix_socket_directories: listen.kind === 'socket' ? listen.dir : '',
    unix_socket_permissions: '0700',
    port: String(listen.port),
    ...options.settings,
  };
  let child: ChildProcess;
  try {
    child = spawn(options.binaries.postgres, ['-D', options.pgdata, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      ...asUser(options.user), detached: true, stdio: ['ignore', log.fd, log.fd], env: serverEnvironment(),
    });
  } finally {
    await log.close(); // the child has its own copy of the descriptor
  }
  let exited: string | undefined;
  child.once('error', (error) => { exited = error.message; });
  child.once('exit', (code, signal) => { exited = signal ?? `exit ${code}`; });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new EmbeddedServerError(`the embedded PostgreSQL server did not start (${exited}): ${await logReason(options.logFile)}`);
    }
    const info = await readPostmaster(options.pgdata);
    if (info !== undefined && info.pid === child.pid && info.status === 'ready') return child;
    if (Date.now() > deadline) {
      child.kill('SIGQUIT');
      throw new EmbeddedServerError(`the embedded PostgreSQL server was not ready after ${timeoutMs / 1000} s; see ${options.logFile}`);
    }
    await delay(20);
  }
}

/**
 * Asks the server with this pid for a fast shutdown (SIGINT: sessions
 * ended, a checkpoint written) and resolves once it is gone; after
 * `timeoutMs`, an immediate one (SIGQUIT), then SIGKILL.
 */
export async function stopPid(pid: number, timeoutMs = 30_000): Promise<void> {
  for (const [signal, waitMs] of [['SIGINT', timeoutMs], ['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return; // gone already
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return;
      await delay(20);
    }
  }
}

/**
 * The environment of the server's processes: nothing of flotilla's own (its
 * tokens and keys may be in it, and as root the server runs as another user,
 * who could read them in /proc/<pid>/environ).
 */
export function serverEnvironment(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' };
}

/** The last FATAL/PANIC/ERROR lines of the server's log, for a one-line reason. */
export async function logReason(logFile: string): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const lines = text.slice(-8_192).split('\n').filter((line) => /\b(FATAL|PANIC|ERROR)\b/.test(line));
  const reason = lines.slice(-2).map((line) => line.replace(/^.*?\b(FATAL|PANIC|ERROR):\s*/, '$1: ')).join('; ');
  return reason === '' ? `see ${logFile}` : `${reason} (log: ${logFile})`;
}

async function rotateLog(logFile: string): Promise<void> {
  const size = (await stat(logFile).catch(() => undefined))?.size ?? 0;
  if (size > LOG_ROTATE_BYTES) await rename(logFile, `${logFile}.1`).catch(() => undefined);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
