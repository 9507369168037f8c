import { describe, expect, it } from '@jest/globals';
import { backoffDelayMs, BACKOFF_CAP_MS } from '../../../src/fleet/backoff.js';

describe('backoffDelayMs (full jitter, 1 s → 5 min)', () => {
  it('doubles the ceiling each attempt, from 1 s', () => {
    const almostOne = () => 0.999999;
    expect(backoffDelayMs(0, almostOne)).toBe(999);
    expect(backoffDelayMs(1, almostOne)).toBe(1_999);
    expect(backoffDelayMs(5, almostOne)).toBe(31_999);
  });

  it('caps at 5 minutes', () => {
    expect(backoffDelayMs(9, () => 0.999999)).toBe(BACKOFF_CAP_MS - 1);
    expect(backoffDelayMs(50, () => 0.999999)).toBe(BACKOFF_CAP_MS - 1);
  });

  it('is uniform from zero (full jitter)', () => {
    expect(backoffDelayMs(4, () => 0)).toBe(0);
    expect(backoffDelayMs(4, () => 0.5)).toBe(8_000);
  });

  it('treats a negative attempt as the first', () => {
    expect(backoffDelayMs(-3, () => 0.5)).toBe(500);
  });
});
