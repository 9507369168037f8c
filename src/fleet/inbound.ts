import { randomBytes } from 'node:crypto';
import { withTimeout } from '../lib/abort.js';
import { TemporarilyUnavailableError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { classifySlackError } from '../slack/classify-error.js';
import { directedText } from '../slack/mention.js';
import { normalizeEvent, plainQuotes } from '../slack/normalize.js';
import type { BotIdentity, CommandRequest, InteractionRequest, Reply, ReplyFn, RequestHandler, SlackApi } from '../slack/types.js';
import type { SlackCaller } from '../slack/web-client.js';
import type { RecentKeys } from './dedupe.js';
import type { EventLedger } from './event-ledger.js';
import type { EventDropReason, FleetEvents } from './fleet-events.js';
import { postReply, postToResponseUrl } from './replies.js';
import type { InboundEnvelope } from './transports/transport.js';

/** A slash command is answered in its ack when the handler is this quick; later answers use response_url. */
const SLASH_ACK_BUDGET_MS = 2_000;

export interface InboundDeps {
  readonly teamId: string;
  readonly identity: BotIdentity;
  readonly caller: SlackCaller;
  readonly slack: SlackApi;
  readonly handler: RequestHandler;
  readonly recent: RecentKeys;
  /** Durable dedupe across restarts and replicas. */
  readonly ledger: EventLedger;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Told when a reply failed because Slack says the token is dead. */
  readonly onTokenDead: (slackError: string) => void;
}

/**
 * Turns one envelope into at most one handler call: normalize, dedupe, check
 * it is for the bot, claim it, run the handler, reply. Resolves when done;
 * never rejects (a throwing handler gets an error reply with a reference).
 */
export async function handleEnvelope(envelope: InboundEnvelope, deps: InboundDeps): Promise<void> {
  if (envelope.kind === 'slash_command') return handleSlashCommand(envelope, deps);
  if (envelope.kind === 'interactive') return handleInteraction(envelope, deps);
  if (envelope.kind !== 'event') return;
  if (isStateEvent(envelope.event) && deps.handler.handleEvent) return handleStateEvent(envelope, deps);
  const drop = (reason: EventDropReason): void => deps.events.emit('event:dropped', deps.teamId, reason);
  const message = normalizeEvent(envelope.event, deps.identity);
  if (message.kind === 'dropped') return drop(message.reason);
  // One key per message serves both repeats: a Slack retry (same event, so the same channel and ts)
  // and the `message` + `app_mention` pair. Every key is held for minutes: one, not three, per mention.
  if (!deps.recent.firstTime(message.dedupeKey)) return drop('duplicate');
  const text = directedText(message.text, deps.identity.botUserId, message.isDirectMessage);
  if (text === undefined) return drop('not_for_bot');
  if (envelope.retryAttempt > 0) {
    if (!(await claimOrLog(deps, message.dedupeKey))) return drop('duplicate');
  } else {
    deps.ledger.record(deps.teamId, message.dedupeKey);
  }
  const request: CommandRequest = {
    teamId: deps.teamId,
    userId: message.userId,
    channelId: message.channelId,
    text,
    source: message.isDirectMessage ? 'direct' : 'mention',
    messageTs: message.ts,
    threadTs: message.threadTs,
    eventId: envelope.eventId,
  };
  const target = { channel: message.channelId, threadTs: message.threadTs };
  await runHandler(request, async (reply) => {
    await postReply(deps.caller, target, reply, deps.signal);
    deps.events.emit('reply:sent', deps.teamId, 'chat.postMessage');
  }, deps);
}

/** Events about the workspace rather than messages to the bot (`user_change`…): the handler keeps its caches with them. */
const STATE_EVENTS: ReadonlySet<string> = new Set(['user_change', 'team_join']);

function isStateEvent(event: unknown): event is Record<string, unknown> {
  const type = (event as { type?: unknown } | null)?.type;
  return typeof type === 'string' && STATE_EVENTS.has(type);
}

async function handleStateEvent(envelope: Extract<InboundEnvelope, { kind: 'event' }>, deps: InboundDeps): Promise<void> {
  const event = envelope.event as Record<string, unknown>;
  if (envelope.eventId !== undefined && !deps.recent.firstTime(`event:${envelope.eventId}`)) {
    deps.events.emit('event:dropped', deps.teamId, 'duplicate');
    return;
  }
  const startedAt = performance.now();
  try {
    await deps.handler.handleEvent!({ teamId: deps.teamId, event, bot: deps.identity, slack: deps.slack, signal: deps.signal });
    deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, 'ok');
  } catch (error) {
    deps.logger.error({ err: error, event: event.type }, 'event handler failed');
    deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, 'error');
  }
}

