import { randomBytes } from 'node:crypto';
import type { HttpDelivery, HttpRetryReason } from './http-delivery.js';
import type { RtmServer } from './rtm.js';
import type { Envelope, SocketModeServer } from './socket-mode.js';
import { slackId, type EmulatorState } from './state.js';
import type { EditMessageInput, EmulatedWorkspace, PostedMessage, SlashCommandInput, UserMessageInput } from './types.js';

/** Where a slash command's response_url posts land. */
export interface ResponseTarget {
  readonly teamId: string;
  readonly channel: string;
  readonly user: string;
}

interface StoredEvent {
  readonly teamId: string;
  readonly callback: Record<string, unknown>;
  attempts: number;
}

const VERIFICATION_TOKEN = 'emulator-verification-token';

function envelopeId(): string {
  return `${randomBytes(4).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(2).toString('hex')}-${randomBytes(6).toString('hex')}`;
}

function mentions(text: string, botUserId: string): boolean {
  return text.includes(`<@${botUserId}>`) || text.includes(`<@${botUserId}|`);
}

/**
 * Builds what Slack sends the bot (Events API callbacks, slash commands, interactions) and routes it:
 * an events_api envelope to ONE open Socket Mode socket of the team's app and/or the raw event to
 * the team's RTM sockets. When neither is reachable the item is QUEUED (in order) and delivered as
 * soon as a socket of that app or team says hello; {@link Inbound.pendingCount} shows the queue.
 */
export class Inbound {
  /** Undelivered items per team, in order: a hello retries only its own app's or team's queue. */
  readonly #pending = new Map<string, Array<() => boolean>>();
  readonly #events = new Map<string, StoredEvent>();
  readonly #responseTargets = new Map<string, ResponseTarget>();

  constructor(
    private readonly state: EmulatorState,
    private readonly socketMode: SocketModeServer,
    private readonly rtm: RtmServer,
    private readonly baseUrl: () => string,
    /** A fresh single-use trigger_id for a user (slash commands carry one). */
    private readonly issueTrigger: (teamId: string, userId: string) => string = () => `${Date.now()}.${randomBytes(6).toString('hex')}`,
    /** Apps with a Request URL get their traffic POSTed there instead of over Socket Mode. */
    private readonly http?: HttpDelivery,
  ) {}

  /** A user's `message` event, plus `app_mention` when the text mentions the bot. */
  postUserMessage(teamId: string, input: UserMessageInput): { ts: string; eventIds: string[] } {
    const team = this.state.team(teamId);
    const ts = this.state.nextTs();
    const channelType = input.channelType ?? (input.channel.startsWith('D') ? 'im' : 'channel');
    const common = {
      user: input.user, text: input.text, ts, channel: input.channel, event_ts: ts, team: teamId,
      ...(input.threadTs === undefined ? {} : { thread_ts: input.threadTs }),
      // Slack's app_mention for a bot-posted message carries the poster's bot_id too.
      ...(input.botId === undefined ? {} : { bot_id: input.botId }),
    };
    this.state.storeMessage({ teamId, channel: input.channel, ts, user: input.user, text: input.text });
    const message = {
      type: 'message', ...common, channel_type: channelType,
      ...(input.subtype === undefined ? {} : { subtype: input.subtype }),
    };
    const eventIds = [this.sendEvent(teamId, message).eventId];
    if (mentions(input.text, team.botUserId)) {
      eventIds.push(this.sendEvent(teamId, { type: 'app_mention', ...common }).eventId);
    }
    return { ts, eventIds };
  }

