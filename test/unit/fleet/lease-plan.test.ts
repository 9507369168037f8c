import { describe, expect, it } from '@jest/globals';
import { planLeases, ShareBook } from '../../../src/fleet/lease-plan.js';

const keys = (n: number, prefix = 'k'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const base = { held: 0, liveInstances: 1, totalKeys: 0, minHeld: 1_000_000, freeKeys: [], staleKeys: [], batch: 100, isReleasePaused: false };

describe('planLeases (fair shares without a leader)', () => {
  it('claims free keys up to ceil(keys / live instances)', () => {
    expect(planLeases({ ...base, liveInstances: 3, totalKeys: 30, freeKeys: keys(30) })).toEqual({ share: 10, claim: keys(10), release: 0 });
    expect(planLeases({ ...base, held: 8, liveInstances: 3, totalKeys: 31, freeKeys: keys(5) })).toEqual({ share: 11, claim: keys(3), release: 0 });
  });

  it('takes everything when alone', () => {
    expect(planLeases({ ...base, totalKeys: 4, freeKeys: keys(4) }).claim).toEqual(keys(4));
  });

  it('gives up the excess over its share when another instance joins, a batch at a time', () => {
    expect(planLeases({ ...base, held: 30, liveInstances: 2, totalKeys: 30 })).toEqual({ share: 15, claim: [], release: 15 });
    expect(planLeases({ ...base, held: 30, liveInstances: 3, totalKeys: 30, batch: 4 })).toEqual({ share: 10, claim: [], release: 4 });
    expect(planLeases({ ...base, held: 10, liveInstances: 3, totalKeys: 30 }).release).toBe(0);
  });

  it('gives down to the floor while another instance holds less than it, so every share ends between floor and ceil', () => {
    // 1,000 keys over 3: 334, 334, 332 is stable for ceil alone; the last must get to 333.
    expect(planLeases({ ...base, held: 334, liveInstances: 3, totalKeys: 1_000, minHeld: 332 })).toEqual({ share: 334, claim: [], release: 1 });
    expect(planLeases({ ...base, held: 333, liveInstances: 3, totalKeys: 1_000, minHeld: 332 }).release).toBe(0);
    expect(planLeases({ ...base, held: 334, liveInstances: 3, totalKeys: 1_000, minHeld: 333 }).release).toBe(0);
  });

  it('claims no more than a batch per tick', () => {
    expect(planLeases({ ...base, totalKeys: 500, freeKeys: keys(500), batch: 60 }).claim).toHaveLength(60);
  });

  it('takes keys left free for a while even above its share, and gives nothing up meanwhile', () => {
    const plan = planLeases({ ...base, held: 12, liveInstances: 3, totalKeys: 31, freeKeys: ['a', 'b'], staleKeys: ['b'] });
    expect(plan).toEqual({ share: 11, claim: ['b'], release: 0 });
  });

  it('gives nothing up while paused', () => {
    expect(planLeases({ ...base, held: 30, liveInstances: 3, totalKeys: 30, isReleasePaused: true }).release).toBe(0);
  });
});

describe('ShareBook', () => {
  const book = (): ShareBook => new ShareBook({ batch: 100, abandonedAfterMs: 1_000, refuseMs: 60_000, pauseMs: 60_000 });
  const census = (over: Partial<{ liveInstances: number; totalKeys: number; minHeld: number; freeKeys: string[]; orphanKeys: string[] }> = {}) => ({
    liveInstances: 2, totalKeys: 4, minHeld: 2, freeKeys: [], orphanKeys: [], ...over,
  });

  it('gives up keys no workspace uses and keys it cannot serve first, and never claims a refused key', () => {
    const b = book();
    expect(b.refuse('k1', 0)).toBe(true);
    expect(b.refuse('k1', 0)).toBe(false);
    const plan = b.plan({ now: 0, census: census({ orphanKeys: ['gone'], freeKeys: ['k1', 'k3'] }), held: ['gone', 'k1', 'k2'], releasing: new Set() });
    expect(plan).toEqual({ share: 2, claim: ['k3'], give: ['gone', 'k1'], excess: 0 });
    expect(b.plan({ now: 60_000, census: census({ freeKeys: ['k1'] }), held: [], releasing: new Set() }).claim).toEqual(['k1']);
  });

  it('counts keys on their way out as gone', () => {
    const plan = book().plan({ now: 0, census: census({ freeKeys: ['k3', 'k4'] }), held: ['k1', 'k2'], releasing: new Set(['k2']) });
    expect(plan).toEqual({ share: 2, claim: ['k3'], give: [], excess: 0 });
  });

  it('stops giving once what it gave lies abandoned (the others cannot take it), and takes it back', () => {
    const b = book();
    const first = b.plan({ now: 0, census: census({ totalKeys: 4 }), held: ['k1', 'k2', 'k3', 'k4'], releasing: new Set() });
    expect(first).toEqual({ share: 2, claim: [], give: ['k4', 'k3'], excess: 2 });
    b.noteReleased(first.give, 0);
    expect(b.plan({ now: 10, census: census({ freeKeys: ['k3', 'k4'] }), held: ['k1', 'k2'], releasing: new Set() }).claim).toEqual([]);
    const abandoned = b.plan({ now: 2_000, census: census({ freeKeys: ['k3', 'k4'] }), held: ['k1', 'k2'], releasing: new Set() });
    expect(abandoned.claim).toEqual(['k3', 'k4']);
    expect(b.plan({ now: 2_500, census: census(), held: ['k1', 'k2', 'k3', 'k4'], releasing: new Set() }).give).toEqual([]);
  });
});
