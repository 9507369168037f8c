import { createHmac, randomBytes } from 'node:crypto';
import type { Envelope } from './socket-mode.js';
import type { EmulatorState } from './state.js';
import type { AckRecord, PostedMessage } from './types.js';

/** Where an app's HTTP traffic goes: its Request URL (events, slash commands and interactivity alike) and signing secret. */
export interface RequestUrlConfig {
  readonly url: string;
  readonly signingSecret: string;
}

/** Why Slack sent an event again (`X-Slack-Retry-Reason`). */
export type HttpRetryReason = 'http_timeout' | 'http_error' | 'connection_failed';

/** What the HTTP side tells the emulator about. */
export interface HttpDeliveryHooks {
  onAck(record: AckRecord): void;
  onPosted(message: Omit<PostedMessage, 'at'>): void;
  /** An events_api delivery failed (`reason`): redeliver it after `delayMs` if retries are left. */
  onFailed(envelope: Envelope, reason: HttpRetryReason, delayMs: number): void;
}

export interface HttpDeliveryOptions {
  /** How long Slack waits for an answer (3000 ms). */
  readonly timeoutMs: number;
  /** Multiplies Slack's retry delays (about 1 s, 1 min, 5 min); tests make them short. */
  readonly retryDelayScale: number;
}

/** Slack retries a failed event nearly at once, after a minute, then after five (3 retries). */
const RETRY_DELAYS_MS = [1_000, 60_000, 300_000] as const;
/** How long a late answer is still read (and ignored) before the request is dropped. */
const GIVE_UP_MS = 30_000;

/** The answer of a `url_verification` call. */
export interface UrlVerification {
  readonly isVerified: boolean;
  readonly status: number;
  readonly challenge: string;
  readonly body: string;
}

/**
 * The Events API over HTTP: an app with a Request URL gets its events
 * (`event_callback` JSON), slash commands (a form) and interactivity
 * (`payload=` form) POSTed there instead of over Socket Mode, signed as
 * Slack signs them (`X-Slack-Signature: v0=` hex HMAC-SHA256 of
 * `v0:<ts>:<body>` with the signing secret, `X-Slack-Request-Timestamp`).
 * A 2xx answer within `timeoutMs` is the ack (its body recorded like a
 * Socket Mode ack payload); no answer in time (`http_timeout`) or a non-2xx
 * (`http_error`, unless the app says `X-Slack-No-Retry: 1`) has an event
 * redelivered with `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`, up to 3
 * times. Slash commands and interactivity are never retried.
 */
export class HttpDelivery {
  readonly #configs = new Map<string, RequestUrlConfig>();
  readonly #acks = new Map<string, AckRecord>();
  readonly #ackPayloadFor = new Map<string, { teamId: string; channel: string; user: string }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #controllers = new Set<AbortController>();

  constructor(
    private readonly state: EmulatorState,
    private readonly hooks: HttpDeliveryHooks,
    private readonly options: HttpDeliveryOptions,
  ) {}

  /** Sets (or with null removes) an app's Request URL. */
  setRequestUrl(appId: string, config: RequestUrlConfig | null): void {
    if (!this.state.apps.has(appId)) throw new Error(`emulator: unknown app ${appId}`);
    if (config === null) this.#configs.delete(appId);
    else this.#configs.set(appId, { url: config.url, signingSecret: config.signingSecret });
  }

  /** Whether the team's app takes its traffic over HTTP. */
  serves(teamId: string): boolean {
    const appId = this.state.teams.get(teamId)?.appId;
    return appId !== undefined && this.#configs.has(appId);
  }

  /** Retry delays scaled for this emulator, by retry number (1..3). */
  retryDelayMs(retryNum: number): number {
    return Math.round((RETRY_DELAYS_MS[retryNum - 1] ?? RETRY_DELAYS_MS[2]) * this.options.retryDelayScale);
  }

  /** Remembers where a slash command's answer in the response body is recorded as posted. */
  expectAckPayload(envelopeId: string, target: { teamId: string; channel: string; user: string }): void {
    this.#ackPayloadFor.set(envelopeId, target);
  }

  /** POSTs `envelope` to the Request URL of its team's app (asynchronously); false when that app has none. */
  deliver(envelope: Envelope): boolean {
    const config = this.#configs.get(this.state.team(envelope.teamId).appId);
    if (config === undefined) return false;
    const record: AckRecord = {
      envelopeId: envelope.envelopeId, type: envelope.type, teamId: envelope.teamId, sentAt: Date.now(), ackedAt: null,
      transport: 'http', ...(envelope.eventId === undefined ? {} : { eventId: envelope.eventId }),
      ...(envelope.retryAttempt === undefined ? {} : { retryAttempt: envelope.retryAttempt }),
    };
    this.#acks.set(envelope.envelopeId, record);
    const { body, contentType } = encode(envelope);
    const headers: Record<string, string> = {
      'content-type': contentType, 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signatureHeaders(config.signingSecret, body),
      ...(envelope.retryAttempt ? { 'x-slack-retry-num': String(envelope.retryAttempt), 'x-slack-retry-reason': envelope.retryReason ?? 'http_timeout' } : {}),
    };
    void this.#post(config.url, headers, body, envelope, record);
    return true;
  }

