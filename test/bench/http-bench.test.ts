import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bench (`npm test` builds first). */
const BENCH_JS = fileURLToPath(new URL('../../dist/scripts/bench.js', import.meta.url));

interface Step {
  sent: number; missingReplies: number; duplicateReplies: number; lostAcks: number;
  ack: { count: number; p50: number | null; p99: number | null }; reply: { count: number; p50: number | null; p99: number | null };
}
interface Report {
  mode: string;
  results: Array<{ name: string; load: Step; sustainedRate: number | null; rounds: Array<{ round: number; load: Step; sweep: { steps: Step[] } | null }> }>;
  targets: { replyP99Ratio: number | null; rateRatio: number | null; lines: string[] };
  errors: Record<string, string>;
}

describe('npm run bench -- --mode http', () => {
  it('runs flotilla, Bolt and the floor on the same signed event load and answers every mention exactly once', async () => {
    const out = await mkdtemp(join(tmpdir(), 'flotilla-http-bench-test-'));
    try {
      const args = ['--mode', 'http', '--n', '3', '--m', '20', '--r', '50', '--rounds', '1', '--sweep-rates', '50',
        '--drain-ms', '3000', '--settle-ms', '300', '--out', out];
      const child = spawn(process.execPath, [BENCH_JS, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ code, output }).toMatchObject({ code: 0 });
      const files = await readdir(out);
      expect(files.filter((f) => f.startsWith('http-')).map((f) => f.slice(-3))).toEqual(expect.arrayContaining(['.md', 'son']));
      const report = JSON.parse(await readFile(join(out, files.find((f) => f.endsWith('.json')) as string), 'utf8')) as Report;
      expect(report).toMatchObject({ mode: 'http', errors: {} });
      expect(report.results.map((r) => r.name)).toEqual(['flotilla', 'bolt', 'floor']);
      for (const r of report.results) {
        expect(r.rounds).toHaveLength(1);
        const steps = [r.load, ...(r.rounds[0]?.sweep?.steps ?? [])];
        expect(steps).toHaveLength(2);
        // Every mention acked and answered once: replies counted by channel, one channel per mention.
        for (const step of steps) {
          expect(step).toMatchObject({ sent: 20, missingReplies: 0, duplicateReplies: 0, lostAcks: 0, ack: { count: 20 }, reply: { count: 20 } });
        }
        expect(r.load.reply.p99).toEqual(expect.any(Number));
        expect(r.sustainedRate).toEqual(expect.any(Number));
      }
      expect(report.targets.replyP99Ratio).toEqual(expect.any(Number));
      expect(report.targets.lines.join('\n')).toMatch(/reply p99 flotilla ÷ floor = .*(MET|MISSED)\n.*sustained rate flotilla ÷ Bolt/);
      expect(output).toMatch(/\| reply p99 \(ms\) \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 120_000);
});
