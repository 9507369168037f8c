import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { setHeapGrowthPercent } from '../../src/lib/heap-growth.js';

const built = fileURLToPath(new URL('../../dist/src/lib/heap-growth.js', import.meta.url));

/** The old generation's next limit as V8 reports it after each full collection (`--trace-gc-verbose`). */
const LIMIT = /\[HeapController\] Limit: old size: \d+ KB, new limit: \d+ KB \(([\d.]+)\)/g;

describe('setHeapGrowthPercent', () => {
  it('sets the growth V8 uses for the next limit, at run time, each time it is called', async () => {
    // A process of its own: the setting is process-wide, and V8 reports its limits only when traced.
    const script = [
      `import { setHeapGrowthPercent } from ${JSON.stringify(built)};`,
      'globalThis.gc();',
      "console.log('SET 150'); setHeapGrowthPercent(150); globalThis.gc();",
      "console.log('SET 30'); setHeapGrowthPercent(30); globalThis.gc();",
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script]);
    const after = (marker: string, next?: string): string[] => {
      const part = stdout.slice(stdout.indexOf(marker), next === undefined ? undefined : stdout.indexOf(next));
      return [...part.matchAll(LIMIT)].map((m) => m[1] as string);
    };
    expect(stdout).toContain('SET 150');
    expect(after('SET 150', 'SET 30')).toEqual(['2.5']);
    expect(after('SET 30')).toEqual(['1.3']);
  });

  it('refuses what is not a whole percent from 0 to 400', () => {
    for (const bad of [-1, 401, 1.5, Number.NaN]) expect(() => setHeapGrowthPercent(bad)).toThrow(RangeError);
  });
});
