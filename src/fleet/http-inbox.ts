import type { InboundEnvelope } from './transports/transport.js';

/** What became of an envelope handed to the fleet from the HTTP events endpoint. */
export type HttpDelivery =
  /** A worker of this instance took it (it acks it, with an answer for commands and forms). */
  | 'taken'
  /** Its workspace is installed and served here, but its worker is starting or stopping: not acked. */
  | 'unavailable'
  /** No workspace of that team runs on this instance (not installed, or removed). */
  | 'unknown_team';

/** A worker as the inbox sees it. */
export interface HttpMember {
  onEnvelope(envelope: InboundEnvelope): boolean;
}

/**
 * The fleet's door for HTTP events: the public listener (which verified the
 * request) hands each envelope in with its `team_id`, and the inbox gives it
 * to that workspace's worker. No socket and no lease: every instance runs the
 * workers of `http` workspaces, so whichever instance Slack reaches answers.
 */
export class HttpInbox {
  /** `workerOf`: the running worker of a team on this instance (the supervisor's lookup). */
  constructor(private readonly workerOf: (teamId: string) => HttpMember | undefined) {}

  /** Hands `envelope` to the worker of `teamId`. Never throws. */
  deliver(teamId: string, envelope: InboundEnvelope): HttpDelivery {
    const worker = this.workerOf(teamId);
    if (worker === undefined) return 'unknown_team';
    return worker.onEnvelope(envelope) ? 'taken' : 'unavailable';
  }
}
