import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The built bench (`npm test` builds first). */
const BENCH_JS = fileURLToPath(new URL('../../dist/scripts/bench.js', import.meta.url));
const HEAP_SUMMARY_JS = fileURLToPath(new URL('../../dist/scripts/bench/heap-summary.js', import.meta.url));
const PROFILE_SUMMARY_JS = fileURLToPath(new URL('../../dist/scripts/bench/profile-summary.js', import.meta.url));

/** Runs a built script; resolves to its exit code and everything it printed. */
async function run(script: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, output };
}

/** Runs the bench into a fresh results directory; hands over what it printed, its JSON report and the directory. */
async function benchRun<Report>(args: readonly string[], check: (bench: { code: number | null; output: string }, report: Report, out: string) => Promise<void> | void): Promise<void> {
  const out = await mkdtemp(join(tmpdir(), 'flotilla-bench-test-'));
  try {
    const bench = await run(BENCH_JS, [...args, '--out', out]);
    expect(bench).toMatchObject({ code: 0 });
    const files = await readdir(out);
    expect(files.some((f) => f.endsWith('.md'))).toBe(true);
    const json = files.find((f) => f.endsWith('.json')) as string;
    await check(bench, JSON.parse(await readFile(join(out, json), 'utf8')) as Report, out);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

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
    const args = ['--quick', '--n', '3', '--m', '30', '--r', '100', '--sweep-rates', '200', '--sweep-step-ms', '300',
      '--drain-ms', '2000', '--settle-ms', '300', '--reconcile-rows', '300'];
    await benchRun<{ results: Result[]; reconcile: { rows: number } }>(args, (bench, report) => {
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
      expect(bench.output).toContain('flotilla ÷ bolt');
    });
  }, 90_000);

  it('reports GC pauses, writes heap and CPU profiles with --node-flags applied, and its summaries read them', async () => {
    const args = ['--n', '2', '--m', '20', '--r', '100', '--contenders', 'flotilla', '--no-sweep', '--no-storm',
      '--drain-ms', '1000', '--settle-ms', '300', '--reconcile-rows', '0',
      '--heap-profile', 'promoted', '--profile', '--node-flags=--max-semi-space-size=1 --cpu-prof-interval=500'];
    type Report = {
      options: { nodeFlags: string[] };
      results: Array<{ load: { loopDelay: { gcMinor: { count: number; totalMs: number }; gcMajor: { count: number } } } }>;
    };
    await benchRun<Report>(args, async (bench, report, out) => {
      expect(bench.output).toContain('young-generation GC pauses during the load');
      expect(report.options.nodeFlags).toEqual(['--max-semi-space-size=1', '--cpu-prof-interval=500']);
      const { gcMinor, gcMajor } = report.results[0]?.load.loopDelay ?? {};
      expect(gcMinor?.count).toEqual(expect.any(Number));
      expect(gcMajor?.count).toEqual(expect.any(Number));

      const profiles = await readdir(join(out, 'profiles'));
      const heap = profiles.find((f) => f.startsWith('heap-promoted-flotilla-') && f.endsWith('.heapprofile'));
      const cpu = profiles.find((f) => f.endsWith('.cpuprofile'));
      expect({ heap, cpu }).toEqual({ heap: expect.any(String), cpu: expect.any(String) });
      const heapSummary = await run(HEAP_SUMMARY_JS, [join(out, 'profiles', heap as string), '--top', '5']);
      expect(heapSummary).toMatchObject({ code: 0 });
      expect(heapSummary.output).toMatch(/MB sampled[\s\S]*## by allocation site/);
      const cpuSummary = await run(PROFILE_SUMMARY_JS, [join(out, 'profiles', cpu as string), '--top', '5', '--long', '0']);
      expect(cpuSummary).toMatchObject({ code: 0 });
      expect(cpuSummary.output).toMatch(/## busy stretches >= 0 ms \([1-9]\d*\)\n +\d+\.\d ms at \d+\.\d\d s: /);
    });
  }, 90_000);

  it('with --rounds runs the main load in turns and reports each contender\'s median round and the host\'s steal', async () => {
    const args = ['--n', '2', '--m', '20', '--r', '100', '--rounds', '2', '--contenders', 'flotilla,floor', '--no-sweep', '--no-storm',
      '--drain-ms', '1000', '--settle-ms', '300', '--reconcile-rows', '0'];
    type Step = { sent: number; missingReplies: number; reply: { p99: number }; hostStealPct: number | null };
    await benchRun<{ results: Array<{ name: string; load: Step; loadRounds: Step[] }> }>(args, (bench, report) => {
      // Taking turns: flotilla's second round starts after the floor's first.
      const order = [...bench.output.matchAll(/\] (flotilla|floor): load 20 @ 100\/s \(round (\d) of 2\)/g)].map((m) => `${m[1]}${m[2]}`);
      expect(order).toEqual(['flotilla1', 'floor1', 'flotilla2', 'floor2']);
      expect(bench.output).toMatch(/flotilla: reply p99 by round [\d.]+, [\d.]+ ms; host steal/);
      expect(report.results.map((r) => r.name)).toEqual(['flotilla', 'floor']);
      for (const r of report.results) {
        expect(r.loadRounds).toHaveLength(2);
        for (const step of r.loadRounds) expect(step).toMatchObject({ sent: 20, missingReplies: 0 });
        // Of two rounds the median is the upper one.
        expect(r.load).toEqual(r.loadRounds.reduce((a, b) => (b.reply.p99 > a.reply.p99 ? b : a)));
        if (process.platform === 'linux') expect(r.load.hostStealPct).toEqual(expect.any(Number));
      }
      // The target check also gives the two's ratio round by round: of two rounds, the mean of both ratios.
      const [f, floor] = report.results.map((r) => r.loadRounds) as [Step[], Step[]];
      const ratios = f.map((step, i) => step.reply.p99 / (floor[i] as Step).reply.p99);
      const paired = ((ratios[0] as number) + (ratios[1] as number)) / 2;
      expect(bench.output).toContain(`round by round ${paired.toFixed(2)}× (median)`);
    });
  }, 120_000);

  it('--dashboard drives the page in Chromium at tiny N and reports every measure against its budget', async () => {
    type Report = {
      n: number; signInMs: number[]; interactionsMs: Record<string, number[]>;
      live: { mentions: number; missingReplies: number; busyPct: number }; storm: { lagMs: number | null; daemonBackMs: number | null };
    };
    await benchRun<Report>(['--dashboard', '--quick', '--n', '3', '--r', '20'], (bench, report) => {
      expect(report.n).toBe(3);
      expect(report.signInMs).toHaveLength(5);
      expect(Object.keys(report.interactionsMs)).toEqual(expect.arrayContaining(['text filter "bench 99"', 'sort by name', 'next page']));
      for (const values of Object.values(report.interactionsMs)) {
        expect(values).toHaveLength(5);
        for (const ms of values) expect(ms).toBeGreaterThan(0);
      }
      expect(report.live).toMatchObject({ mentions: 100, missingReplies: 0, busyPct: expect.any(Number) });
      expect(report.storm).toMatchObject({ daemonBackMs: expect.any(Number), lagMs: expect.any(Number) });
      expect(bench.output).toMatch(/\| sign-in → first page of rows on screen \| [\d.]+ ms \|/);
    });
  }, 180_000);

  it('refuses a --rounds that is not a whole number of at least 1', async () => {
    const result = await run(BENCH_JS, ['--rounds', '0']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('--rounds must be a whole number of at least 1');
  });

  it('refuses an unknown --heap-profile mode with a clear message', async () => {
    const result = await run(BENCH_JS, ['--heap-profile', 'everything']);
    expect(result.code).not.toBe(0);
    expect(result.output).toContain('--heap-profile must be all or promoted');
  });
});
