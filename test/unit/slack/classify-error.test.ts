import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@slack/web-api';
import { classifySlackError } from '../../../src/slack/classify-error.js';

const platform = (error: string) => Object.assign(new Error(error), { code: ErrorCode.PlatformError, data: { ok: false, error } });

describe('classifySlackError', () => {
  it.each(['invalid_auth', 'account_inactive', 'token_revoked', 'team_disabled', 'user_removed_from_team', 'token_expired'])(
    '%s is a dead token', (error) => {
      expect(classifySlackError(platform(error))).toEqual({ kind: 'dead', slackError: error });
    });

  it.each(['org_login_required', 'team_added_to_org', 'internal_error', 'fatal_error', 'ratelimited'])(
    '%s is transient', (error) => {
      expect(classifySlackError(platform(error))).toEqual({ kind: 'transient', slackError: error });
    });

  it('carries Retry-After of a rate limit', () => {
    const error = Object.assign(new Error('rl'), { code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(classifySlackError(error)).toEqual({ kind: 'transient', slackError: 'ratelimited', retryAfterMs: 7000 });
  });

  it('treats HTTP, network and unknown failures as transient', () => {
    expect(classifySlackError(Object.assign(new Error(), { code: ErrorCode.HTTPError, statusCode: 503 })))
      .toEqual({ kind: 'transient', slackError: 'http_503' });
    expect(classifySlackError(Object.assign(new Error(), { code: ErrorCode.RequestError })))
      .toEqual({ kind: 'transient', slackError: 'request_error' });
    expect(classifySlackError(new Error('ECONNRESET'))).toEqual({ kind: 'transient', slackError: 'unknown_error' });
    expect(classifySlackError(undefined)).toEqual({ kind: 'transient', slackError: 'unknown_error' });
  });
});
