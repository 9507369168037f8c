import { LogLevel, type Logger } from '@slack/socket-mode';

/** Resolves once `condition` holds; rejects with `what` after `timeoutMs`. Polls; never a fixed sleep. */
export async function until(condition: () => boolean, what = 'condition', timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls the async `read` until `accept` holds for its value; resolves with that value. */
export async function poll<T>(read: () => Promise<T>, accept: (value: T) => boolean, what = 'condition', timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the first emission of `event` on `emitter`. */
export function once<T>(emitter: { once(event: string, listener: (value: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

/** A logger for the Slack clients that keeps test output clean (set SLACK_CLIENT_DEBUG=1 to see logs). */
export function quietLogger(): Logger {
  const verbose = process.env['SLACK_CLIENT_DEBUG'] === '1';
  let level = LogLevel.ERROR;
  const write = (...args: unknown[]): void => {
    if (verbose) process.stderr.write(`${args.map(String).join(' ')}\n`);
  };
  return {
    debug: write, info: write, warn: write, error: write,
    setLevel: (next: LogLevel) => { level = next; },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/**
 * Works around @slack/rtm-api 7.0.4: its reply list is a sparse array and every disconnect runs
 * `for (const p of list) p.cancel()`, which throws a TypeError on the holes (uncaught, from the
 * socket's close listener) once sendMessage() was used. Compacting it first avoids that.
 */
export function compactRtmReplies(rtm: object): void {
  const holder = rtm as { awaitingReplyList?: unknown[] };
  if (Array.isArray(holder.awaitingReplyList)) holder.awaitingReplyList = holder.awaitingReplyList.filter((p) => p !== undefined);
}
