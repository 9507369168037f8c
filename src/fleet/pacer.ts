import { sleep } from '../lib/abort.js';

/**
 * Fleet-wide pacing of connection opens: a token bucket (`ratePerSec`, burst
 * `burst`) plus a little jitter, so a restart of 1,000 workspaces does not
 * stampede `apps.connections.open`. Waiters are served in arrival order.
 */
export class Pacer {
  #tokens: number;
  #lastRefill = Date.now();
  #queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly ratePerSec: number,
    private readonly burst = Math.max(1, Math.ceil(ratePerSec)),
    private readonly maxJitterMs = 50,
    private readonly random: () => number = Math.random,
  ) {
    this.#tokens = burst;
  }

  /** Resolves when the caller may open a connection; rejects if `signal` aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#queue.then(() => this.#wait(signal));
    this.#queue = turn.catch(() => undefined);
    return turn;
  }

  async #wait(signal?: AbortSignal): Promise<void> {
    this.#refill();
    if (this.#tokens < 1) {
      const needMs = ((1 - this.#tokens) / this.ratePerSec) * 1000;
      await sleep(Math.ceil(needMs + this.random() * this.maxJitterMs), signal);
      this.#refill();
    }
    this.#tokens -= 1;
  }

  #refill(): void {
    const now = Date.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#lastRefill) / 1000) * this.ratePerSec);
    this.#lastRefill = now;
  }
}
