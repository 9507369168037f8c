import WebSocket from 'ws';
import type { Logger } from '../../lib/logger.js';
import type { SlackCaller } from '../../slack/web-client.js';
import {
  closedSignal, disconnectReason, type CloseReason, type InboundEnvelope, type Transport, type TransportClosed,
  type TransportOptions,
} from './transport.js';

const CLOSE_WAIT_MS = 2_000;
const HELLO_TIMEOUT_MS = 15_000;

/**
 * One Socket Mode socket for one app token, on `ws` directly.
 *
 * Why not `@slack/socket-mode`: its 3.x client subscribes every socket to one
 * process-wide ping diagnostics channel, so each pong wakes all N sockets (N²
 * work at thousands of sockets), and each client carries its own WebClient
 * and HTTP agent. This transport keeps the same behaviour (hello, acks,
 * `disconnect` reasons, client pings with a pong deadline, server pings
 * answered) at the cost of one WebSocket per connection; the worker owns
 * every reconnect, as before.
 */
export class SocketModeTransport implements Transport {
  readonly #closed = closedSignal();
  readonly closed: Promise<TransportClosed> = this.#closed.promise;
  #socket: WebSocket | undefined;
  #pinger: NodeJS.Timeout | undefined;
  /** When the peer was last heard from: a pong, a server ping or any message. */
  #lastHeardAt = 0;
  #reason: CloseReason = 'socket_lost';
  #isClosing = false;

  constructor(
    private readonly slack: SlackCaller,
    private readonly options: TransportOptions,
    private readonly logger: Logger,
  ) {}

  async open(signal: AbortSignal): Promise<void> {
    let url: string;
    try {
      const answer = await this.slack.call<{ url?: string }>('apps.connections.open', {});
      if (!answer.url) throw new Error('apps.connections.open returned no url');
      url = answer.url;
    } catch (error) {
      this.#closed.settle('socket_lost');
      throw error;
    }
    if (signal.aborted) return this.#failOpen(new Error('aborted'));
    const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: HELLO_TIMEOUT_MS });
    this.#socket = socket;
    const heard = (): void => { this.#lastHeardAt = Date.now(); };
    socket.on('pong', heard);
    socket.on('ping', heard);
    socket.on('message', heard);
    socket.on('error', (error) => this.logger.debug({ err: error }, 'socket error'));
    socket.on('close', () => this.#ended());
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error): void => { cleanup(); reject(error); };
      const onAbort = (): void => fail(new Error('aborted'));
      const onClose = (): void => fail(new Error('socket closed before hello'));
      const timer = setTimeout(() => fail(new Error('no hello from Slack in time')), HELLO_TIMEOUT_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('close', onClose);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('close', onClose);
      socket.on('message', (data, isBinary) => {
        if (isBinary) return;
        const message = parse(data.toString());
        if (message?.type === 'hello') {
          cleanup();
          this.#startPinging();
          resolve();
          return;
        }
        if (message) this.#onMessage(message);
      });
    }).catch(async (error: unknown) => this.#failOpen(error));
  }

  async close(): Promise<void> {
    if (!this.#isClosing) {
      this.#isClosing = true;
      this.#reason = 'closed';
      const socket = this.#socket;
      if (socket && socket.readyState !== WebSocket.CLOSED) {
        socket.close(1000);
        // A dead peer never answers the close frame: cut it after a short wait.
        const timer = setTimeout(() => socket.terminate(), CLOSE_WAIT_MS);
        await this.closed;
        clearTimeout(timer);
      }
      this.#ended();
    }
    await this.closed;
  }

  async #failOpen(error: unknown): Promise<never> {
    this.#socket?.terminate();
    this.#ended();
    throw error;
  }

  #ended(): void {
    clearInterval(this.#pinger);
    this.#socket?.removeAllListeners('message');
    this.#closed.settle(this.#reason);
  }

  /**
   * Liveness by pongs: when Slack has been silent for half the timeout we
   * ping; silent for the whole timeout (pings unanswered all that while)
   * means the link is dead. Slack's own pings and messages count as heard, so
   * a busy or server-pinged socket costs no pings of ours (at 10,000 sockets
   * that is thousands of frames a second saved); a quiet one is pinged and,
   * answering, stays healthy.
   */
  #startPinging(): void {
    const timeoutMs = this.options.pingTimeoutMs;
    const everyMs = Math.max(100, Math.floor(timeoutMs / 4));
    const pingAfterMs = Math.floor(timeoutMs / 2);
    this.#lastHeardAt = Date.now();
    this.#pinger = setInterval(() => {
      const socket = this.#socket;
      if (!socket || socket.readyState !== WebSocket.OPEN) return;
      const silentMs = Date.now() - this.#lastHeardAt;
      if (silentMs > timeoutMs) {
        this.#reason = 'pong_timeout';
        this.logger.warn({ timeoutMs }, 'no pong from Slack in time: dropping the socket');
        socket.terminate();
      } else if (silentMs >= pingAfterMs) {
        socket.ping();
      }
    }, everyMs);
    this.#pinger.unref();
  }

  #onMessage(message: Record<string, unknown>): void {
    if (message.type === 'disconnect') {
      this.#reason = disconnectReason(message.reason);
      this.logger.info({ reason: message.reason }, 'Slack asked this socket to disconnect');
      this.#socket?.close(1000);
      return;
    }
    const envelopeId = message.envelope_id;
    if (typeof envelopeId !== 'string') return;
    const payload = (typeof message.payload === 'object' && message.payload !== null ? message.payload : {}) as Record<string, unknown>;
    this.options.onEnvelope(toEnvelope(String(message.type), payload, message, (response) => this.#ack(envelopeId, response)));
  }

  #ack(envelopeId: string, response?: Readonly<Record<string, unknown>>): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) {
      this.logger.warn('ack not sent: the socket closed; Slack will redeliver');
      return Promise.resolve();
    }
    // No write callback. Inside the daemon a callback on the write kept each
    // ack's frames and bookkeeping alive through young collections: with acks
    // alone at 200/s over 1,000 sockets, ~2.5 MB survived each scavenge with
    // one and ~0.1 MB without. A failed write ends the socket (logged, then
    // reconnected); Slack redelivers what was not acked.
    socket.send(JSON.stringify(response ? { envelope_id: envelopeId, payload: response } : { envelope_id: envelopeId }));
    return Promise.resolve();
  }
}

type Ack = (response?: Readonly<Record<string, unknown>>) => Promise<void>;

function toEnvelope(type: string, payload: Record<string, unknown>, message: Record<string, unknown>, ack: Ack): InboundEnvelope {
  const teamId = typeof payload.team_id === 'string' ? payload.team_id
    : typeof (payload.team as { id?: unknown } | undefined)?.id === 'string' ? (payload.team as { id: string }).id : undefined;
  if (type === 'events_api') {
    return {
      kind: 'event', teamId, eventId: typeof payload.event_id === 'string' ? payload.event_id : undefined,
      event: payload.event, retryAttempt: typeof message.retry_attempt === 'number' ? message.retry_attempt : 0, ack: () => ack(),
    };
  }
  if (type === 'slash_commands') return { kind: 'slash_command', teamId, payload, ack };
  if (type === 'interactive') return { kind: 'interactive', teamId, payload, ack };
  return { kind: 'other', type, teamId, ack: () => ack() };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
