import { LogLevel, WebClient, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '../lib/logger.js';
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
export function createWebClient(token: string, options: WebClientOptions): WebClient {
  return new WebClient(token, {
    slackApiUrl: options.slackApiUrl,
    logger: slackLogger(options.logger),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: options.timeoutMs ?? 10_000,
  });
}

/** The `SlackApi` commands see, over one workspace's WebClient. */
export function slackApiFor(client: WebClient): SlackApi {
  return {
    async userInfo(userId) {
      const result = await client.users.info({ user: userId });
      const user = result.user;
      return {
        isAdmin: Boolean(user?.is_admin || user?.is_owner || user?.is_primary_owner),
        name: user?.profile?.display_name || user?.real_name || user?.name || userId,
        ...(user?.tz ? { tz: user.tz } : {}),
      };
    },
    async teamTimeZone() {
      // `tz` is not in Slack's published team.info shape, but the emulator (and some grids) send it.
      const result = await client.team.info();
      const tz = (result.team as { tz?: unknown } | undefined)?.tz;
      return typeof tz === 'string' && tz !== '' ? tz : 'UTC';
    },
  };
}
