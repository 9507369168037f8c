import type { Reply } from './types.js';

/**
 * Posts to a `response_url` (a slash command's delayed answer, or an answer to
 * a button click): ephemeral by default. Rejects when Slack answers non-2xx.
 */
export async function postToResponseUrl(url: string, reply: Reply, signal: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) }),
    signal,
  });
  if (!response.ok) throw new Error(`response_url answered HTTP ${response.status}`);
}
