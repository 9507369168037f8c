import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { tuneGarbageCollector } from '../../src/lib/gc-tuning.js';
import { heapLimits } from '../support/v8-trace.js';

const built = fileURLToPath(new URL('../../dist/src/lib/gc-tuning.js', import.meta.url));

/** Runs `script` (an ES module that may import `tune`) in a node of its own: the tuning is process-wide. */
async function run(flags: readonly string[], script: string): Promise<string> {
  const source = `import { tuneGarbageCollector as tune } from ${JSON.stringify(built)};\n${script}`;
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, '--input-type=module', '-e', source], { maxBuffer: 64 << 20 });
  return stdout;
}

/** Objects from three literals, every one kept: V8 weighs pretenuring those sites at each young collection. */
const SURVIVORS = `
const keep = [];
const make = (i) => ({ i, a: [i], b: { c: i } });
for (let round = 0; round < 20; round++) {
  for (let i = 0; i < 50000; i++) keep.push(make(i));
  await new Promise((resolve) => setImmediate(resolve));
}
console.log('KEPT', keep.length);`;

describe('tuneGarbageCollector', () => {
  it('sets the heap growth V8 uses for its next limit, at run time, each time', async () => {
    const stdout = await run(['--expose-gc', '--trace-gc-verbose'], [
      'globalThis.gc();',
      "console.log('SET 150'); tune({ heapGrowthPercent: 150 }); globalThis.gc();",
      "console.log('SET 30'); tune({ heapGrowthPercent: 30 }); globalThis.gc();",
    ].join('\n'));
    const limits = (from: string, to?: string): string[] =>
      heapLimits(stdout.slice(stdout.indexOf(from), to === undefined ? undefined : stdout.indexOf(to))).map((limit) => limit.factor);
    expect(stdout).toContain('SET 150');
    expect(limits('SET 150', 'SET 30')).toEqual(['2.5']);
    expect(limits('SET 30')).toEqual(['1.3']);
  });

  it('turns allocation-site pretenuring off at run time', async () => {
    const untuned = await run(['--trace-pretenuring-statistics'], SURVIVORS);
    const tuned = await run(['--trace-pretenuring-statistics'], `tune({ heapGrowthPercent: 0 });\n${SURVIVORS}`);
    expect(untuned).toContain('KEPT 1000000');
    expect(untuned).toMatch(/pretenuring: AllocationSite/); // V8 weighs the sites when left alone
    expect(tuned).toContain('KEPT 1000000');
    expect(tuned).not.toMatch(/pretenuring:/);
  });

  it('refuses a growth that is not a whole percent from 0 to 400', () => {
    for (const bad of [-1, 401, 1.5, Number.NaN]) expect(() => tuneGarbageCollector({ heapGrowthPercent: bad })).toThrow(RangeError);
  });
});
