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

/** Removes the URL's password from free text (error messages from drivers), wherever it appears. */
export function scrubDatabaseSecret(text: string, url: string | undefined): string {
  if (url === undefined) return text;
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text.replaceAll(url, '[database url]');
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
