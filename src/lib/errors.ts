/**
 * Base of every error flotilla raises on purpose. `code` is stable (`flotilla_*`)
 * and safe to show; `cause` keeps the underlying error for logs. Messages never
 * contain secrets: callers pass redacted text.
 */
export abstract class FlotillaError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or malformed; `variable` names it. */
export class ConfigError extends FlotillaError {
  readonly code = 'flotilla_config';
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

/** An operation was given input it cannot use (unknown team, bad argument). */
export class InvalidInputError extends FlotillaError {
  readonly code = 'flotilla_invalid_input';
}

/** Something asked for does not exist. */
export class NotFoundError extends FlotillaError {
  readonly code = 'flotilla_not_found';
}

/** Slack refused a call; `slackError` is Slack's own error string (never a token). */
export class SlackCallError extends FlotillaError {
  readonly code = 'flotilla_slack_call';
  constructor(readonly method: string, readonly slackError: string, options?: { cause?: unknown }) {
    super(`Slack ${method} failed: ${slackError}`, options);
  }
}

/**
 * Something a request needs (the database) cannot be reached right now: the
 * request is answered "temporarily unavailable", never as a bug, and nothing
 * is given up for good (what is owed is retried by its owner).
 */
export class TemporarilyUnavailableError extends FlotillaError {
  readonly code = 'flotilla_unavailable';
  constructor(readonly what: string, options?: { cause?: unknown }) {
    super(`the ${what} is temporarily unavailable`, options);
  }
}

/** Best-effort text of any thrown value, for logs and replies. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
