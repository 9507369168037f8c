import { describe, expect, it } from '@jest/globals';
import { RecentKeys } from '../../../src/fleet/dedupe.js';
import { Pacer } from '../../../src/fleet/pacer.js';

describe('Pacer', () => {
  it('lets a burst through, then paces to the rate', async () => {
    const pacer = new Pacer(50, 5, 0);
    const started = performance.now();
    for (let i = 0; i < 15; i++) await pacer.take();
    // 5 free, then 10 at 50/s: at least ~200 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
  });

  it('rejects a waiter whose signal aborts, and keeps serving the next', async () => {
    const pacer = new Pacer(1, 1, 0);
    await pacer.take();
    const controller = new AbortController();
    const waiting = pacer.take(controller.signal);
    controller.abort('stop');
    await expect(waiting).rejects.toThrow('aborted');
  });
});

describe('RecentKeys', () => {
  it('says first time once per key within the window', () => {
    const keys = new RecentKeys(10, 1_000);
    expect(keys.firstTime('a', 0)).toBe(true);
    expect(keys.firstTime('a', 500)).toBe(false);
    expect(keys.firstTime('a', 1_500)).toBe(true);
  });

  it('keeps its window at real clock times, to the second', () => {
    const keys = new RecentKeys(10, 60_000);
    const t0 = Date.UTC(2026, 10, 26);
    expect(keys.firstTime('C1:1.000100', t0)).toBe(true);
    expect(keys.firstTime('C1:1.000100', t0 + 59_000)).toBe(false);
    expect(keys.firstTime('C1:1.000100', t0 + 120_000)).toBe(true);
    expect(keys.firstTime('C1:1.000200', t0 + 120_500)).toBe(true);
  });

  it('forgets the oldest past its capacity', () => {
    const keys = new RecentKeys(2, 60_000);
    keys.firstTime('a', 0);
    keys.firstTime('b', 1);
    keys.firstTime('c', 2);
    expect(keys.firstTime('a', 3)).toBe(true);
    expect(keys.firstTime('c', 4)).toBe(false);
  });
});
