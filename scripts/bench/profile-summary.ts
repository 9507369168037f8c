/**
 * Top self-time functions of a V8 `.cpuprofile` (as written by `npm run bench -- --profile`),
 * grouped by function and file, and by package / source folder.
 *
 *   node dist/scripts/bench/profile-summary.js bench/results/profiles/CPU.*.cpuprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface Profile { readonly nodes: readonly ProfileNode[]; readonly samples: readonly number[]; readonly timeDeltas: readonly number[] }

/** `node_modules/@slack/socket-mode/…` → `@slack/socket-mode`; `dist/src/fleet/x.js` → `src/fleet`. */
function groupOf(url: string): string {
  if (url === '') return '(native / vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1] ?? ''}` : rest[0] ?? url;
  }
  if (url.startsWith('node:')) return url;
  const src = url.indexOf('/dist/');
  if (src >= 0) return url.slice(src + '/dist/'.length).split('/').slice(0, 2).join('/');
  return url;
}

function table(map: Map<string, number>, total: number, top: number): string {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([key, us]) => `${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`).join('\n');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
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
      const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${frame.lineNumber + 1}`;
      const key = `${frame.functionName || '(anonymous)'}${where}`;
      byFunction.set(key, (byFunction.get(key) ?? 0) + us);
      const group = groupOf(frame.url);
      byGroup.set(group, (byGroup.get(group) ?? 0) + us);
    });
    process.stdout.write(`# ${file}: ${(total / 1000).toFixed(0)} ms busy\n\n## by package / folder\n${table(byGroup, total, top)}\n\n## by function (self time)\n${table(byFunction, total, top)}\n\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
