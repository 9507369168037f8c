import { RTMClient } from '@slack/rtm-api';
import { withTimeout } from '../../lib/abort.js';
import type { Logger } from '../../lib/logger.js';
import { createWebClient, slackLogger } from '../../slack/web-client.js';
import { closedSignal, type CloseReason, type Transport, type TransportClosed, type TransportOptions } from './transport.js';

const CLOSE_WAIT_MS = 2_000;
type RtmWebClient = NonNullable<NonNullable<ConstructorParameters<typeof RTMClient>[1]>['webClient']>;

/**
 * One classic RTM socket for one bot token, over the unmodified
 * `@slack/rtm-api` client with auto-reconnect off and our own retry-less
 * WebClient. RTM carries one workspace, so events carry that team's id.
 */
export class RtmTransport implements Transport {
  readonly #closed = closedSignal();
  readonly closed: Promise<TransportClosed> = this.#closed.promise;
  readonly #client: RTMClient;
  #teamId: string | undefined;
  #lastReason: CloseReason = 'socket_lost';
  #isClosing = false;

  constructor(botToken: string, private readonly options: TransportOptions, private readonly logger: Logger) {
    const clientLogger = slackLogger(logger);
    const warn = clientLogger.debug;
    clientLogger.debug = (...msg: unknown[]) => {
      if (/pong timer expired/.test(msg.join(' '))) this.#lastReason = 'pong_timeout';
      warn(...msg);
    };
    this.#client = new RTMClient(botToken, {
      slackApiUrl: options.slackApiUrl,
      autoReconnect: false,
      logger: clientLogger,
      clientPingTimeout: Math.max(1_000, Math.floor(options.pingTimeoutMs / 2)),
      serverPongTimeout: Math.max(500, Math.floor(options.pingTimeoutMs / 2) - 100),
      // rtm-api bundles an older web-api; it only calls apiCall(), which ours has, retries off.
      webClient: createWebClient(botToken, { slackApiUrl: options.slackApiUrl, logger }) as unknown as RtmWebClient,
    });
    this.#client.on('error', (error: unknown) => logger.warn({ err: error }, 'RTM socket error'));
    this.#client.on('slack_event', (type: string, event: unknown) => this.#onEvent(type, event));
    this.#client.on('disconnected', () => this.#closed.settle(this.#isClosing ? 'closed' : this.#lastReason));
  }

  async open(signal: AbortSignal): Promise<void> {
    const onAbort = (): void => void this.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const ready = new Promise<void>((resolve, reject) => {
        this.#client.once('connected', () => resolve());
        this.#client.once('disconnected', (error?: unknown) => reject(error ?? new Error('socket closed before hello')));
      });
      ready.catch(() => undefined); // start() may reject first with the same error

      const started = (await this.#client.start()) as { team?: { id?: string } };
      this.#teamId = started.team?.id;
      await ready;
    } catch (error) {
      this.#closed.settle('socket_lost');
      throw error;
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
      this.#client.on('error', () => undefined);
      this.#closed.settle('closed');
    }
    await this.closed;
  }

  #onEvent(type: string, event: unknown): void {
    if (type === 'goodbye') {
      this.#lastReason = 'goodbye';
      this.logger.info('Slack said goodbye on the RTM socket');
      return;
    }
    if (type === 'hello' || type === 'pong' || event === null || typeof event !== 'object') return;
    if ((event as { reply_to?: unknown }).reply_to !== undefined) return;
    const teamId = typeof (event as { team?: unknown }).team === 'string' ? (event as { team: string }).team : this.#teamId;
    this.options.onEnvelope({ kind: 'event', teamId, eventId: undefined, event, retryAttempt: 0, ack: async () => undefined });
  }
}
