import { TtlCache } from '../lib/ttl-cache.js';
import type { InboundEnvelope } from './transports/transport.js';

/** What became of an envelope handed to the fleet from the HTTP events endpoint. */
export type HttpDelivery =
  /** A worker of this instance took it (it acks it, with an answer for commands and forms). */
  | 'taken'
  /**
   * Its workspace is installed but its worker here is starting, stopping, or
   * not started yet (another instance just added it): not acked, so Slack retries.
   */
  | 'unavailable'
  /** No enabled workspace of that team exists (never installed, or removed). */
  | 'unknown_team';

/** A worker as the inbox sees it. */
export interface HttpMember {
  onEnvelope(envelope: InboundEnvelope): boolean;
}

export interface HttpInboxOptions {
  /** The running worker of a team on this instance (the supervisor's lookup). */
  readonly workerOf: (teamId: string) => HttpMember | undefined;
  /** Whether the team has an enabled workspace row, asked only when no worker runs it here (cached briefly). */
  readonly isInstalled: (teamId: string) => Promise<boolean>;
  /** Asks the supervisor to catch up with the table now (a workspace this instance has not started yet). */
  readonly reconcile: () => void;
}

/** How long "is this team installed?" is remembered: a flood of events for an uninstalled team costs one query. */
const INSTALLED_TTL_MS = 5_000;

/**
 * The fleet's door for HTTP events: the public listener (which verified the
 * request) hands each envelope in with its `team_id`, and the inbox gives it
 * to that workspace's worker. No socket and no lease: every instance runs the
 * workers of `http` workspaces, so whichever instance Slack reaches answers.
 */
export class HttpInbox {
  readonly #installed = new TtlCache<boolean>(INSTALLED_TTL_MS);

  constructor(private readonly options: HttpInboxOptions) {}

  /** Hands `envelope` to the worker of `teamId`. Never rejects. */
  async deliver(teamId: string, envelope: InboundEnvelope): Promise<HttpDelivery> {
    const worker = this.options.workerOf(teamId);
    if (worker !== undefined) return worker.onEnvelope(envelope) ? 'taken' : 'unavailable';
    // Not running here: an unknown team, or one added a moment ago through another instance.
    const isInstalled = await this.#installed.get(teamId, () => this.options.isInstalled(teamId)).catch(() => true);
    if (!isInstalled) return 'unknown_team';
    this.options.reconcile();
    return 'unavailable';
  }
}
