import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bench (`npm test` builds first). */
const BENCH_JS = fileURLToPath(new URL('../../dist/scripts/bench.js', import.meta.url));

interface Result {
  name: string;
  connectMs: number;
  memory: { rssPerConnectionKb: number };
  load: { sent: number; missingReplies: number; duplicateReplies: number; lostAcks: number; reply: { p99: number | null } };
  sweep: { steps: unknown[] } | null;
  storm: { recoveryMs: number | null; verify: { missingReplies: number } | null } | null;
}

describe('npm run bench', () => {
  it('runs every contender through every phase at tiny N and M and writes JSON and Markdown', async () => {
    const out = await mkdtemp(join(tmpdir(), 'flotilla-bench-test-'));
    try {
      const args = ['--quick', '--n', '3', '--m', '30', '--r', '100', '--sweep-rates', '200', '--sweep-step-ms', '300',
        '--drain-ms', '2000', '--settle-ms', '300', '--reconcile-rows', '300', '--out', out];
      const child = spawn(process.execPath, [BENCH_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ code, output }).toMatchObject({ code: 0 });
      const files = await readdir(out);
      const json = files.find((f) => f.endsWith('.json'));
      expect(files.some((f) => f.endsWith('.md'))).toBe(true);
      const report = JSON.parse(await readFile(join(out, json as string), 'utf8')) as { results: Result[]; reconcile: { rows: number } };
      expect(report.results.map((r) => r.name)).toEqual(['flotilla', 'bolt', 'floor']);
      for (const r of report.results) {
        expect(r.connectMs).toBeGreaterThan(0);
        expect(Number.isFinite(r.memory.rssPerConnectionKb)).toBe(true);
        expect(r.load).toMatchObject({ sent: 30, missingReplies: 0, duplicateReplies: 0, lostAcks: 0 });
        expect(r.load.reply.p99).not.toBeNull();
        expect(r.sweep?.steps).toHaveLength(1);
        expect(r.storm?.recoveryMs).not.toBeNull();
        expect(r.storm?.verify?.missingReplies).toBe(0);
      }
      expect(report.reconcile.rows).toBe(300);
      expect(output).toContain('flotilla ÷ bolt');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 90_000);
});
