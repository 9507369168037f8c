import { FlotillaError } from '../lib/errors.js';

/** The database could not be opened or reached. The message never holds credentials. */
export class DatabaseError extends FlotillaError {
  readonly code = 'flotilla_database';
}

/**
 * `url` with its password (and any query-string secrets) replaced by `***`.
 * Never throws; text that is not a URL comes back as a fixed marker, since it
 * might be a secret itself.
 */
export function redactDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '[unparsable database url]';
  }
  if (parsed.password !== '') parsed.password = '***';
  for (const key of [...parsed.searchParams.keys()]) {
    if (/pass|secret|key|token/i.test(key)) parsed.searchParams.set(key, '***');
  }
  return parsed.toString();
}

/**
 * Removes a database secret from free text (error messages from drivers),
 * wherever it appears: a URL's password (and the URL), or a bare password.
 */
export function scrubDatabaseSecret(text: string, url: string | undefined): string {
  if (url === undefined || url === '') return text;
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text.replaceAll(url, '***');
  }
  let scrubbed = text.replaceAll(url, redactDatabaseUrl(url));
  if (password.length > 0) scrubbed = scrubbed.replaceAll(password, '***');
  return scrubbed;
}

/** Channel names we LISTEN on are interpolated as identifiers: keep them plain. */
export function assertChannelName(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new DatabaseError(`invalid notification channel name: ${JSON.stringify(channel)}`);
  }
}

/** SQLSTATEs that mean "the server is not there right now", not "the statement is wrong". */
const UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown: the server is stopping (or our session was terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, in recovery
  '53300', // too_many_connections
  '57014', // query_canceled: past our statement_timeout (a stuck or overloaded server), or cancelled by an operator
]);
/** Socket errors of a connection that could not be made or was cut. */
const UNAVAILABLE_ERRNOS: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED',
]);
/** node-postgres' own messages for a connection that broke or never came, or a statement never answered (`query_timeout`). */
const UNAVAILABLE_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|is not queryable|Client was closed|Connection ended unexpectedly|Query read timeout/i;

/**
 * Whether `error` (or any error in its `cause` chain) says the database
 * cannot be reached right now (server down, restarting, network cut,
 * connection limit, a statement unanswered or cancelled past its time
 * bound), as opposed to a failing statement. Such failures are
 * retried later; callers answer users "temporarily unavailable". Never throws.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (typeof current !== 'object') return false;
    const { code, message, errors } = current as { code?: unknown; message?: unknown; errors?: unknown };
    if (typeof code === 'string' && (code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
    // A connection attempt to several addresses (localhost: ::1 and 127.0.0.1) fails as an AggregateError.
    if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