  /** Sends `url_verification` to the app's Request URL; verified when the answer carries the challenge. */
  async verifyRequestUrl(appId: string): Promise<UrlVerification> {
    const config = this.#configs.get(appId);
    if (config === undefined) throw new Error(`emulator: app ${appId} has no request URL`);
    const challenge = randomChallenge();
    const body = JSON.stringify({ token: 'emulator-verification-token', challenge, type: 'url_verification' });
    const response = await fetch(config.url, {
      method: 'POST', body, signal: AbortSignal.timeout(this.options.timeoutMs),
      headers: { 'content-type': 'application/json', ...signatureHeaders(config.signingSecret, body) },
    });
    const text = await response.text();
    // Slack takes the challenge as plain text, as a form, or as JSON `{challenge}`.
    let answered = text;
    try {
      const parsed = JSON.parse(text) as { challenge?: unknown };
      if (typeof parsed.challenge === 'string') answered = parsed.challenge;
    } catch { /* plain text */ }
    return { isVerified: response.ok && answered === challenge, status: response.status, challenge, body: text };
  }

  /** Every HTTP delivery so far, in order. */
  acks(): AckRecord[] {
    return [...this.#acks.values()];
  }

  /** Cancels retries and requests under way. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const controller of this.#controllers) controller.abort();
    this.#controllers.clear();
  }

  async #post(url: string, headers: Record<string, string>, body: string, envelope: Envelope, record: AckRecord): Promise<void> {
    const controller = new AbortController();
    this.#controllers.add(controller);
    let isSettled = false;
    const fail = (reason: HttpRetryReason, isRetried = true): void => {
      if (isSettled) return;
      isSettled = true;
      record.failure = reason;
      if (isRetried) this.#retry(envelope, reason);
    };
    const timeout = this.#later(() => fail('http_timeout'), this.options.timeoutMs);
    const giveUp = setTimeout(() => controller.abort(), GIVE_UP_MS);
    try {
      const response = await fetch(url, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await response.text();
      if (isSettled) return; // answered too late: Slack has moved on
      record.status = response.status;
      if (response.status < 200 || response.status > 299) {
        fail('http_error', response.headers.get('x-slack-no-retry') !== '1');
        return;
      }
      isSettled = true;
      this.#acked(record, text);
    } catch {
      fail(controller.signal.aborted ? 'http_timeout' : 'connection_failed');
    } finally {
      clearTimeout(timeout);
      this.#timers.delete(timeout);
      clearTimeout(giveUp);
      this.#controllers.delete(controller);
    }
  }

  #acked(record: AckRecord, text: string): void {
    record.ackedAt = Date.now();
    const payload = parseAnswer(text, record.type);
    if (payload !== undefined) record.payload = payload;
    this.hooks.onAck(record);
    const target = this.#ackPayloadFor.get(record.envelopeId);
    if (payload === undefined || target === undefined) return;
    this.hooks.onPosted({
      method: 'ack_payload', teamId: target.teamId, channel: target.channel, user: target.user,
      text: typeof payload['text'] === 'string' ? payload['text'] : '',
      ...(Array.isArray(payload['blocks']) ? { blocks: payload['blocks'] as unknown[] } : {}),
      ts: this.state.nextTs(), responseType: typeof payload['response_type'] === 'string' ? payload['response_type'] : 'ephemeral',
    });
  }

  #retry(envelope: Envelope, reason: HttpRetryReason): void {
    if (envelope.type !== 'events_api') return; // a command or a click that failed is shown to the user as an error, not retried
    const next = (envelope.retryAttempt ?? 0) + 1;
    if (next > RETRY_DELAYS_MS.length) return;
    this.hooks.onFailed(envelope, reason, this.retryDelayMs(next));
  }

  /** A tracked timer (cleared by stop). */
  #later(run: () => void, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, delayMs);
    this.#timers.add(timer);
    return timer;
  }

  /** Runs `run` after `delayMs` unless stopped first. */
  schedule(run: () => void, delayMs: number): void {
    this.#later(run, delayMs);
  }
}

/** `X-Slack-Request-Timestamp` and `X-Slack-Signature` for `body`, signed now. */
export function signatureHeaders(signingSecret: string, body: string, nowSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', signingSecret).update(`v0:${nowSec}:${body}`).digest('hex');
  return { 'x-slack-request-timestamp': String(nowSec), 'x-slack-signature': `v0=${signature}` };
}

function encode(envelope: Envelope): { body: string; contentType: string } {
  if (envelope.type === 'events_api') return { body: JSON.stringify(envelope.payload), contentType: 'application/json' };
  const form = envelope.type === 'interactive'
    ? new URLSearchParams({ payload: JSON.stringify(envelope.payload) })
    : new URLSearchParams(Object.entries(envelope.payload).map(([key, value]): [string, string] => [key, String(value ?? '')]));
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

/** The answer in a response body: JSON, or for a slash command plain text (shown as an ephemeral message). */
function parseAnswer(text: string, type: Envelope['type']): Record<string, unknown> | undefined {
  if (text.trim() === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && Object.keys(parsed).length > 0) return parsed as Record<string, unknown>;
    return undefined;
  } catch {
    return type === 'slash_commands' ? { text } : undefined;
  }
}

function randomChallenge(): string {
  return randomBytes(24).toString('base64url');
}
