import { describe, expect, it } from '@jest/globals';
import { FleetStats, StepCounts } from '../../../src/admin/fleet-stats.js';
import type { FleetEvents } from '../../../src/fleet/fleet-events.js';
import { SafeEmitter } from '../../../src/lib/typed-events.js';

const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

describe('StepCounts', () => {
  it('counts per step and forgets steps older than its size', () => {
    const counts = new StepCounts(1_000, 5);
    counts.add(T0);
    counts.add(T0 + 999);
    counts.add(T0 + 1_000);
    expect(counts.series(T0 + 1_000, 3)).toEqual([0, 2, 1]);
    counts.add(T0 + 5_000); // the slot of T0 again: T0's count is gone
    expect(counts.at(T0)).toBe(0);
    expect(counts.series(T0 + 5_000)).toEqual([1, 0, 0, 0, 1]);
  });
});

describe('FleetStats', () => {
  const setUp = () => {
    let now = T0;
    const events = new SafeEmitter<FleetEvents>();
    const stats = new FleetStats({ events, instanceId: 'test-1', now: () => now });
    return { events, stats, move: (ms: number) => { now += ms; } };
  };

  it('keeps 10 minutes of events and replies per second, ending with the last finished second', () => {
    const { events, stats, move } = setUp();
    for (let i = 0; i < 3; i++) events.emit('event:received', 'T1', 'message');
    events.emit('reply:sent', 'T1', 'chat.postMessage');
    move(1_000);
    events.emit('event:received', 'T1', 'app_mention'); // in the second still running: not shown yet
    const view = stats.view();
    expect(view.instance).toBe('test-1');
    expect(view.at).toBe(new Date(T0 + 1_000).toISOString());
    expect(view.events).toHaveLength(600);
    expect(view.events.at(-1)).toBe(3);
    expect(view.replies.at(-1)).toBe(1);
    expect(view.events.slice(0, -1).every((n) => n === 0)).toBe(true);
    expect(stats.tick()).toMatchObject({ at: view.at, events: 3, replies: 1 });
    move(600_000);
    expect(stats.view().events.reduce((a, b) => a + b, 0)).toBe(1); // T0's second has left the window; the app_mention's is its first
    move(1_000);
    expect(stats.view().events.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('counts reconnects over the last hour, by reason, and stops listening on close', () => {
    const { events, stats, move } = setUp();
    events.emit('connection:reconnect', 'socket_lost');
    move(30 * 60_000);
    events.emit('connection:reconnect', 'socket_lost');
    events.emit('connection:reconnect', 'operator');
    expect(stats.view().reconnects).toMatchObject({ lastHour: 3, byReason: { socket_lost: 2, operator: 1 } });
    expect(stats.view().reconnects.perMinute).toHaveLength(60);
    move(31 * 60_000);
    expect(stats.tick().reconnects).toEqual({ lastHour: 2, byReason: { socket_lost: 1, operator: 1 } });
    stats.close();
    events.emit('connection:reconnect', 'socket_lost');
    expect(stats.tick().reconnects.lastHour).toBe(2);
  });
});
