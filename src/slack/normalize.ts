import { createHash } from 'node:crypto';

/** Why an inbound event was not turned into a message. */
export type DropReason =
  | 'not_a_message' | 'malformed' | 'bot_message' | 'own_message' | 'subtype'
  | 'no_author' | 'unchanged_edit';

/** A human's message, normalized. */
export interface NormalizedMessage {
  readonly kind: 'message';
  readonly channelId: string;
  readonly userId: string;
  readonly text: string;
  readonly ts: string;
  readonly threadTs: string | undefined;
  readonly isDirectMessage: boolean;
  /** Same for a Slack retry and for the `message` + `app_mention` pair; differs for an edit. */
  readonly dedupeKey: string;
}

export type Normalized = NormalizedMessage | { readonly kind: 'dropped'; readonly reason: DropReason };

/** Who "we" are, to drop our own messages. */
export interface SelfIdentity {
  readonly botUserId: string;
  readonly botId: string | undefined;
}

/** Subtypes that still carry a human's words. Everything else is dropped. */
const HUMAN_SUBTYPES: ReadonlySet<string> = new Set(['thread_broadcast', 'file_share', 'me_message']);

const SMART_QUOTES: ReadonlyArray<[RegExp, string]> = [[/[\u201C\u201D\u201E\u201F\u2033]/g, '"'], [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"]];

/** Smart quotes (as Slack's clients type them) → plain quotes. */
export function plainQuotes(text: string): string {
  return SMART_QUOTES.reduce((out, [pattern, plain]) => out.replace(pattern, plain), text);
}

type Fields = Record<string, unknown>;
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Turns a Slack `message` / `app_mention` event into a normalized message, or
 * says why it is dropped. Pure: never throws, whatever the input.
 */
export function normalizeEvent(event: unknown, self: SelfIdentity): Normalized {
  if (typeof event !== 'object' || event === null) return { kind: 'dropped', reason: 'malformed' };
  const e = event as Fields;
  if (e.type !== 'message' && e.type !== 'app_mention') return { kind: 'dropped', reason: 'not_a_message' };
  const channelId = str(e.channel);
  if (!channelId) return { kind: 'dropped', reason: 'malformed' };

  let body: Fields = e;
  let isEdit = false;
  if (e.subtype === 'message_changed') {
    if (typeof e.message !== 'object' || e.message === null) return { kind: 'dropped', reason: 'malformed' };
    body = e.message as Fields;
    const previous = e.previous_message as Fields | undefined;
    // Unfurls and other attachment-only edits keep the text: running the command again would repeat it.
    if (previous && previous.text === body.text) return { kind: 'dropped', reason: 'unchanged_edit' };
    isEdit = true;
  } else if (typeof e.subtype === 'string' && !HUMAN_SUBTYPES.has(e.subtype)) {
    return { kind: 'dropped', reason: e.subtype === 'bot_message' ? 'bot_message' : 'subtype' };
  }
  return fromBody(body, channelId, str(e.channel_type), isEdit, self);
}

function fromBody(body: Fields, channelId: string, channelType: string | undefined, isEdit: boolean, self: SelfIdentity): Normalized {
  const userId = str(body.user);
  const botId = str(body.bot_id);
  if (userId === self.botUserId || (botId !== undefined && botId === self.botId)) return { kind: 'dropped', reason: 'own_message' };
  if (botId !== undefined || body.subtype === 'bot_message') return { kind: 'dropped', reason: 'bot_message' };
  if (!userId) return { kind: 'dropped', reason: 'no_author' };
  const ts = str(body.ts);
  if (!ts || typeof body.text !== 'string') return { kind: 'dropped', reason: 'malformed' };
  const text = plainQuotes(body.text);
  const threadTs = str(body.thread_ts);
  return {
    kind: 'message',
    channelId,
    userId,
    text,
    ts,
    threadTs: threadTs === ts ? undefined : threadTs,
    isDirectMessage: channelType === 'im' || channelId.startsWith('D'),
    dedupeKey: isEdit ? `${channelId}:${ts}:${digest(text)}` : `${channelId}:${ts}`,
  };
}

function digest(text: string): string {
  return createHash('sha1').update(text).digest('base64url').slice(0, 12);
}
