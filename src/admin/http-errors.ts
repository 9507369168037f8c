import { randomBytes } from 'node:crypto';
import { isDatabaseUnavailable } from '../db/errors.js';
import { FlotillaError, InvalidInputError, NotFoundError, SlackCallError, TemporarilyUnavailableError } from '../lib/errors.js';
import { redactSecrets } from '../lib/logger.js';
import type { ErrorBody } from './api-types.js';

/** A reply for a failed request: status, JSON body, and whether it is our fault (log it as an error). */
export interface ErrorReply {
  readonly status: number;
  readonly body: ErrorBody;
  readonly isInternal: boolean;
}

/** Slack answers that say "try again later" rather than "no". */
const SLACK_UNAVAILABLE = /^(ratelimited|request_error|http_\d+|internal_error|fatal_error|service_unavailable|unknown_error|slack_webapi_.*)$/;

interface AjvIssue { instancePath?: string; message?: string; params?: Record<string, unknown> }
interface FastifyLikeError { code?: unknown; statusCode?: unknown; validation?: AjvIssue[]; validationContext?: string }

/**
 * Maps any thrown value to an HTTP answer whose message says what is wrong.
 * Messages are passed through `redactSecrets`, and JSON parse errors (whose
 * text quotes the body) are replaced: a token in a request never comes back
 * in an answer or a log line.
 */
export function toErrorReply(error: unknown): ErrorReply {
  const reply = (status: number, code: string, message: string, isInternal = false): ErrorReply =>
    ({ status, body: { error: { code, message: redactSecrets(message) } }, isInternal });
  if (error instanceof InvalidInputError) return reply(400, error.code, error.message);
  if (error instanceof NotFoundError) return reply(404, error.code, error.message);
  if (error instanceof SlackCallError) {
    return SLACK_UNAVAILABLE.test(error.slackError)
      ? reply(502, error.code, `${error.message} (Slack is unavailable or rate limiting; try again)`)
      : reply(422, error.code, error.message);
  }
  // After Slack's own failures: what is left unreachable is the database (a repository call).
  if (error instanceof TemporarilyUnavailableError || isDatabaseUnavailable(error)) {
    return reply(503, 'flotilla_unavailable', 'the database is temporarily unavailable; try again shortly');
  }
  const fastifyError = (error ?? {}) as FastifyLikeError;
  if (Array.isArray(fastifyError.validation)) {
    return reply(400, 'flotilla_invalid_request', describeValidation(fastifyError.validation, fastifyError.validationContext ?? 'body'));
  }
  const code = typeof fastifyError.code === 'string' ? fastifyError.code : '';
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply(415, 'flotilla_invalid_request', 'send the body as JSON (Content-Type: application/json)');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return reply(400, 'flotilla_invalid_request', 'the body is empty; send a JSON object');
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply(413, 'flotilla_invalid_request', 'the body is too large');
  if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON') return reply(400, 'flotilla_invalid_request', 'the body is not valid JSON');
  const status = typeof fastifyError.statusCode === 'number' ? fastifyError.statusCode : 500;
  if (status >= 400 && status < 500) return reply(status, 'flotilla_invalid_request', error instanceof Error ? error.message : 'bad request');
  const ref = randomBytes(4).toString('hex');
  const what = error instanceof FlotillaError ? error.code : 'flotilla_internal';
  return reply(500, what, `internal error (ref ${ref}); the daemon log has the details`, true);
}

function describeValidation(issues: readonly AjvIssue[], context: string): string {
  return issues.slice(0, 3).map((issue) => {
    const where = `${context}${(issue.instancePath ?? '').replace(/\//g, '.')}`;
    const params = issue.params ?? {};
    if (typeof params['missingProperty'] === 'string') return `${where} needs "${params['missingProperty']}"`;
    if (typeof params['additionalProperty'] === 'string') return `${where} has an unknown field "${params['additionalProperty']}"`;
    if (Array.isArray(params['allowedValues'])) return `${where} must be one of ${params['allowedValues'].join(', ')}`;
    return `${where} ${issue.message ?? 'is invalid'}`;
  }).join('; ');
}
