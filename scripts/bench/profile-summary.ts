/**
 * Top self-time functions of a V8 `.cpuprofile` (as written by `npm run bench -- --profile`),
 * grouped by function and file, and by package / source folder.
 *
 *   node dist/scripts/bench/profile-summary.js bench/results/profiles/CPU.*.cpuprofile [--top 25] [--long 5]
 *
 * `--long MS` also lists every busy stretch (samples with no idle between them) of at least MS ms
 * with where it started and its most frequent frames: the event-loop stalls behind a latency tail.
 * Run the bench with `--node-flags --cpu-prof-interval=200` for finer stretches.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { frameLabel, groupOf, table } from './profile-tables.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
}

const IDLE = new Set(['(idle)', '(program)']);

/** Busy stretches of at least `minMs`: start (s into the profile), length, and the frames seen most in them. */
function longStretches(profile: Profile, minMs: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (id: number): string => {
    const frame = byId.get(id)?.callFrame;
    return frame ? frameLabel(frame) : '?';
  };
  const stretches: Array<{ start: number; end: number; ids: number[] }> = [];
  let current: { start: number; end: number; ids: number[] } | undefined;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (IDLE.has(byId.get(id)?.callFrame.functionName ?? '')) {
      if (current) stretches.push(current);
      current = undefined;
    } else {
      current ??= { start: at, end: at, ids: [] };
      current.end = at;
      current.ids.push(id);
    }
  });
  const lines = stretches.filter((s) => (s.end - s.start) / 1000 >= minMs).map((s) => {
    const counts = new Map<string, number>();
    for (const id of s.ids) {
      const seen = new Set<string>();
      for (let node: number | undefined = id; node !== undefined; node = parent.get(node)) seen.add(label(node));
      for (const frame of seen) if (!frame.startsWith('(root)')) counts.set(frame, (counts.get(frame) ?? 0) + 1);
    }
    const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4)
      .map(([frame, n]) => `${Math.round((n / s.ids.length) * 100)}% ${frame}`).join('; ');
    return `${((s.end - s.start) / 1000).toFixed(1).padStart(7)} ms at ${((s.start - profile.startTime) / 1e6).toFixed(2)} s: ${top}`;
  });
  return `## busy stretches >= ${minMs} ms (${lines.length})\n${lines.join('\n')}\n\n`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, long: { type: 'string' } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const byFunction = new Map<string, number>();
    const byGroup = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined || frame.functionName === '(idle)') return;
      total += us;
      const key = frameLabel(frame);
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const group = groupOf(frame.url);
      byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    });
    process.stdout.write(`# ${file}: ${(total / 1000).toFixed(0)} ms busy\n\n## by package / folder\n${table(byGroup, total, top)}\n\n## by function (self time)\n${table(byFunction, total, top)}\n\n`);
    if (values.long !== undefined) process.stdout.write(longStretches(profile, Number(values.long)));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
