import type { WebSocket } from 'ws';
import type { SocketHub, LiveSocket } from './sockets.js';
import { slackId, type EmulatorState } from './state.js';
import type { AckRecord, EnvelopeType, PostedMessage } from './types.js';

/** Slack allows this many Socket Mode connections per app. */
export const MAX_SOCKETS_PER_APP = 10;

/** One envelope to send over Socket Mode. */
export interface Envelope {
  readonly envelopeId: string;
  readonly type: EnvelopeType;
  readonly teamId: string;
  readonly payload: Record<string, unknown>;
  readonly eventId?: string;
  readonly retryAttempt?: number;
  readonly retryReason?: string;
  /** For an app installed into the team by OAuth: that app (default: the team's own app). */
  readonly appId?: string;
}

/** What the Socket Mode server tells the emulator about. */
export interface SocketModeHooks {
  /** A socket of `appId` said hello: deliver what was queued for its teams. */
  onReady(appId: string): void;
  onAck(record: AckRecord): void;
  onPosted(message: Omit<PostedMessage, 'at'>): void;
  /** An events_api envelope stayed unacked for `redeliverUnackedAfterMs`. */
  onUnacked(envelope: Envelope): void;
}

function debugInfo(socket: LiveSocket): Record<string, unknown> {
  return { host: `applink-emulator-${socket.socketId.slice(1, 4).toLowerCase()}`, build_number: 1, approximate_connection_time: 18060 };
}

/**
 * The Socket Mode side: hello, envelopes, acks, the 10-sockets-per-app rule, optional redelivery.
 *
 * Over the limit, the NEW socket gets `{type:'disconnect', reason:'too_many_websockets'}` instead
 * of `hello` and is closed shortly after; the 10 older ones are untouched. (Reports of the real
 * platform show the newcomer receiving this message; `@slack/socket-mode` then reconnects.)
 */
export class SocketModeServer {
  readonly #acks = new Map<string, AckRecord>();
  readonly #ackPayloadFor = new Map<string, { teamId: string; channel: string; user: string }>();
  readonly #redeliverTimers = new Map<string, NodeJS.Timeout>();
  #roundRobin = 0;

  constructor(
    private readonly state: EmulatorState,
    private readonly hub: SocketHub,
    private readonly hooks: SocketModeHooks,
    private readonly options: { redeliverUnackedAfterMs: number | null; disconnectCloseDelayMs: number },
  ) {}

  /** Takes over an upgraded socket opened with a ticket of `appId`. */
  accept(ws: WebSocket, appId: string, token: string): void {
    const socket = this.hub.add(ws, { kind: 'socket-mode', appId, token });
    ws.on('message', (data, isBinary) => {
      if (!isBinary && !socket.isSilenced) this.#onMessage(data.toString());
    });
    const liveCount = this.hub.live({ appId, kind: 'socket-mode' }).length;
    if (liveCount >= MAX_SOCKETS_PER_APP) {
      this.hub.send(socket, { type: 'disconnect', reason: 'too_many_websockets', debug_info: debugInfo(socket) });
      this.hub.closeLater(socket, this.options.disconnectCloseDelayMs);
      return;
    }
    socket.isLive = true;
    this.hub.send(socket, {
      type: 'hello', num_connections: liveCount + 1, debug_info: debugInfo(socket),
      connection_info: { app_id: appId },
    });
    this.hooks.onReady(appId);
  }

  /** Sends `envelope` to one reachable socket of the team's app; false when there is none. */
  deliver(envelope: Envelope): boolean {
    const appId = envelope.appId ?? this.state.team(envelope.teamId).appId;
    const sockets = this.hub.reachable({ appId, kind: 'socket-mode' });
    if (sockets.length === 0) return false;
    const socket = sockets[this.#roundRobin++ % sockets.length] as LiveSocket;
    const record: AckRecord = {
      envelopeId: envelope.envelopeId, type: envelope.type, teamId: envelope.teamId,
      sentAt: Date.now(), ackedAt: null, ...(envelope.eventId === undefined ? {} : { eventId: envelope.eventId }),
    };
    this.#acks.set(envelope.envelopeId, record);
    this.hub.send(socket, {
      envelope_id: envelope.envelopeId, type: envelope.type, payload: envelope.payload,
      accepts_response_payload: envelope.type !== 'events_api',
      ...(envelope.type === 'events_api'
        ? { retry_attempt: envelope.retryAttempt ?? 0, retry_reason: envelope.retryReason ?? '' }
        : {}),
    });
    this.#scheduleRedelivery(envelope);
    return true;
  }

  /** Remembers where an ack payload of a slash command should be recorded as posted. */
  expectAckPayload(envelopeId: string, target: { teamId: string; channel: string; user: string }): void {
    this.#ackPayloadFor.set(envelopeId, target);
  }

  /** Every envelope sent so far, in order. */
  acks(): AckRecord[] {
    return [...this.#acks.values()];
  }

  /** Sends Slack's `disconnect` message and closes the socket after the configured delay. */
  disconnect(socket: LiveSocket, reason: string): void {
    this.hub.send(socket, { type: 'disconnect', reason, debug_info: debugInfo(socket) });
    this.hub.closeLater(socket, this.options.disconnectCloseDelayMs);
  }

  /** Cancels redelivery timers. */
  stop(): void {
    for (const timer of this.#redeliverTimers.values()) clearTimeout(timer);
    this.#redeliverTimers.clear();
  }

  #scheduleRedelivery(envelope: Envelope): void {
    const afterMs = this.options.redeliverUnackedAfterMs;
    if (afterMs === null || envelope.type !== 'events_api') return;
    const timer = setTimeout(() => {
      this.#redeliverTimers.delete(envelope.envelopeId);
      if (this.#acks.get(envelope.envelopeId)?.ackedAt === null) this.hooks.onUnacked(envelope);
    }, afterMs);
    this.#redeliverTimers.set(envelope.envelopeId, timer);
  }

  #onMessage(text: string): void {
    let message: { envelope_id?: unknown; payload?: unknown };
    try {
      message = JSON.parse(text) as typeof message;
    } catch {
      return;
    }
    if (typeof message.envelope_id !== 'string') return;
    const record = this.#acks.get(message.envelope_id);
    if (record === undefined || record.ackedAt !== null) return;
    record.ackedAt = Date.now();
    const payload = message.payload;
    const hasPayload = typeof payload === 'object' && payload !== null && Object.keys(payload).length > 0;
    if (hasPayload) record.payload = payload;
    const timer = this.#redeliverTimers.get(record.envelopeId);
    if (timer !== undefined) clearTimeout(timer);
    this.#redeliverTimers.delete(record.envelopeId);
    this.hooks.onAck(record);
    const target = this.#ackPayloadFor.get(record.envelopeId);
    if (hasPayload && target !== undefined) this.#recordAckPayload(payload as Record<string, unknown>, target);
  }

  #recordAckPayload(payload: Record<string, unknown>, target: { teamId: string; channel: string; user: string }): void {
    const responseType = typeof payload['response_type'] === 'string' ? payload['response_type'] : 'ephemeral';
    this.hooks.onPosted({
      method: 'ack_payload', teamId: target.teamId, channel: target.channel, user: target.user,
      text: typeof payload['text'] === 'string' ? payload['text'] : '',
      ...(Array.isArray(payload['blocks']) ? { blocks: payload['blocks'] as unknown[] } : {}),
      ts: this.state.nextTs(), responseType,
    });
  }
}
