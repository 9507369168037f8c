import { aborted, sleep, withTimeout } from '../lib/abort.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { classifySlackError } from '../slack/classify-error.js';
import { slackApiFor, type SlackCaller, type SlackWeb } from '../slack/web-client.js';
import type { BotIdentity, ConnectionSpec, RequestHandler } from '../slack/types.js';
import { backoffDelayMs } from './backoff.js';
import type { ConnectionMember, ConnectionStatus } from './connection.js';
import type { ConnectionPool } from './connection-pool.js';
import { RecentKeys } from './dedupe.js';
import { EventRing, type RecentEvent } from './event-ring.js';
import type { EventLedger } from './event-ledger.js';
import type { FleetEvents } from './fleet-events.js';
import { handleEnvelope, type InboundDeps } from './inbound.js';
import type { Pacer } from './pacer.js';
import type { InboundEnvelope } from './transports/transport.js';
import { publicState, StateCell, type PublicState, type WorkerState } from './worker-state.js';

/** What the fleet needs of a workspace row. */
export interface WorkspaceSpec {
  readonly teamId: string;
  readonly teamName: string;
  readonly connection: ConnectionSpec;
  readonly botToken: string;
}

/** A worker's status as operators see it. Times are ISO strings or null. */
export interface WorkerStatus {
  readonly teamId: string;
  readonly teamName: string;
  readonly transport: ConnectionSpec['transport'];
  readonly state: PublicState;
  readonly connectedSince: string | null;
  readonly lastEventAt: string | null;
  readonly restarts: number;
  readonly lastError: string | null;
  readonly owner: string;
}

export type { RecentEvent } from './event-ring.js';

/** One restart of a workspace's connection: when the connection was lost (ISO 8601) and why. */
export interface RestartRecord { readonly at: string; readonly reason: string }

export interface WorkerDeps {
  readonly web: SlackWeb;
  /** Fleet-wide pacing of connection calls: `auth.test` at start counts as one. */
  readonly pacer: Pacer;
  readonly pool: ConnectionPool;
  readonly handler: RequestHandler;
  readonly ledger: EventLedger;
  /** Called once the token is confirmed dead: remove the workspace. */
  readonly onDead: (teamId: string, reason: string) => Promise<void>;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly random?: () => number;
}

interface AuthTest { team_id?: string; team?: string; user_id?: string; bot_id?: string; app_id?: string }
const DRAIN_EVENTS = new Set(['tokens_revoked', 'app_uninstalled']);

/** `app_uninstalled` always concerns the bot; `tokens_revoked` only when its `tokens.bot` names the bot's user (not just user tokens). */
function namesThisBot(envelope: InboundEnvelope, botUserId: string): boolean {
  const event = envelope.kind === 'event' ? envelope.event as { type?: unknown; tokens?: { bot?: unknown } } | null : null;
  if (event?.type !== 'tokens_revoked') return true;
  const bots = event.tokens?.bot;
  return Array.isArray(bots) && bots.includes(botUserId);
}

/**
 * Owns one workspace's runtime: its identity (`auth.test`, retried with
 * backoff), its own WebClient (a 429 never pauses another team), its place on
 * a connection, its state, counters and in-flight handlers.
 * `start()` is memoized and resolves when the worker ends; `stop()` is idempotent.
 */
export class Worker implements ConnectionMember {
  readonly teamId: string;
  readonly #state: StateCell;
  readonly #stopper = new AbortController();
  /** Aborted to leave the connection at once (fencing) while in-flight handlers finish. */
  readonly #leaver = new AbortController();
  readonly #slack: SlackCaller;
  readonly #recent = new RecentKeys();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #ring = new EventRing(20);
  /** The last 20 restarts: the reason is kept in the ring's `kind` slot. */
  readonly #restartRing = new EventRing(20);
  readonly #logger: Logger;
  #done: Promise<void> | undefined;
  #identity: BotIdentity | undefined;
  #inbound: InboundDeps | undefined;
  #connectedSince: Date | null = null;
  /** Epoch ms of the last inbound event, 0 before any (a number field, updated in place). */
  #lastEventAt = 0;
  #restarts = 0;
  #lastError: string | null = null;
  #isDraining = false;
  #hasConnected = false;
  /** HTTP workers: aborted by `restart()` to check the token again. */
  #recheck = new AbortController();

