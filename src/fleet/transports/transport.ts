/**
 * The seam between a Slack client library and the fleet. A transport knows no
 * worker and no command: it opens one socket, hands up envelopes, and reports
 * once how the socket ended.
 */

/**
 * What came in over a socket, or over HTTP (`public/events.ts`, through `fleet/http-inbox.ts`).
 * `ack` must be called once: over Socket Mode it is the envelope's ack, over HTTP the response
 * (an ack with an answer rejects when the response already went out empty); a no-op on RTM.
 */
export type InboundEnvelope =
  | {
      readonly kind: 'event';
      readonly teamId: string | undefined;
      readonly eventId: string | undefined;
      readonly event: unknown;
      readonly retryAttempt: number;
      readonly ack: () => Promise<void>;
    }
  | {
      readonly kind: 'slash_command';
      readonly teamId: string | undefined;
      readonly payload: Readonly<Record<string, unknown>>;
      /** Acks, optionally with a response payload (shown to the caller). */
      readonly ack: (response?: Readonly<Record<string, unknown>>) => Promise<void>;
    }
  | {
      /**
       * Slack interactivity (`block_actions`, `view_submission`, `view_closed`, …):
       * `payload` as Slack sent it. `ack` must be called once, within 3 s; for a
       * `view_submission` its response (`{response_action: 'errors', errors: {block_id: message}}`,
       * `update`, `push` or `clear`) rides in the ack, and an empty ack closes the form.
       * Over Socket Mode the ack is the envelope's ack; over HTTP it is the response body.
       */
      readonly kind: 'interactive';
      readonly teamId: string | undefined;
      readonly payload: Readonly<Record<string, unknown>>;
      readonly ack: (response?: Readonly<Record<string, unknown>>) => Promise<void>;
    }
  | {
      readonly kind: 'other';
      readonly type: string;
      readonly teamId: string | undefined;
      readonly ack: () => Promise<void>;
    };

/** Why a socket ended. */
export type CloseReason =
  | 'disconnect_warning' | 'disconnect_refresh_requested' | 'disconnect_too_many_websockets'
  | 'disconnect_link_disabled' | 'disconnect_other' | 'goodbye' | 'pong_timeout' | 'socket_lost' | 'closed';

export interface TransportClosed {
  readonly reason: CloseReason;
}

export interface Transport {
  /** Opens the socket; resolves on Slack's `hello`. Rejects with the Slack client's error (classify it). */
  open(signal: AbortSignal): Promise<void>;
  /** Settles once, when the socket has ended for any reason; never rejects. */
  readonly closed: Promise<TransportClosed>;
  /** Closes the socket (bounded in time) and removes every listener. Idempotent. */
  close(): Promise<void>;
}

export type EnvelopeHandler = (envelope: InboundEnvelope) => void;

/** Options every transport takes. */
export interface TransportOptions {
  readonly slackApiUrl: string;
  readonly onEnvelope: EnvelopeHandler;
  /** How long without a pong before the socket counts as dead. */
  readonly pingTimeoutMs: number;
}

/** A once-settling "closed" promise with its settle function. */
export function closedSignal(): { promise: Promise<TransportClosed>; settle: (reason: CloseReason) => void } {
  let settle!: (reason: CloseReason) => void;
  let isSettled = false;
  const promise = new Promise<TransportClosed>((resolve) => {
    settle = (reason) => {
      if (isSettled) return;
      isSettled = true;
      resolve({ reason });
    };
  });
  return { promise, settle };
}

const DISCONNECT_REASONS: Readonly<Record<string, CloseReason>> = {
  warning: 'disconnect_warning',
  refresh_requested: 'disconnect_refresh_requested',
  too_many_websockets: 'disconnect_too_many_websockets',
  link_disabled: 'disconnect_link_disabled',
};

/** Maps the `reason` of Slack's `disconnect` message to a close reason. */
export function disconnectReason(reason: unknown): CloseReason {
  return (typeof reason === 'string' && DISCONNECT_REASONS[reason]) || 'disconnect_other';
}
