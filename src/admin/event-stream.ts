import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { WorkspaceView } from './api-types.js';
import type { FleetStats } from './fleet-stats.js';

export interface EventStreamOptions {
  readonly events: SafeEmitter<FleetEvents>;
  readonly stats: FleetStats;
  /** The status of a workspace running on this instance; undefined when none is. */
  readonly statusOf: (teamId: string) => WorkspaceView | undefined;
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
 * workspaces were removed. Nothing is collected while no client listens.
 * Clients read it with `fetch()` and the bearer header: the token never goes
 * in a URL.
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #dirty = new Set<string>();
  readonly #removed = new Set<string>();
  #unsubscribes: Array<() => void> = [];
  #timer: NodeJS.Timeout | undefined;
  #isClosed = false;

  constructor(private readonly options: EventStreamOptions) {}

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
    this.#dirty.clear();
    this.#removed.clear();
  }

  #flush(): void {
    let text = frame('stats', this.options.stats.tick());
    const rows: WorkspaceView[] = [];
    for (const teamId of this.#dirty) {
      // A team no longer running here is left to the list (another instance may own it now).
      const status = this.options.statusOf(teamId);
      if (status) rows.push(status);
    }
    this.#dirty.clear();
    if (rows.length > 0) text += frame('workspaces', { rows });
    if (this.#removed.size > 0) {
      text += frame('removed', { teamIds: [...this.#removed] });
      this.#removed.clear();
    }
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

/** One server-sent event; JSON has no raw newlines, so `data` is one line. */
function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
