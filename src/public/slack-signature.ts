import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack refuses requests whose timestamp is further than this from now, and so do we (replays). */
export const MAX_SKEW_SEC = 5 * 60;

/** Why a request was refused, for the log line (never the body, never the signature). */
export type SignatureProblem = 'missing_headers' | 'stale_timestamp' | 'bad_signature';

/**
 * Checks Slack's request signature on the exact bytes received:
 * `X-Slack-Signature` must be `v0=` + hex HMAC-SHA256 of
 * `v0:<X-Slack-Request-Timestamp>:<body>` under the signing secret (compared
 * in constant time), and the timestamp within 5 minutes of `nowSec`.
 * Returns undefined when the request is Slack's, else the problem. Never throws.
 */
export function checkSlackSignature(
  signingSecret: string,
  headers: { readonly timestamp: string | undefined; readonly signature: string | undefined },
  body: Buffer,
  nowSec = Math.floor(Date.now() / 1000),
): SignatureProblem | undefined {
  const { timestamp, signature } = headers;
  if (timestamp === undefined || signature === undefined || !/^\d{1,12}$/.test(timestamp) || !signature.startsWith('v0=')) {
    return 'missing_headers';
  }
  if (Math.abs(nowSec - Number(timestamp)) > MAX_SKEW_SEC) return 'stale_timestamp';
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  // timingSafeEqual needs equal lengths; the length of a hex digest is no secret.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'bad_signature';
  return undefined;
}

/** One header's single value (a repeated header counts as missing). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