  /** A `message_changed` event for an earlier message (nested `message` and `previous_message`). */
  editUserMessage(teamId: string, input: EditMessageInput): { ts: string; eventId: string } {
    const stored = this.state.findMessage(input.channel, input.ts);
    if (stored === undefined) throw new Error(`emulator: no message ${input.ts} in ${input.channel}`);
    const previous = { type: 'message', user: stored.user, text: stored.text, ts: stored.ts,
      ...(stored.attachments === undefined ? {} : { attachments: stored.attachments }) };
    if (input.text !== undefined) stored.text = input.text;
    if (input.attachments !== undefined) stored.attachments = input.attachments;
    const ts = this.state.nextTs();
    const event = {
      type: 'message', subtype: 'message_changed', hidden: true, channel: input.channel, ts, event_ts: ts,
      channel_type: input.channel.startsWith('D') ? 'im' : 'channel',
      message: { ...previous, text: stored.text, edited: { user: stored.user, ts },
        ...(stored.attachments === undefined ? {} : { attachments: stored.attachments }) },
      previous_message: previous,
    };
    return { ts, eventId: this.sendEvent(teamId, event).eventId };
  }

  /** Any raw event, wrapped in an `event_callback`. */
  sendEvent(teamId: string, event: Record<string, unknown>, options: { eventId?: string } = {}): { envelopeId: string; eventId: string } {
    const team = this.state.team(teamId);
    const eventId = options.eventId ?? slackId('Ev');
    const callback = this.#callback(team, event, eventId);
    this.#events.set(eventId, { teamId, callback, attempts: 0 });
    const id = envelopeId();
    this.#enqueue(teamId, () => this.#dispatch({ envelopeId: id, type: 'events_api', teamId, payload: callback, eventId }));
    return { envelopeId: id, eventId };
  }

  /** The same event again with a new envelope id and retry fields, like Slack's retries. */
  redeliver(eventId: string, options: { retryAttempt?: number; retryReason?: string } = {}): { envelopeId: string } {
    const stored = this.#events.get(eventId);
    if (stored === undefined) throw new Error(`emulator: unknown event ${eventId}`);
    stored.attempts = options.retryAttempt ?? stored.attempts + 1;
    const id = envelopeId();
    const envelope: Envelope = {
      envelopeId: id, type: 'events_api', teamId: stored.teamId, payload: stored.callback, eventId,
      retryAttempt: stored.attempts, retryReason: options.retryReason ?? (this.http?.serves(stored.teamId) ? 'http_timeout' : 'timeout'),
    };
    this.#enqueue(envelope.teamId, () => this.#dispatch(envelope));
    return { envelopeId: id };
  }

  /** Redelivers an unacked envelope, at most 3 retries per event (Slack's policy). */
  retryUnacked(envelope: Envelope): void {
    const stored = envelope.eventId === undefined ? undefined : this.#events.get(envelope.eventId);
    if (stored !== undefined && stored.attempts < 3) this.redeliver(envelope.eventId as string);
  }

  /** Redelivers an event whose HTTP delivery failed, after `delayMs`, at most 3 retries per event. */
  retryFailed(envelope: Envelope, reason: HttpRetryReason, delayMs: number): void {
    const eventId = envelope.eventId;
    const stored = eventId === undefined ? undefined : this.#events.get(eventId);
    if (stored === undefined || stored.attempts >= 3) return;
    this.http?.schedule(() => this.redeliver(eventId as string, { retryReason: reason }), delayMs);
  }

  /** A `slash_commands` envelope; its response_url records POSTs as posted messages. */
  sendSlashCommand(teamId: string, input: SlashCommandInput): { envelopeId: string; responseUrl: string } {
    const team = this.state.team(teamId);
    const target = { teamId, channel: input.channel, user: input.user };
    const responseUrl = this.responseUrlFor(target);
    const payload = {
      token: VERIFICATION_TOKEN, team_id: teamId, team_domain: team.domain, channel_id: input.channel,
      channel_name: this.state.channels.get(input.channel)?.name ?? 'unknown', user_id: input.user,
      user_name: this.state.users.get(input.user)?.name ?? 'unknown', command: input.command ?? '/flotilla',
      text: input.text, api_app_id: team.appId, is_enterprise_install: 'false', response_url: responseUrl,
      trigger_id: this.issueTrigger(teamId, input.user),
    };
    const id = envelopeId();
    this.socketMode.expectAckPayload(id, target);
    this.http?.expectAckPayload(id, target);
    this.#enqueue(teamId, () => this.#deliver({ envelopeId: id, type: 'slash_commands', teamId, payload }));
    return { envelopeId: id, responseUrl };
  }

