import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { stopEmbeddedServer, postmasterPid } from '../support/embedded.js';
import { until } from '../support/until.js';

/** Log lines (JSON) of a process's output: message and time. */
function entries(output: string): Array<{ msg: string; time: number }> {
  return output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; time: number });
}
function messages(output: string): string[] {
  return entries(output).map((entry) => entry.msg);
}

/** The uid a process runs as (Linux). */
async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * `flotilla start` without DATABASE_URL, as real processes: its own PostgreSQL server
 * started first and stopped last, one daemon per data dir, orphans taken care of,
 * `flotilla migrate` beside a running daemon.
 */
describe('flotilla start with its embedded PostgreSQL server', () => {
  let dataDir: string;
  let env: Record<string, string>;
  const running: Spawned[] = [];

  const start = async (): Promise<Spawned> => {
    const daemon = spawnFlotilla(['start'], env);
    running.push(daemon);
    await until(() => /"msg":"flotilla started"/.test(daemon.output()), 60_000, `flotilla started\n${daemon.output()}`);
    return daemon;
  };
  const healthz = async (): Promise<number> => {
    const url = (await readFile(join(dataDir, 'admin-url'), 'utf8')).trim();
    return (await fetch(`${url}/healthz`)).status;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'flotilla-embedded-'));
    // No workspaces: the daemon never calls Slack.
    env = { FLOTILLA_DATA_DIR: dataDir, SLACK_API_URL: 'http://127.0.0.1:9/api/', FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info' };
  });
  afterAll(async () => {
    for (const daemon of running) daemon.child.kill('SIGKILL');
    await Promise.all(running.map((daemon) => daemon.exited));
    await stopEmbeddedServer(join(dataDir, 'pgdata'));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts the server before anything else and stops it after everything else', async () => {
    const daemon = await start();
    const pid = await postmasterPid(join(dataDir, 'pgdata'));
    expect(pid).toBeDefined();
    const order = ['embedded PostgreSQL cluster created', 'embedded PostgreSQL server ready', 'migrations applied', 'admin API listening']
      .map((message) => messages(daemon.output()).indexOf(message));
    expect(order[0]).toBeGreaterThanOrEqual(0);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // Loopback only: a Unix socket in pgdata, no TCP address (postmaster.pid: line 5 socket dir, line 6 address).
    const lines = (await readFile(join(dataDir, 'pgdata', 'postmaster.pid'), 'utf8')).split('\n');
    expect(lines[4]).toBe(join(dataDir, 'pgdata'));
    expect(lines[5]).toBe('');
    expect((await stat(join(dataDir, 'postgres-password'))).mode & 0o777).toBe(0o600);
    // Nothing of flotilla's environment (tokens, keys) reaches the server's processes.
    expect(await readFile(`/proc/${pid}/environ`, 'utf8')).not.toContain('FLOTILLA_');
    if (process.getuid?.() === 0) {
      // PostgreSQL refuses root: the server runs as the unprivileged `postgres` user, which owns pgdata.
      const postgresUid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      expect(await uidOf(pid!)).toBe(postgresUid);
      expect((await stat(join(dataDir, 'pgdata'))).uid).toBe(postgresUid);
    } else {
      expect(await uidOf(pid!)).toBe(process.getuid?.());
    }

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    // Last: after the daemon drained and closed everything else. By the lines' times: pino's
    // asynchronous writes may swap the last two lines when the process exits right after them.
    const after = entries(daemon.output());
    const at = (msg: string): number => after.find((entry) => entry.msg === msg)?.time ?? Number.NaN;
    const serverStoppedAt = at('embedded PostgreSQL server stopped');
    for (const entry of after.filter((e) => e.msg !== 'stopped' && e.msg !== 'embedded PostgreSQL server stopped')) {
      expect(entry.time).toBeLessThanOrEqual(serverStoppedAt);
    }
    expect(at('stopping')).toBeLessThanOrEqual(serverStoppedAt);
    expect(at('stopped')).toBeGreaterThanOrEqual(serverStoppedAt);
    expect(isAlive(pid!)).toBe(false);
    expect(await postmasterPid(join(dataDir, 'pgdata'))).toBeUndefined();
  });

  it('refuses a second start on the same data dir with one line, and the first keeps running', async () => {
    const first = await start();
    const second = spawnFlotilla(['start'], env);
    expect(await second.exited).toBe(1);
    const stderr = second.output().split('\n').filter((line) => line !== '' && !line.startsWith('{'));
    expect(stderr).toEqual([expect.stringMatching(new RegExp(`^flotilla: could not start: ${dataDir} is in use by flotilla start \\(pid ${first.child.pid}\\); stop it first`))]);
    expect(await healthz()).toBe(200);
    expect(first.child.exitCode).toBeNull();
  });

  it('runs flotilla migrate against the running daemon\'s server', async () => {
    const migrate = spawnFlotilla(['migrate'], env);
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('database is up to date');
    // keys rotate reaches the database the same way (no workspaces here: nothing to re-encrypt).
    const rotate = spawnFlotilla(['keys', 'rotate'], { ...env, FLOTILLA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') });
    expect(await rotate.exited).toBe(0);
    expect(rotate.output()).toContain('re-encrypted 0 workspace(s) with the new key (0 already on it; old key from');
    expect(await healthz()).toBe(200);
  });

  it('stops a server orphaned by kill -9 of its daemon, and starts afresh without help', async () => {
    const first = running.at(-1)!;
    const orphan = (await postmasterPid(join(dataDir, 'pgdata')))!;
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(orphan)).toBe(true);

    const next = await start();
    expect(messages(next.output())).toContain('stopping an embedded PostgreSQL server left running by a flotilla that was killed');
    expect(isAlive(orphan)).toBe(false);
    const pid = await postmasterPid(join(dataDir, 'pgdata'));
    expect(pid).not.toBe(orphan);
    expect(await healthz()).toBe(200);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('runs flotilla migrate with no daemon: a server of its own for the occasion, stopped after', async () => {
    const migrate = spawnFlotilla(['migrate'], env);
    expect(await migrate.exited).toBe(0);
    expect(migrate.output()).toContain('database is up to date');
    expect(await postmasterPid(join(dataDir, 'pgdata'))).toBeUndefined();
    const rotate = spawnFlotilla(['keys', 'rotate'], { ...env, FLOTILLA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64') });
    expect(await rotate.exited).toBe(0);
    expect(rotate.output()).toContain('re-encrypted 0 workspace(s) with the new key');
    expect(await postmasterPid(join(dataDir, 'pgdata'))).toBeUndefined();
  });
});
