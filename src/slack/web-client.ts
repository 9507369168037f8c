import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';
import { SlackHttp, type SlackHttpOptions } from './slack-http.js';
import type { SlackApi } from './types.js';

/** Adapts pino to the logger interface of Slack's clients (their debug chatter goes to `trace`). */
export function slackLogger(logger: Logger): SlackLogger {
  return {
    debug: (...msg: unknown[]) => logger.trace(msg.map(String).join(' ')),
    info: (...msg: unknown[]) => logger.debug(msg.map(String).join(' ')),
    warn: (...msg: unknown[]) => logger.warn(msg.map(String).join(' ')),
    error: (...msg: unknown[]) => logger.warn(msg.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}

export interface WebClientOptions {
  readonly slackApiUrl: string;
  readonly logger: Logger;
  readonly timeoutMs?: number;
}

/**
 * A WebClient whose own retries are off and whose rate-limited calls reject at
 * once: the caller owns every retry, so nothing waits hidden inside the client.
 */
export function createWebClient(token: string | undefined, options: WebClientOptions): WebClient {
  return new WebClient(token, {
    slackApiUrl: options.slackApiUrl,
    logger: slackLogger(options.logger),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
  });
}

/** Web API calls made with one token. Errors carry WebClient's codes (see classifySlackError). */
export interface SlackCaller {
  call<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
}

/**
 * Web API access for the whole fleet: one keep-alive HTTP client, a caller per
 * token. Callers cost almost nothing (a WebClient per workspace costs ~26 KB
 * of heap, measured over 2,000), and since rate-limited calls reject at once
 * and each worker retries on its own schedule, a 429 for one team never
 * pauses another.
 */
export class SlackWeb {
  readonly #http: SlackHttp;
  constructor(options: SlackHttpOptions) {
    this.#http = new SlackHttp(options);
  }

  /** A caller that sends `token` with every call. */
  caller(token: string): SlackCaller {
    const http = this.#http;
    return { call: <T>(method: string, params?: Record<string, unknown>) => http.call<T>(method, token, params) };
  }

  close(): Promise<void> {
    return this.#http.close();
  }
}

interface UsersInfo { user?: { is_admin?: boolean; is_owner?: boolean; is_primary_owner?: boolean; name?: string; real_name?: string; tz?: string; profile?: { display_name?: string } } }

/** The `SlackApi` commands see, over one workspace's caller. */
export function slackApiFor(slack: SlackCaller): SlackApi {
  return {
    call: (method, params) => slack.call(method, params),
    async userInfo(userId) {
      const { user } = await slack.call<UsersInfo>('users.info', { user: userId });
      return {
        isAdmin: Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner),
        name: user?.profile?.display_name || user?.real_name || user?.name || userId,
        ...(user?.tz ? { tz: user.tz } : {}),
      };
    },
    async teamTimeZone() {
      // `tz` is not in Slack's published team.info shape, but the emulator (and some grids) send it.
      const result = await slack.call<{ team?: { tz?: unknown } }>('team.info');
      const tz = result.team?.tz;
      return typeof tz === 'string' && tz !== '' ? tz : 'UTC';
    },
  };
}
