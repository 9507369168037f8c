import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { WorkspaceView } from './api-types.js';
import { FleetPoller, type FleetChanges } from './fleet-poller.js';
import type { FleetStats } from './fleet-stats.js';

export interface EventStreamOptions {
  readonly events: SafeEmitter<FleetEvents>;
  readonly stats: FleetStats;
  /** The status of a workspace running on this instance; undefined when none is. */
  readonly statusOf: (teamId: string) => WorkspaceView | undefined;
  /**
   * The fleet's changes in the database (several instances on one database):
   * while a client listens, read once a tick so rows other instances run are
   * live too. Absent: this instance is the fleet.
   */
  readonly fleetChanges?: ((cursor: string | null) => Promise<FleetChanges>) | undefined;
  readonly instanceId: string;
  readonly logger: Logger;
  /** How often changes are sent (default 1 s: the dashboard shows a change within 2 s). */
  readonly tickMs?: number;
}

/** A client that cannot keep up (this much unsent) is cut off; it reconnects and reloads the list. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-accel-buffering': 'no', // a proxy in front (nginx) must not hold the stream back
} as const;

/**
 * `GET /v1/stream`: server-sent events for the dashboard. On open, `hello`
 * `{instance}`; then once a tick (1 s): `stats` (the last second's events and
 * replies, the last hour's reconnects and their reasons: FleetStats.tick), `workspaces`
 * `{rows}` (the rows of `GET /v1/workspaces` that changed since the last tick:
 * a state change or an inbound event), and `removed` `{teamIds}` when
 * workspaces were removed. With `fleetChanges`, rows that other instances
 * run (and their removals) come too: each tick reads what changed in the
 * database since the last read (FleetPoller) and sends it in frames of the
 * same names as soon as the read returns, about a second after their owner
 * published it. Nothing is collected or read while no client listens.
 * Clients read it with `fetch()` and the bearer header: the token never goes
 * in a URL.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #dirty = new Set<string>();
  readonly #removed = new Set<string>();
  #unsubscribes: Array<() => void> = [];
  readonly #poller: FleetPoller | undefined;
  #timer: NodeJS.Timeout | undefined;
  #isClosed = false;

  constructor(private readonly options: EventStreamOptions) {
    const read = options.fleetChanges;
    this.#poller = read && new FleetPoller({
      read, isLocal: (teamId) => options.statusOf(teamId) !== undefined, logger: options.logger,
      deliver: (rows, removed) => this.#broadcast(rowFrames(rows, removed)),
    });
  }

  get clientCount(): number { return this.#clients.size; }

  /** Takes over the reply and keeps it open until the client leaves or the stream is closed. */
  attach(reply: FastifyReply): void {
    reply.hijack();
    const response = reply.raw;
    if (this.#isClosed) {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'flotilla_unavailable', message: 'the daemon is stopping' } }));
      return;
    }
    response.writeHead(200, HEADERS);
    response.write(`retry: 2000\n${frame('hello', { instance: this.options.instanceId })}`);
    this.#clients.add(response);
    response.on('close', () => this.#leave(response));
    if (this.#clients.size === 1) this.#startCollecting();
    this.#poller?.rewind(); // it may have missed what changed since its list was read
  }

  /** Ends every stream and stops collecting. Idempotent. */
  close(): void {
    this.#isClosed = true;
    for (const response of [...this.#clients]) response.end();
    this.#clients.clear();
    this.#stopCollecting();
  }

  #leave(response: ServerResponse): void {
    this.#clients.delete(response);
    if (this.#clients.size === 0) this.#stopCollecting();
  }

  #startCollecting(): void {
    const { events } = this.options;
    this.#unsubscribes = [
      events.on('worker:state', (teamId) => this.#dirty.add(teamId)),
      events.on('event:received', (teamId) => this.#dirty.add(teamId)),
      events.on('workspace:removed', (teamId) => {
        this.#dirty.delete(teamId);
        this.#removed.add(teamId);
      }),
    ];
    this.#timer = setInterval(() => this.#flush(), this.options.tickMs ?? 1_000);
    this.#timer.unref();
  }

  #stopCollecting(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#poller?.stop();
    this.#dirty.clear();
    this.#removed.clear();
  }

  #flush(): void {
    const rows: WorkspaceView[] = [];
    for (const teamId of this.#dirty) {
      // A team no longer running here is left to the fleet read, or to the list (another instance may own it now).
      const status = this.options.statusOf(teamId);
      if (status) rows.push(status);
    }
    this.#dirty.clear();
    const removed = [...this.#removed];
    this.#removed.clear();
    this.#broadcast(frame('stats', this.options.stats.tick()) + rowFrames(rows, removed));
    this.#poller?.poll();
  }

  #broadcast(text: string): void {
    if (text === '') return;
    for (const response of this.#clients) {
      if (response.writableLength > MAX_BUFFERED_BYTES) {
        this.options.logger.warn({ bufferedBytes: response.writableLength }, 'dashboard stream client too slow: disconnecting it');
        response.destroy();
        continue;
      }
      response.write(text);
    }
  }
}

/** `workspaces` and `removed` frames, each only when it has something. */
function rowFrames(rows: readonly WorkspaceView[], removed: readonly string[]): string {
  return (rows.length > 0 ? frame('workspaces', { rows }) : '') + (removed.length > 0 ? frame('removed', { teamIds: removed }) : '');
}

/** One server-sent event; JSON has no raw newlines, so `data` is one line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