async function handleSlashCommand(envelope: Extract<InboundEnvelope, { kind: 'slash_command' }>, deps: InboundDeps): Promise<void> {
  const p = envelope.payload;
  const str = (value: unknown): string => (typeof value === 'string' ? value : '');
  const request: CommandRequest = {
    teamId: deps.teamId, userId: str(p.user_id), channelId: str(p.channel_id), text: plainQuotes(str(p.text)).trim(),
    source: 'slash_command', messageTs: undefined, threadTs: undefined, eventId: undefined,
    triggerId: str(p.trigger_id) || undefined,
  };
  const responseUrl = str(p.response_url);
  let isAcked = false;
  const ackEmpty = async (): Promise<void> => {
    if (isAcked) return;
    isAcked = true;
    await envelope.ack();
  };
  const reply: ReplyFn = async (answer: Reply) => {
    if (!isAcked) {
      isAcked = true;
      // An ack can fail to carry the answer (over HTTP the response went out empty at Slack's deadline): then response_url.
      const isCarried = await envelope.ack({ response_type: 'ephemeral', text: answer.text, ...(answer.blocks ? { blocks: answer.blocks } : {}) })
        .then(() => true, () => false);
      if (isCarried) {
        deps.events.emit('reply:sent', deps.teamId, 'ack');
        return;
      }
    }
    if (!responseUrl) return;
    await postToResponseUrl(responseUrl, answer, deps.signal);
    deps.events.emit('reply:sent', deps.teamId, 'response_url');
  };
  // Slack wants the ack within 3 s: answer inside it when the handler is quick, else ack now and answer later.
  const handled = runHandler(request, reply, deps);
  await withTimeout(handled, SLASH_ACK_BUDGET_MS, undefined);
  await ackEmpty();
  await handled;
}

async function handleInteraction(envelope: Extract<InboundEnvelope, { kind: 'interactive' }>, deps: InboundDeps): Promise<void> {
  const handler = deps.handler.handleInteraction?.bind(deps.handler);
  let isAcked = false;
  const ack = async (response?: Readonly<Record<string, unknown>>): Promise<void> => {
    if (isAcked) return;
    isAcked = true;
    await envelope.ack(response).catch((error: unknown) => {
      // Too late for the answer to ride in the ack (Slack's 3 s are over): the form shows Slack's own error.
      deps.logger.warn({ err: error, interaction: envelope.payload.type }, 'an interaction was answered after Slack stopped waiting');
    });
  };
  const interaction = toInteraction(envelope.payload, deps.teamId);
  if (!handler || !interaction) {
    await ack();
    deps.events.emit('event:dropped', deps.teamId, interaction ? 'not_for_bot' : 'malformed');
    return;
  }
  const startedAt = performance.now();
  const handled = (async () => {
    try {
      await handler({ interaction, bot: deps.identity, slack: deps.slack, signal: deps.signal, ack });
      deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, 'ok');
    } catch (error) {
      const ref = randomBytes(4).toString('hex');
      deps.logger.error({ err: error, ref, userId: interaction.userId, interaction: interaction.type }, 'interaction handler failed');
      deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, 'error');
      await ack();
      if (interaction.responseUrl) {
        await postToResponseUrl(interaction.responseUrl, { text: `Sorry, something went wrong while handling that. (ref ${ref})` }, deps.signal)
          .catch((replyError: unknown) => deps.logger.warn({ err: replyError, ref }, 'could not send the error reply'));
      }
    }
  })();
  // Slack wants the ack within 3 s: a form's answer rides in it when the handler is quick enough.
  await withTimeout(handled, SLASH_ACK_BUDGET_MS, undefined);
  await ack();
  await handled;
}

/** The fields every handler needs, read once; undefined when the payload names no user. */
function toInteraction(payload: Readonly<Record<string, unknown>>, teamId: string): InteractionRequest | undefined {
  const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  const field = (object: unknown, key: string): unknown => (typeof object === 'object' && object !== null ? (object as Record<string, unknown>)[key] : undefined);
  const userId = str(field(payload.user, 'id'));
  const type = str(payload.type);
  if (!userId || !type) return undefined;
  return {
    teamId, userId, type, payload,
    triggerId: str(payload.trigger_id),
    responseUrl: str(payload.response_url),
    channelId: str(field(payload.channel, 'id')) ?? str(field(payload.container, 'channel_id')),
  };
}

async function runHandler(request: CommandRequest, reply: ReplyFn, deps: InboundDeps): Promise<void> {
  const startedAt = performance.now();
  try {
    await deps.handler.handle({ request, bot: deps.identity, reply, slack: deps.slack, signal: deps.signal });
    deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, 'ok');
  } catch (error) {
    const failure = classifySlackError(error);
    if (failure.kind === 'dead') {
      // The reply itself was refused: nobody can be told, the workspace is going.
      deps.logger.warn({ slackError: failure.slackError }, 'reply refused: the bot token looks dead');
      deps.onTokenDead(failure.slackError);
      return;
    }
    const ref = randomBytes(4).toString('hex');
    const isUnavailable = error instanceof TemporarilyUnavailableError;
    const where = { err: error, ref, userId: request.userId, channelId: request.channelId };
    if (isUnavailable) deps.logger.warn(where, `command not run: the ${error.what} is unreachable`);
    else deps.logger.error(where, 'command handler failed');
    deps.events.emit('event:handled', deps.teamId, performance.now() - startedAt, isUnavailable ? 'unavailable' : 'error');
    const text = isUnavailable
      ? `Sorry, that is temporarily unavailable: I cannot reach my ${error.what}. Please try again in a minute. (ref ${ref})`
      : `Sorry, something went wrong while handling that. (ref ${ref})`;
    await reply({ text }).catch((replyError: unknown) => {
      deps.logger.warn({ err: replyError, ref }, 'could not send the error reply');
    });
  }
}

async function claimOrLog(deps: InboundDeps, key: string): Promise<boolean> {
  try {
    return await deps.ledger.claim(deps.teamId, key);
  } catch (error) {
    // The database is down: answering twice is better than not answering.
    deps.logger.warn({ err: error }, 'could not record the event as processed; handling it anyway');
    return true;
  }
}
