import type { ClaimKind } from './lease-store.js';
import type { CloseReason } from './transports/transport.js';
import type { WorkerState } from './worker-state.js';

/** Why an inbound event did not reach a command. */
export type EventDropReason =
  | 'duplicate' | 'own_message' | 'bot_message' | 'not_for_bot' | 'subtype' | 'no_author'
  | 'unchanged_edit' | 'malformed' | 'not_a_message' | 'unknown_team' | 'draining';

/** What the fleet reports, for metrics and logs. Emitted through a SafeEmitter. */
export interface FleetEvents extends Record<string, unknown[]> {
  'worker:state': [teamId: string, from: WorkerState, to: WorkerState];
  'event:received': [teamId: string, kind: string];
  'event:acked': [teamId: string, latencyMs: number];
  'event:dropped': [teamId: string, reason: EventDropReason];
  /** A reply reached Slack: posted with chat.postMessage, in a slash command's ack, or to its response_url. */
  'reply:sent': [teamId: string, via: 'chat.postMessage' | 'ack' | 'response_url'];
  /** `unavailable`: a dependency (the database) could not be reached; the user was told to retry. */
  'event:handled': [teamId: string, durationMs: number, outcome: 'ok' | 'error' | 'unavailable'];
  'connection:reconnect': [reason: CloseReason | 'operator' | 'open_failed'];
  'workspace:removed': [teamId: string, reason: string];
  /** One request to the HTTP events endpoint (`POST /slack/events`), by what became of it. */
  'http:request': [outcome: HttpRequestOutcome];
  'slack:call': [method: string, outcome: 'ok' | 'error' | 'ratelimited'];
  /** Leases taken by one claim, by how they were taken. */
  'lease:claimed': [kind: ClaimKind, count: number];
  /** Connections closed because their leases could not be renewed in time. */
  'lease:fenced': [connections: number];
  /** One statement on the coordination tables (heartbeats, leases, published statuses). */
  'coordination:statement': [kind: CoordinationStatement];
}

/**
 * `refused`: the signature, its timestamp or its headers were wrong (401); `malformed`: signed but
 * unreadable (400); `url_verification`; `taken`: handed to a worker; `unknown_team`: a team not
 * installed (200, dropped); `unavailable`: installed, but its worker here is starting, stopping or
 * not started yet (503, Slack retries); `ignored`: nothing to do (`ssl_check`, `app_rate_limited`; 200).
 */
export type HttpRequestOutcome = 'refused' | 'malformed' | 'url_verification' | 'taken' | 'unknown_team' | 'unavailable' | 'ignored';

export type CoordinationStatement = 'register' | 'renew' | 'census' | 'claim' | 'release' | 'leave' | 'sweep' | 'status';
