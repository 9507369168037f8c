import { SocketModeClient } from '@slack/socket-mode';
import { withTimeout } from '../../lib/abort.js';
import type { Logger } from '../../lib/logger.js';
import { slackLogger } from '../../slack/web-client.js';
import {
  closedSignal, disconnectReason, type CloseReason, type InboundEnvelope, type Transport, type TransportClosed,
  type TransportOptions,
} from './transport.js';

const CLOSE_WAIT_MS = 2_000;

interface SlackEventArgs {
  readonly type: string;
  readonly body: Record<string, unknown> | undefined;
  readonly retry_num?: number;
  readonly ack: (response?: Record<string, unknown>) => Promise<void>;
}

/**
 * One Socket Mode socket for one app token, over the unmodified
 * `@slack/socket-mode` client with its auto-reconnect and retries off: the
 * worker owns recovery. Events of every team of the app arrive here.
 */
export class SocketModeTransport implements Transport {
  readonly #closed = closedSignal();
  readonly closed: Promise<TransportClosed> = this.#closed.promise;
  readonly #client: SocketModeClient;
  #lastReason: CloseReason = 'socket_lost';
  #isClosing = false;

  constructor(appToken: string, private readonly options: TransportOptions, private readonly logger: Logger) {
    const clientLogger = slackLogger(logger);
    const warn = clientLogger.warn;
    clientLogger.warn = (...msg: unknown[]) => {
      // The client reports a missing pong only in a log line; remember it as the close reason.
      if (/pong wasn't received|ping wasn't received/.test(msg.join(' '))) this.#lastReason = 'pong_timeout';
      warn(...msg);
    };
    this.#client = new SocketModeClient({
      appToken,
      autoReconnectEnabled: false,
      clientPingTimeout: options.pingTimeoutMs,
      serverPingTimeout: Math.max(30_000, options.pingTimeoutMs * 3),
      logger: clientLogger,
      clientOptions: { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 },
    });
    this.#client.on('ws_message', (data: unknown) => this.#onRaw(data));
    this.#client.on('slack_event', (args: SlackEventArgs) => this.#onSlackEvent(args));
    this.#client.on('disconnected', () => this.#closed.settle(this.#isClosing ? 'closed' : this.#lastReason));
  }

  async open(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.#client.start();
    } catch (error) {
      this.#closed.settle('socket_lost');
      // The client rejects with undefined when the socket closes before hello.
      throw error ?? new Error('socket closed before hello');
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (signal.aborted) throw new Error('aborted');
  }

  async close(): Promise<void> {
    if (!this.#isClosing) {
      this.#isClosing = true;
      await withTimeout(this.#client.disconnect().catch(() => undefined), CLOSE_WAIT_MS, undefined);
      this.#client.removeAllListeners();
      // Keep a no-op error listener: a late socket error must never become an uncaught 'error' event.
      this.#client.on('error', () => undefined);
      this.#closed.settle('closed');
    }
    await this.closed;
  }

  #onRaw(data: unknown): void {
    if (typeof data !== 'string' || !data.includes('"disconnect"')) return;
    try {
      const message = JSON.parse(data) as { type?: unknown; reason?: unknown };
      if (message.type === 'disconnect') {
        this.#lastReason = disconnectReason(message.reason);
        this.logger.info({ reason: message.reason }, 'Slack asked this socket to disconnect');
      }
    } catch {
      // Not JSON: the client logs and ignores it too.
    }
  }

  #onSlackEvent(args: SlackEventArgs): void {
    const body = args.body ?? {};
    const teamId = teamOf(body);
    const ack = (response?: Record<string, unknown>): Promise<void> => args.ack(response).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'ack failed: the socket closed; Slack will redeliver');
    });
    let envelope: InboundEnvelope;
    if (args.type === 'events_api') {
      envelope = {
        kind: 'event', teamId, eventId: typeof body.event_id === 'string' ? body.event_id : undefined,
        event: body.event, retryAttempt: args.retry_num ?? 0, ack: () => ack(),
      };
    } else if (args.type === 'slash_commands') {
      envelope = { kind: 'slash_command', teamId, payload: body, ack };
    } else {
      envelope = { kind: 'other', type: args.type, teamId, ack: () => ack() };
    }
    this.options.onEnvelope(envelope);
  }
}

function teamOf(body: Record<string, unknown>): string | undefined {
  if (typeof body.team_id === 'string') return body.team_id;
  const team = body.team as { id?: unknown } | undefined;
  return typeof team?.id === 'string' ? team.id : undefined;
}
