import { describe, expect, it } from '@jest/globals';
import { canMove, IllegalTransitionError, publicState, StateCell, type WorkerState } from '../../../src/fleet/worker-state.js';

const ALL: WorkerState[] = ['idle', 'connecting', 'connected', 'backoff', 'stopping', 'stopped', 'removed'];

describe('worker state table', () => {
  it('allows the documented life', () => {
    for (const [from, to] of [
      ['idle', 'connecting'], ['connecting', 'connected'], ['connected', 'backoff'], ['backoff', 'connecting'],
      ['connecting', 'removed'], ['connected', 'stopping'], ['stopping', 'stopped'],
    ] as const) expect(canMove(from, to)).toBe(true);
  });

  it('makes stopped and removed final', () => {
    for (const to of ALL) {
      expect(canMove('stopped', to)).toBe(false);
      expect(canMove('removed', to)).toBe(false);
    }
  });

  it('refuses shortcuts', () => {
    expect(canMove('idle', 'connected')).toBe(false);
    expect(canMove('backoff', 'connected')).toBe(false);
    expect(canMove('stopping', 'connecting')).toBe(false);
  });

  it('StateCell reports moves and throws on an illegal one', () => {
    const moves: string[] = [];
    const cell = new StateCell((from, to) => moves.push(`${from}>${to}`));
    cell.move('connecting');
    cell.move('connecting'); // same state: no-op
    cell.move('connected');
    expect(moves).toEqual(['idle>connecting', 'connecting>connected']);
    expect(() => cell.move('idle')).toThrow(IllegalTransitionError);
  });

  it('maps to the four public states', () => {
    expect(ALL.map(publicState)).toEqual(['connecting', 'connecting', 'connected', 'backoff', 'stopped', 'stopped', 'stopped']);
  });
});
