import { describe, expect, it } from '@jest/globals';
import { EventRing } from '../../../src/fleet/event-ring.js';

describe('EventRing', () => {
  const t0 = Date.UTC(2026, 10, 26, 8, 0, 0);

  it('lists what it recorded, oldest first, before it is full', () => {
    const ring = new EventRing(4);
    expect(ring.list()).toEqual([]);
    ring.record(t0, 'message', '');
    ring.record(t0 + 1_000, 'app_mention', 'retry 1');
    expect(ring.list()).toEqual([
      { at: '2026-11-26T08:00:00.000Z', kind: 'message', detail: '' },
      { at: '2026-11-26T08:00:01.000Z', kind: 'app_mention', detail: 'retry 1' },
    ]);
  });

  it('keeps the last `size` once full, overwriting the oldest', () => {
    const ring = new EventRing(3);
    for (let i = 0; i < 7; i++) ring.record(t0 + i * 1_000, i % 2 === 0 ? 'message' : 'some_new_event', `#${i}`);
    expect(ring.list().map((e) => [e.kind, e.detail, e.at.slice(17, 19)])).toEqual([
      ['message', '#4', '04'], ['some_new_event', '#5', '05'], ['message', '#6', '06'],
    ]);
  });
});
