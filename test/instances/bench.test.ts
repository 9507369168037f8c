import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, jest } from '@jest/globals';
import type { InstancesReport } from '../../scripts/bench/instances-report.js';

// Two daemons, two takeovers, each waiting on the lease TTL.
jest.setTimeout(240_000);

const BENCH_JS = fileURLToPath(new URL('../../dist/scripts/bench.js', import.meta.url));

describe('npm run bench -- --instances', () => {
  it('runs every phase of the instances mode at tiny N and writes JSON and Markdown', async () => {
    const out = await mkdtemp(join(tmpdir(), 'flotilla-bench-instances-'));
    try {
      const child = spawn(process.execPath, [BENCH_JS, '--instances', '2', '--n', '4', '--ttl-ms', '3000', '--steady-ms', '2000',
        '--takeover-rate', '20', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect({ code, output }).toMatchObject({ code: 0 });
      const files = await readdir(out);
      expect(files.some((f) => f.endsWith('.md'))).toBe(true);
      const report = JSON.parse(await readFile(join(out, files.find((f) => f.endsWith('.json')) as string), 'utf8')) as InstancesReport;
      const r = report.result!;
      expect(report.error).toBeNull();
      expect(r.shares).toEqual({ b1: 2, b2: 2 });
      for (const t of [r.kill9, r.sigterm]) {
        expect(t.connections).toBe(2);
        expect(t.notTakenOver).toBe(0);
        expect(t.takeoverMs.max).toBeGreaterThan(0);
        expect(t.load).toMatchObject({ missingReplies: 0, duplicateReplies: 0 });
      }
      expect(r.kill9.exitCode).toBeNull(); // killed
      expect(r.sigterm.exitCode).toBe(0);
      for (const kinds of Object.values(r.steady.perInstance)) expect(kinds['renew']).toBeGreaterThan(0);
      expect(r.doubledApps).toEqual([]);
      expect(output).toContain('replies missing / duplicated');
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
