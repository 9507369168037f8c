import { aborted, sleep } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { classifySlackError } from '../slack/classify-error.js';
import { backoffDelayMs, HEALTHY_AFTER_MS } from './backoff.js';
import type { FleetEvents } from './fleet-events.js';
import type { Pacer } from './pacer.js';
import type { CloseReason, EnvelopeHandler, InboundEnvelope, Transport } from './transports/transport.js';

/** What a connection tells the workers riding on it. */
export type ConnectionStatus =
  /** `reason`: why the previous socket ended, when this is a prompt reconnect (no backoff). */
  | { readonly state: 'connecting'; readonly reason?: string }
  | { readonly state: 'connected' }
  | { readonly state: 'backoff'; readonly error: string; readonly delayMs: number }
  | { readonly state: 'dead'; readonly slackError: string; readonly token: 'app' | 'bot' };

/** A worker as a connection sees it. */
export interface ConnectionMember {
  readonly teamId: string;
  onStatus(status: ConnectionStatus): void;
  /** Takes an envelope; false when it was left unacked (the member is starting or stopping). */
  onEnvelope(envelope: InboundEnvelope): boolean | void;
}

export interface ConnectionDeps {
  readonly createTransport: (onEnvelope: EnvelopeHandler) => Transport;
  /** Asks Slack once more whether the token really is dead. */
  readonly confirmDead: () => Promise<boolean>;
  /** Which token the socket is opened with: an app-level token (Socket Mode) or the bot token (RTM). */
  readonly token: 'app' | 'bot';
  readonly pacer: Pacer;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  readonly random?: () => number;
}

/** Reasons after which we reconnect at once (paced) instead of backing off. */
const PROMPT_RECONNECT: ReadonlySet<CloseReason | 'operator'> = new Set([
  'operator', 'disconnect_warning', 'disconnect_refresh_requested', 'goodbye',
]);

/**
 * One supervised socket (a Socket Mode app token, or an RTM bot token) and
 * the workspaces riding on it. Its loop: pace → open → wait until the socket
 * ends → back off (full jitter; reset after a healthy spell) → open again,
 * until stopped or its token is confirmed dead. Events are routed to members
 * by `team_id`; one member takes everything on an RTM socket.
 */
export class Connection {
  readonly #members = new Map<string, ConnectionMember>();
  readonly #stopper = new AbortController();
  #kick = new AbortController();
  #done: Promise<void> | undefined;
  #status: ConnectionStatus = { state: 'connecting' };

  constructor(private readonly deps: ConnectionDeps) {}

  get size(): number { return this.#members.size; }

  attach(member: ConnectionMember): void {
    this.#members.set(member.teamId, member);
    member.onStatus(this.#status);
    this.#done ??= this.#run(this.#stopper.signal).catch((error: unknown) => {
      this.deps.logger.error({ err: error }, 'connection loop failed');
    });
  }

  /** Removes a member; resolves once the socket is closed if it was the last one. */
  async detach(teamId: string): Promise<void> {
    // The last one out: stop routing first, so what arrives while the socket closes is left for Slack to redeliver.
    if (this.#members.size === 1 && this.#members.has(teamId)) this.#stopper.abort('stop');
    this.#members.delete(teamId);
    if (this.#members.size === 0) await this.stop();
  }

  /** Drops the socket and opens a fresh one (counted as a restart). */
  reconnect(): void {
    this.#kick.abort('operator');
  }

  async stop(): Promise<void> {
    this.#stopper.abort('stop');
    await this.#done;
  }

  #setStatus(status: ConnectionStatus): void {
    this.#status = status;
    for (const member of this.#members.values()) member.onStatus(status);
  }

  #route(envelope: InboundEnvelope): void {
    if (this.#stopper.signal.aborted) {
      // Closing (its workspaces stopped, handed over or fenced): unacked, Slack redelivers it to a live socket.
      this.deps.events.emit('event:dropped', envelope.teamId ?? 'unknown', 'draining');
      return;
    }
    const member = this.#members.size === 1 && envelope.teamId === undefined
      ? this.#members.values().next().value
      : envelope.teamId === undefined ? undefined : this.#members.get(envelope.teamId);
    if (member) {
      member.onEnvelope(envelope);
      return;
    }
    // Not ours to answer (another replica's team, or one just removed): ack so Slack does not retry here forever.
    void envelope.ack();
    this.deps.events.emit('event:dropped', envelope.teamId ?? 'unknown', 'unknown_team');
  }

  async #run(signal: AbortSignal): Promise<void> {
    let attempt = 0;
    let endedBy: string | undefined;
    while (!signal.aborted) {
      this.#setStatus(endedBy === undefined ? { state: 'connecting' } : { state: 'connecting', reason: endedBy });
      endedBy = undefined;
      const outcome = await this.#connectOnce(signal);
      if (signal.aborted || outcome.kind === 'dead') return;
      if (outcome.kind === 'failed') {
        const delayMs = Math.max(backoffDelayMs(attempt++, this.deps.random), outcome.retryAfterMs ?? 0);
        this.#setStatus({ state: 'backoff', error: outcome.error, delayMs });
        this.deps.events.emit('connection:reconnect', 'open_failed');
        await sleep(delayMs, signal).catch(() => undefined);
        continue;
      }
      if (outcome.upMs >= HEALTHY_AFTER_MS) attempt = 0;
      this.deps.events.emit('connection:reconnect', outcome.reason);
      if (PROMPT_RECONNECT.has(outcome.reason)) {
        endedBy = outcome.reason;
        continue;
      }
      const delayMs = backoffDelayMs(attempt++, this.deps.random);
      this.#setStatus({ state: 'backoff', error: outcome.reason, delayMs });
      await sleep(delayMs, signal).catch(() => undefined);
    }
  }

  async #connectOnce(signal: AbortSignal): Promise<
    | { kind: 'ended'; reason: CloseReason | 'operator'; upMs: number }
    | { kind: 'failed'; error: string; retryAfterMs?: number }
    | { kind: 'dead' }
  > {
    try {
      await this.deps.pacer.take(signal);
    } catch {
      return { kind: 'failed', error: 'stopped' };
    }
    const transport = this.deps.createTransport((envelope) => this.#route(envelope));
    try {
      await transport.open(signal);
    } catch (error) {
      await transport.close();
      if (signal.aborted) return { kind: 'failed', error: 'stopped' };
      const failure = classifySlackError(error);
      this.deps.logger.warn({ slackError: failure.slackError, detail: errorMessage(error) }, 'connection open failed');
      if (failure.kind === 'dead' && (await this.#confirmDead())) {
        this.#setStatus({ state: 'dead', slackError: failure.slackError, token: this.deps.token });
        return { kind: 'dead' };
      }
      return { kind: 'failed', error: failure.slackError, ...(failure.kind === 'transient' && failure.retryAfterMs ? { retryAfterMs: failure.retryAfterMs } : {}) };
    }
    const upSince = Date.now();
    this.#setStatus({ state: 'connected' });
    this.#kick = new AbortController();
    const ended = await Promise.race([
      transport.closed.then((closed) => closed.reason as CloseReason | 'operator'),
      aborted(this.#kick.signal).then(() => 'operator' as const),
      aborted(signal).then(() => 'closed' as const),
    ]);
    await transport.close();
    this.deps.logger.info({ reason: ended }, 'socket ended');
    return { kind: 'ended', reason: ended, upMs: Date.now() - upSince };
  }

  async #confirmDead(): Promise<boolean> {
    try {
      return await this.deps.confirmDead();
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not confirm a dead token; will retry');
      return false;
    }
  }
}