  constructor(readonly spec: WorkspaceSpec, private readonly deps: WorkerDeps) {
    this.teamId = spec.teamId;
    this.#logger = deps.logger.child({ team_id: spec.teamId });
    this.#slack = deps.web.caller(spec.botToken);
    this.#state = new StateCell((from, to) => {
      this.#logger.info({ from, to }, 'worker state');
      deps.events.emit('worker:state', this.teamId, from, to);
    });
  }

  get state(): WorkerState { return this.#state.value; }
  get identity(): BotIdentity | undefined { return this.#identity; }
  /** The last 20 inbound events, oldest first. */
  get recentEvents(): readonly RecentEvent[] {
    return this.#ring.list();
  }

  /** The last 20 restarts (connection lost, then reopened or being reopened), oldest first. */
  get restartHistory(): readonly RestartRecord[] {
    return this.#restartRing.list().map((entry) => ({ at: entry.at, reason: entry.kind }));
  }

  /** Runs the worker; resolves when it is stopped or removed. Never rejects. */
  start(): Promise<void> {
    return (this.#done ??= this.#run(AbortSignal.any([this.#stopper.signal, this.#leaver.signal])).catch((error: unknown) => {
      this.#logger.error({ err: error }, 'worker failed');
    }));
  }

  /** Stops taking events, lets in-flight handlers finish (up to `graceMs`), leaves the connection. */
  async stop(reason: string, graceMs = 10_000): Promise<void> {
    this.#isDraining = true;
    if (this.#inFlight.size > 0) await withTimeout(Promise.allSettled([...this.#inFlight]), graceMs, undefined);
    this.#stopper.abort(reason);
    await this.#done;
  }

  /**
   * Fencing: stops taking events now (in this call; what arrives is left
   * unacked for Slack to redeliver elsewhere), leaves the connection (its
   * socket closes if no other workspace rides on it), and lets in-flight
   * handlers finish their replies (up to `graceMs`): those events were acked
   * here and will not be redelivered, so only this worker can answer them.
   */
  async fence(graceMs = 10_000): Promise<void> {
    this.#isDraining = true;
    this.#leaver.abort('fenced');
    if (this.#inFlight.size > 0) await withTimeout(Promise.allSettled([...this.#inFlight]), graceMs, undefined);
    this.#stopper.abort('fenced');
    await this.#done;
  }

  /** Drops the socket and opens a fresh one now (HTTP, with no socket: checks the token again with `auth.test`). */
  restart(): void {
    if (this.spec.connection.transport === 'http') this.#recheck.abort('operator');
    else this.deps.pool.reconnect(this.spec);
  }

  status(): WorkerStatus {
    return {
      teamId: this.teamId,
      teamName: this.#identity?.teamName ?? this.spec.teamName,
      transport: this.spec.connection.transport,
      state: publicState(this.#state.value),
      connectedSince: this.#connectedSince?.toISOString() ?? null,
      lastEventAt: this.#lastEventAt === 0 ? null : new Date(this.#lastEventAt).toISOString(),
      restarts: this.#restarts,
      lastError: this.#lastError,
      owner: this.deps.instanceId,
    };
  }

  onStatus(status: ConnectionStatus): void {
    const state = this.#state.value;
    if (state === 'stopping' || state === 'stopped' || state === 'removed') return;
    if (status.state === 'dead') {
      void this.#remove(status.token === 'app' ? `${status.slackError} (app token)` : status.slackError);
      return;
    }
    if (status.state === 'connected') {
      if (this.#hasConnected) this.#restarts += 1;
      this.#hasConnected = true;
      this.#connectedSince = new Date();
      this.#state.move('connected');
      return;
    }
    if (state === 'connected') {
      this.#connectedSince = null;
      this.#restartRing.record(Date.now(), status.state === 'backoff' ? status.error : status.reason ?? 'unknown', '');
    }
    if (status.state === 'backoff') this.#lastError = status.error;
    this.#state.move(status.state);
  }

  /** Takes one envelope; false (and not acked) when this worker is starting or stopping. */
  onEnvelope(envelope: InboundEnvelope): boolean {
    if (this.#isDraining || !this.#identity) {
      // Not acked: Slack redelivers it to a live socket (another replica, or us after restart).
      this.deps.events.emit('event:dropped', this.teamId, 'draining');
      return false;
    }
    const receivedAt = performance.now();
    // Slash commands and interactions ack with their answer (inbound.ts); everything else at once.
    if (envelope.kind !== 'slash_command' && envelope.kind !== 'interactive') void envelope.ack().then(() => this.deps.events.emit('event:acked', this.teamId, performance.now() - receivedAt));
    this.#lastEventAt = Date.now();
    const type = envelope.kind === 'event' ? String((envelope.event as { type?: unknown } | null)?.type ?? 'unknown') : envelope.kind;
    this.#ring.record(this.#lastEventAt, type, envelope.kind === 'event' && envelope.retryAttempt > 0 ? `retry ${envelope.retryAttempt}` : '');
    this.deps.events.emit('event:received', this.teamId, type);
    if (DRAIN_EVENTS.has(type)) {
      if (namesThisBot(envelope, this.#identity.botUserId)) this.#track(this.#confirmAndRemove(type));
      return true;
    }
    this.#inbound ??= {
      teamId: this.teamId, identity: this.#identity, caller: this.#slack, slack: slackApiFor(this.#slack),
      handler: this.deps.handler, recent: this.#recent, ledger: this.deps.ledger, events: this.deps.events,
      logger: this.#logger, signal: this.#stopper.signal,
      onTokenDead: (slackError) => void this.#confirmAndRemove(slackError),
    };
    this.#track(handleEnvelope(envelope, this.#inbound));
    return true;
  }

  async #run(signal: AbortSignal): Promise<void> {
    this.#state.move('connecting');
    const identity = await this.#authenticate(signal);
    if (identity) {
      this.#identity = identity;
      if (this.spec.connection.transport === 'http') {
        await this.#serveHttp(signal);
      } else {
        this.deps.pool.attach(this.spec, this);
        await aborted(signal); // resolves at once when the stop came while auth.test was on its way
        await this.deps.pool.detach(this.spec, this.teamId);
      }
    }
    if (this.#state.value !== 'removed') {
      this.#state.move('stopping');
      this.#state.move('stopped');
    }
  }

  /**
   * HTTP events come to the public listener, which hands them to `onEnvelope`:
   * no socket to open, so the worker is connected once its token answers
   * `auth.test`, and a restart checks the token again (counted as a restart).
   */
  async #serveHttp(signal: AbortSignal): Promise<void> {
    this.onStatus({ state: 'connected' });
    while (!signal.aborted) {
      this.#recheck = new AbortController();
      await Promise.race([aborted(signal), aborted(this.#recheck.signal)]);
      if (signal.aborted) return;
      this.onStatus({ state: 'connecting', reason: 'operator' });
      const identity = await this.#authenticate(signal);
      if (identity === undefined) return;
      this.#identity = identity;
      this.onStatus({ state: 'connected' });
    }
  }

  /** `auth.test` until it answers (backoff on transient failures); undefined if stopped or removed. */
  async #authenticate(signal: AbortSignal): Promise<BotIdentity | undefined> {
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        await this.deps.pacer.take(signal);
        const result = await this.#slack.call<AuthTest>('auth.test');
        return {
          teamId: result.team_id ?? this.teamId, teamName: result.team ?? this.spec.teamName,
          botUserId: result.user_id ?? '', botId: result.bot_id, appId: result.app_id,
        };
      } catch (error) {
        const failure = classifySlackError(error);
        this.#lastError = failure.slackError;
        if (failure.kind === 'dead' && (await this.#isTokenDead())) {
          await this.#remove(failure.slackError);
          return undefined;
        }
        const delayMs = Math.max(backoffDelayMs(attempt, this.deps.random), failure.kind === 'transient' ? failure.retryAfterMs ?? 0 : 0);
        this.#logger.warn({ slackError: failure.slackError, delayMs, detail: errorMessage(error) }, 'auth.test failed; retrying');
        this.#state.move('backoff');
        await sleep(delayMs, signal).catch(() => undefined);
        if (!signal.aborted) this.#state.move('connecting');
      }
    }
    return undefined;
  }

  /** Confirms with one more `auth.test` that the bot token is dead. */
  async #isTokenDead(): Promise<boolean> {
    try {
      await this.#slack.call('auth.test');
      return false;
    } catch (error) {
      return classifySlackError(error).kind === 'dead';
    }
  }

  /** Removes the workspace if one more `auth.test` confirms the token is dead (`why`: the answer or event that said so). */
  async #confirmAndRemove(why: string): Promise<void> {
    if (this.#isDraining) return;
    if (await this.#isTokenDead()) await this.#remove(why);
    else this.#logger.warn({ why }, 'told the token is dead, but auth.test still works: keeping the workspace');
  }

  async #remove(reason: string): Promise<void> {
    const state = this.#state.value;
    if (state === 'removed' || state === 'stopping' || state === 'stopped') return;
    this.#lastError = reason;
    this.#state.move('removed');
    this.#isDraining = true;
    this.#logger.warn({ reason }, 'token is dead: removing the workspace');
    this.#stopper.abort('removed');
    try {
      await this.deps.onDead(this.teamId, reason);
    } catch (error) {
      this.#logger.error({ err: error }, 'could not remove the workspace');
    }
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.#logger.error({ err: error }, 'inbound handling failed'))
      .finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }
}
