import { ErrorCode } from '@slack/web-api';

/** Slack errors that mean the token (or the install behind it) is gone for good. */
const TOKEN_IS_DEAD: ReadonlySet<string> = new Set([
  'invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired',
  'team_disabled', 'user_removed_from_team',
]);

export type SlackFailure =
  | { readonly kind: 'dead'; readonly slackError: string }
  | { readonly kind: 'transient'; readonly slackError: string; readonly retryAfterMs?: number };

/**
 * Whether a failure ends the workspace (`dead`) or is retried (`transient`).
 * Everything that is not a known dead-token answer is transient: rate limits,
 * `internal_error`, `fatal_error`, `org_login_required`, network errors, 5xx,
 * timeouts. Never throws.
 */
export function classifySlackError(error: unknown): SlackFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === ErrorCode.RateLimitedError) {
    const retryAfterSec = Number((error as { retryAfter?: unknown }).retryAfter);
    return {
      kind: 'transient', slackError: 'ratelimited',
      ...(Number.isFinite(retryAfterSec) ? { retryAfterMs: retryAfterSec * 1000 } : {}),
    };
  }
  if (code === ErrorCode.PlatformError) {
    const slackError = String((error as { data?: { error?: unknown } }).data?.error ?? 'unknown_error');
    return TOKEN_IS_DEAD.has(slackError) ? { kind: 'dead', slackError } : { kind: 'transient', slackError };
  }
  if (code === ErrorCode.HTTPError) {
    const status = (error as { statusCode?: unknown }).statusCode;
    return { kind: 'transient', slackError: `http_${String(status ?? 'error')}` };
  }
  if (code === ErrorCode.RequestError) return { kind: 'transient', slackError: 'request_error' };
  if (typeof code === 'string' && TOKEN_IS_DEAD.has(code)) return { kind: 'dead', slackError: code };
  return { kind: 'transient', slackError: typeof code === 'string' ? code : 'unknown_error' };
}
