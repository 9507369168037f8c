import { createHash } from 'node:crypto';
import type { ConnectionSpec } from './types.js';

/**
 * The key of the socket a workspace's events arrive on, as Slack keys it, and
 * so the key of its lease among several instances: a Socket Mode socket
 * belongs to an app-level token (every workspace on one token shares it), an
 * RTM socket to one workspace's bot. Socket Mode keys are a digest of the
 * token, never the token: `app:` + 32 hex digits of SHA-256. RTM keys are
 * `rtm:` + the team id. `null` for a transport without a socket (HTTP
 * events): no lease, every instance serves it.
 */
export function connectionKey(teamId: string, connection: ConnectionSpec): string | null {
  if (connection.transport === 'socket-mode') {
    return `app:${createHash('sha256').update('flotilla-connection:').update(connection.appToken).digest('hex').slice(0, 32)}`;
  }
  if (connection.transport === 'rtm') return `rtm:${teamId}`;
  return null;
}

/** Whether a key names an RTM socket: never two of those open at once, database outage or not. */
export function isRtmKey(key: string): boolean {
  return key.startsWith('rtm:');
}
