import pRetry, { AbortError } from 'p-retry';
import { sleep } from '../lib/abort.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { Reply } from '../slack/types.js';
import type { SlackCaller } from '../slack/web-client.js';

/**
 * Posts a reply with `chat.postMessage`, threaded when `threadTs` is set.
 * Failures after which Slack surely did not post (429 with its Retry-After,
 * 5xx, a refused connection) are retried a few times; a dead token, a refusal
 * (`channel_not_found`…) or an ambiguous network failure is not.
 */
export async function postReply(
  slack: SlackCaller,
  target: { channel: string; threadTs: string | undefined },
  reply: Reply,
  signal: AbortSignal,
): Promise<void> {
  const params = {
    channel: target.channel,
    text: reply.text,
    ...(reply.blocks ? { blocks: reply.blocks } : {}),
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
  };
  try {
    await slack.call('chat.postMessage', params);
    return; // the common case, without the retry machinery's allocations
  } catch (error) {
    const waitMs = repeatAfterMs(error);
    if (waitMs === undefined) throw error;
    await sleep(Math.max(waitMs, FIRST_REPEAT_AFTER_MS), signal);
  }
  await pRetry(
    async () => {
      try {
        await slack.call('chat.postMessage', params);
      } catch (error) {
        if (repeatAfterMs(error) === undefined) throw new AbortError(error instanceof Error ? error : String(error));
        throw error;
      }
    },
    {
      retries: 2, minTimeout: 200, maxTimeout: 2_000, randomize: true, signal,
      // Before each repeat: wait at least what Slack's Retry-After asked for.
      onFailedAttempt: async ({ error }) => {
        const waitMs = repeatAfterMs(error) ?? 0;
        if (waitMs > 0) await sleep(waitMs, signal);
      },
    },
  );
}

const FIRST_REPEAT_AFTER_MS = 200;

/** How long Slack asked us to wait before repeating (0: no ask), or undefined when the post must not be repeated. */
function repeatAfterMs(error: unknown): number | undefined {
  const failure = classifySlackError(error);
  if (failure.kind !== 'transient' || !isSafeToRepeat(failure.slackError, error)) return undefined;
  return failure.retryAfterMs ?? 0;
}

/**
 * `chat.postMessage` has no idempotency key: repeat it only when Slack surely
 * did not post. A 429 or a refused connection did not; a 5xx or `internal_error`
 * almost surely did not; a timeout or a reset mid-request may have (a repeat
 * would answer twice), so those are not repeated.
 */
function isSafeToRepeat(slackError: string, error: unknown): boolean {
  if (slackError === 'request_error') return (error as { isUnsent?: unknown }).isUnsent === true;
  return slackError === 'ratelimited' || slackError === 'internal_error' || slackError === 'fatal_error'
    || slackError.startsWith('http_5');
}

export { postToResponseUrl } from '../slack/response-url.js';
