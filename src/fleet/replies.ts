import pRetry, { AbortError } from 'p-retry';
import { sleep } from '../lib/abort.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { Reply } from '../slack/types.js';
import type { SlackCaller } from '../slack/web-client.js';

/**
 * Posts a reply with `chat.postMessage`, threaded when `threadTs` is set.
 * Transient failures (429 with its Retry-After, 5xx, network) are retried a
 * few times; a dead token or a refusal (`channel_not_found`…) is not.
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
  await pRetry(
    async () => {
      try {
        await slack.call('chat.postMessage', params);
      } catch (error) {
        const failure = classifySlackError(error);
        if (failure.kind === 'dead' || !isRetryable(failure.slackError)) throw new AbortError(error instanceof Error ? error : String(error));
        if (failure.retryAfterMs) await sleep(failure.retryAfterMs, signal);
        throw error;
      }
    },
    { retries: 3, minTimeout: 200, maxTimeout: 2_000, randomize: true, signal },
  );
}

function isRetryable(slackError: string): boolean {
  return slackError === 'ratelimited' || slackError === 'internal_error' || slackError === 'fatal_error'
    || slackError === 'request_error' || slackError.startsWith('http_') || slackError === 'unknown_error';
}

/** Posts a slash command's delayed answer to its `response_url` (ephemeral by default). */
export async function postToResponseUrl(url: string, reply: Reply, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) }),
    signal,
  });
  if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
}
