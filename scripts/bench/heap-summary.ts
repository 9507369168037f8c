/**
 * Top allocation sites of a V8 sampling heap profile (as written by `npm run bench -- --heap-profile
 * all|promoted`): the sampled bytes of the load (every allocation, or only what outlived the young
 * generation) by allocation site and by package / source folder.
 *
 *   node dist/scripts/bench/heap-summary.js bench/results/profiles/heap-promoted-flotilla-*.heapprofile [--top 25]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { frameLabel, groupOf, table } from './profile-tables.js';

interface HeapNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly selfSize: number;
  readonly children: readonly HeapNode[];
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const top = Number(values.top);
  for (const file of positionals) {
    const { head } = JSON.parse(await readFile(file, 'utf8')) as { head: HeapNode };
    const byFunction = new Map<string, number>();
    const byGroup = new Map<string, number>();
    let total = 0;
    const visit = (node: HeapNode, stack: string): void => {
      const frame = node.callFrame;
      const key = frameLabel(frame);
      if (node.selfSize > 0) {
        total += node.selfSize;
        const site = `${key}  ←  ${stack}`;
        byFunction.set(site, (byFunction.get(site) ?? 0) + node.selfSize);
        const group = groupOf(frame.url);
        byGroup.set(group, (byGroup.get(group) ?? 0) + node.selfSize);
      }
      for (const child of node.children) visit(child, frame.url === '' ? stack : key.replace(/ .*\//, ' '));
    };
    visit(head, '');
    process.stdout.write(`# ${file}: ${(total / 1048576).toFixed(1)} MB sampled\n\n## by package / folder\n${table(byGroup, total, top, 'B')}\n\n## by allocation site (← nearest caller with a source)\n${table(byFunction, total, top, 'B')}\n\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
