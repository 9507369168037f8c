import type { FleetEvents } from '../fleet/fleet-events.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { StatsView } from './api-types.js';

const SECOND_MS = 1_000;
const MINUTE_MS = 60_000;
/** Ten minutes of per-second counts: what the dashboard's rate chart shows. */
const SECONDS_KEPT = 600;
/** An hour of per-minute counts: reconnects over the last hour. */
const MINUTES_KEPT = 60;

/**
 * Counts per time step in fixed slots (`size` steps of `stepMs`), written in
 * turn: a count costs one array write, whatever the traffic, and nothing
 * older than `size` steps is kept.
 */
export class StepCounts {
  readonly #counts: Uint32Array;
  /** The step (epoch ms / stepMs) each slot currently counts; a slot of an older step reads as 0. */
  readonly #steps: Float64Array;

  constructor(readonly stepMs: number, readonly size: number) {
    this.#counts = new Uint32Array(size);
    this.#steps = new Float64Array(size).fill(-1);
  }

  /** Adds one at `atMs` (epoch ms). */
  add(atMs: number): void {
    const step = Math.floor(atMs / this.stepMs);
    const slot = step % this.size;
    if (this.#steps[slot] !== step) {
      this.#steps[slot] = step;
      this.#counts[slot] = 0;
    }
    this.#counts[slot] = (this.#counts[slot] as number) + 1;
  }

  /** The count of the step that holds `atMs` (0 when that step is older than the slots kept). */
  at(atMs: number): number {
    const step = Math.floor(atMs / this.stepMs);
    const slot = step % this.size;
    return this.#steps[slot] === step ? (this.#counts[slot] as number) : 0;
  }

  /** The `count` steps ending with the one holding `endMs`, oldest first. */
  series(endMs: number, count = this.size): number[] {
    const last = Math.floor(endMs / this.stepMs);
    return Array.from({ length: count }, (_, i) => this.at((last - count + 1 + i) * this.stepMs));
  }
}

export interface FleetStatsOptions {
  readonly events: SafeEmitter<FleetEvents>;
  readonly instanceId: string;
  /** Epoch ms; injected so tests can move time. */
  readonly now?: () => number;
}

/** The last finished second, for the live stream. */
export interface StatsTick {
  readonly at: string;
  readonly events: number;
  readonly replies: number;
  readonly reconnects: { readonly lastHour: number; readonly byReason: Readonly<Record<string, number>> };
}

/**
 * This instance's traffic over time, fed by the fleet's typed events: inbound
 * events and replies per second over the last 10 minutes, connection
 * reconnects per minute (and by reason) over the last hour. Memory is fixed
 * (a few kilobytes), whatever the traffic. Counts are per instance: with
 * several instances, each one's dashboard shows its own sockets' traffic.
 */
export class FleetStats {
  readonly #events = new StepCounts(SECOND_MS, SECONDS_KEPT + 1);
  readonly #replies = new StepCounts(SECOND_MS, SECONDS_KEPT + 1);
  readonly #reconnects = new StepCounts(MINUTE_MS, MINUTES_KEPT);
  readonly #reconnectsByReason = new Map<string, StepCounts>();
  readonly #now: () => number;
  readonly #unsubscribes: Array<() => void>;

  constructor(private readonly options: FleetStatsOptions) {
    this.#now = options.now ?? Date.now;
    const { events } = options;
    this.#unsubscribes = [
      events.on('event:received', () => this.#events.add(this.#now())),
      events.on('reply:sent', () => this.#replies.add(this.#now())),
      events.on('connection:reconnect', (reason) => this.#reconnect(reason)),
    ];
  }

  /** The full view of `GET /v1/stats`: series end with the last finished second (minute for reconnects, the current one included). */
  view(): StatsView {
    const now = this.#now();
    const lastSecondMs = now - SECOND_MS;
    const perMinute = this.#reconnects.series(now);
    return {
      instance: this.options.instanceId,
      at: new Date(Math.floor(lastSecondMs / SECOND_MS) * SECOND_MS + SECOND_MS).toISOString(),
      stepSeconds: 1,
      events: this.#events.series(lastSecondMs, SECONDS_KEPT),
      replies: this.#replies.series(lastSecondMs, SECONDS_KEPT),
      reconnects: { lastHour: sum(perMinute), perMinute, byReason: this.#byReason(now) },
    };
  }

  /** The last finished second and the hour's reconnects: one point for the live stream. */
  tick(): StatsTick {
    const now = this.#now();
    const lastSecondMs = now - SECOND_MS;
    return {
      at: new Date(Math.floor(lastSecondMs / SECOND_MS) * SECOND_MS + SECOND_MS).toISOString(),
      events: this.#events.at(lastSecondMs),
      replies: this.#replies.at(lastSecondMs),
      reconnects: { lastHour: sum(this.#reconnects.series(now)), byReason: this.#byReason(now) },
    };
  }

  /** Unsubscribes from the fleet events. Idempotent. */
  close(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
  }

  #byReason(now: number): Record<string, number> {
    const byReason: Record<string, number> = {};
    for (const [reason, counts] of this.#reconnectsByReason) {
      const total = sum(counts.series(now));
      if (total > 0) byReason[reason] = total;
    }
    return byReason;
  }

  #reconnect(reason: string): void {
    const now = this.#now();
    this.#reconnects.add(now);
    let counts = this.#reconnectsByReason.get(reason);
    if (!counts) this.#reconnectsByReason.set(reason, (counts = new StepCounts(MINUTE_MS, MINUTES_KEPT)));
    counts.add(now);
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
