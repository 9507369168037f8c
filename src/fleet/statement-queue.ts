import { withTimeout } from '../lib/abort.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { CoordinationStatement, FleetEvents } from './fleet-events.js';

/**
 * The lease keeper's statements, one at a time: each answer (everything the
 * instance holds) is then newer than the one before. Each is bounded in time
 * (a cut link fails it, never hangs it), counted for the metrics, and
 * reports when it was actually sent, not queued: a lease's local deadline
 * counts from there, since the database measured its expiry at the statement.
 */
export class StatementQueue {
  #tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly timeoutMs: number,
    private readonly events: SafeEmitter<FleetEvents>,
    private readonly now: () => number,
  ) {}

  /** Runs `statement` after the ones queued before it; rejects when it fails or outlasts the bound. */
  async run<T>(kind: CoordinationStatement, statement: () => Promise<T>): Promise<T> {
    return (await this.sent(kind, statement)).value;
  }

  /** `run`, also resolving to when the statement was sent. */
  sent<T>(kind: CoordinationStatement, statement: () => Promise<T>): Promise<{ value: T; sentAt: number }> {
    const turn = this.#tail.then(async () => {
      this.events.emit('coordination:statement', kind);
      const sentAt = this.now();
      const timedOut = Symbol('timeout');
      const value = await withTimeout(statement(), this.timeoutMs, timedOut);
      if (value === timedOut) throw new Error(`${kind} took longer than ${this.timeoutMs} ms`);
      return { value: value as T, sentAt };
    });
    this.#tail = turn.catch(() => undefined);
    return turn;
  }
}
