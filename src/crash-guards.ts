import type { Logger } from './lib/logger.js';

/**
 * Errors thrown from inside Slack's client libraries (a dead token during
 * their own reconnect, disconnect() during a reconnect, rtm-api's state
 * machine) must not take down the fleet: log them and carry on. Anything else
 * is a bug of ours: log it and exit, so systemd restarts a clean process.
 */
export function installCrashGuards(logger: Logger): void {
  const isFromSlackClient = (error: unknown): boolean =>
    error instanceof Error && /[\\/]node_modules[\\/](@slack[\\/]|finity[\\/]|undici[\\/]|ws[\\/])/.test(error.stack ?? '');
  const onFault = (kind: string) => (error: unknown): void => {
    if (isFromSlackClient(error)) {
      logger.warn({ err: error, kind }, 'error inside a Slack client library; its worker recovers');
      return;
    }
    logger.fatal({ err: error, kind }, 'unexpected error; exiting');
    process.exit(70);
  };
  process.on('uncaughtException', onFault('uncaughtException'));
  process.on('unhandledRejection', onFault('unhandledRejection'));
}