  /** An `interactive` envelope with the given payload (team and app fields filled in when missing). */
  sendInteractive(teamId: string, payload: Record<string, unknown>): { envelopeId: string } {
    const team = this.state.team(teamId);
    const full = { team: { id: teamId, domain: team.domain }, api_app_id: team.appId, token: VERIFICATION_TOKEN, ...payload };
    const id = envelopeId();
    this.#enqueue(teamId, () => this.#deliver({ envelopeId: id, type: 'interactive', teamId, payload: full }));
    return { envelopeId: id };
  }

  /** A new response_url whose POSTs are recorded as posted to `target`. */
  responseUrlFor(target: ResponseTarget): string {
    const responseId = randomBytes(12).toString('hex');
    this.#responseTargets.set(responseId, target);
    return `${this.baseUrl()}hooks/${responseId}`;
  }

  /** The target of a response_url id, if it exists. */
  responseTarget(responseId: string): ResponseTarget | undefined {
    return this.#responseTargets.get(responseId);
  }

  /** Retries, in order, the queued items of the teams that `isReady` says have a socket now. */
  flush(isReady: (teamId: string) => boolean = () => true): void {
    for (const [teamId, queue] of this.#pending) {
      if (!isReady(teamId)) continue;
      while (queue.length > 0 && (queue[0] as () => boolean)()) queue.shift();
      if (queue.length === 0) this.#pending.delete(teamId);
    }
  }

  /** How many items wait for a socket. */
  pendingCount(): number {
    let count = 0;
    for (const queue of this.#pending.values()) count += queue.length;
    return count;
  }

  #enqueue(teamId: string, attempt: () => boolean): void {
    const queue = this.#pending.get(teamId);
    if (queue) queue.push(attempt); // behind what already waits, to keep the order
    else if (!attempt()) this.#pending.set(teamId, [attempt]);
  }

  /** To the app's Request URL when it has one, else over Socket Mode. */
  #deliver(envelope: Envelope): boolean {
    return this.http?.deliver(envelope) || this.socketMode.deliver(envelope);
  }

  #dispatch(envelope: Envelope): boolean {
    if (this.http?.deliver(envelope)) return true;
    const viaSocketMode = this.socketMode.deliver(envelope);
    const event = envelope.payload['event'] as Record<string, unknown>;
    const viaRtm = this.rtm.deliver(envelope.teamId, event);
    return viaSocketMode || viaRtm;
  }

  #callback(team: EmulatedWorkspace, event: Record<string, unknown>, eventId: string): Record<string, unknown> {
    return {
      token: VERIFICATION_TOKEN, team_id: team.teamId, context_team_id: team.teamId, context_enterprise_id: null,
      api_app_id: team.appId, event, type: 'event_callback', event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ enterprise_id: null, team_id: team.teamId, user_id: team.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false, event_context: `4-${randomBytes(16).toString('hex')}`,
    };
  }
}

/**
 * Resolves with the first message in `log` (or posted later, seen through `subscribe`) matching
 * `predicate`; rejects after `timeoutMs` with an error listing everything posted so far.
 */
export function waitForPosted(
  log: readonly PostedMessage[],
  subscribe: (listener: (message: PostedMessage) => void) => () => void,
  predicate: (message: PostedMessage) => boolean,
  timeoutMs: number,
): Promise<PostedMessage> {
  const found = log.find(predicate);
  if (found !== undefined) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const seen = log.map((m) => `  ${m.method} ${m.teamId}/${m.channel}: ${JSON.stringify(m.text)}`);
      reject(new Error(`emulator: no matching message posted within ${timeoutMs} ms; posted (${seen.length}):\n${seen.join('\n') || '  (nothing)'}`));
    }, timeoutMs);
    const off = subscribe((message) => {
      if (!predicate(message)) return;
      clearTimeout(timer);
      off();
      resolve(message);
    });
  });
}
