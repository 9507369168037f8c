/**
 * Public types of the Slack emulator. Nothing here imports from the rest of `src/`:
 * the emulator is a stand-in for Slack and must not share our bugs.
 */

/** Options of {@link SlackEmulator.start}. */
export interface EmulatorOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** How often the server sends a WebSocket ping on each socket; default 5000 ms. 0 turns server pings off. */
  readonly serverPingIntervalMs?: number;
  /** Redeliver events_api envelopes not acked after this long (Slack: 3000 ms, 3 retries). Default null = off. */
  readonly redeliverUnackedAfterMs?: number | null;
  /** Delay between a `disconnect`/`goodbye` message and the server closing the socket; default 300 ms. */
  readonly disconnectCloseDelayMs?: number;
  /** HTTP delivery: how long Slack waits for a Request URL's answer before retrying (`http_timeout`); default 3000 ms. */
  readonly httpTimeoutMs?: number;
  /** HTTP delivery: multiplies Slack's retry delays (about 1 s, 1 min, 5 min); default 1, tests use e.g. 0.001. */
  readonly httpRetryDelayScale?: number;
}

/** An emulated Slack app (owner of an app-level token and of Socket Mode sockets). */
export interface EmulatedApp {
  readonly appId: string;
  readonly appToken: string;
  readonly name: string;
}

/** An emulated workspace with its bot install and a few members. */
export interface EmulatedWorkspace {
  readonly teamId: string;
  readonly teamName: string;
  readonly domain: string;
  readonly timeZone: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly generalChannelId: string;
  /** A default human member. */
  readonly userId: string;
  /** A human workspace admin. */
  readonly adminUserId: string;
}

/** The Web API / socket methods through which a bot's message reached the emulator. */
export type PostedMethod =
  | 'chat.postMessage'
  | 'chat.update'
  | 'chat.postEphemeral'
  | 'rtm.send'
  | 'response_url'
  | 'ack_payload';

/** One message a bot sent. */
export interface PostedMessage {
  readonly method: PostedMethod;
  readonly teamId: string;
  readonly channel: string;
  readonly text: string;
  readonly blocks?: unknown[];
  readonly threadTs?: string;
  /** The message ts (for chat.update: the updated message's ts; for ephemerals: message_ts). */
  readonly ts: string;
  /** Ephemeral target user, or the command's user for response_url / ack payloads. */
  readonly user?: string;
  /** `in_channel` | `ephemeral` for response_url and ack payloads. */
  readonly responseType?: string;
  /** Message metadata given to chat.postMessage / chat.update (`{event_type, event_payload}`). */
  readonly metadata?: Record<string, unknown>;
  /** response_url posts: `replace_original` / `delete_original` when set. */
  readonly replaceOriginal?: boolean;
  /** Epoch ms when received. */
  readonly at: number;
}

/** Filter of {@link SlackEmulator.posted}. */
export interface PostedFilter {
  readonly teamId?: string;
  readonly channel?: string;
  readonly method?: PostedMethod;
}

/** One envelope sent on a Socket Mode socket (or POSTed to a Request URL) and whether it was acked. */
export interface AckRecord {
  readonly envelopeId: string;
  readonly type: EnvelopeType;
  readonly teamId: string;
  readonly eventId?: string;
  readonly sentAt: number;
  ackedAt: number | null;
  payload?: unknown;
  /** How it was sent: over a Socket Mode socket (absent) or POSTed to the app's Request URL. */
  readonly transport?: 'socket-mode' | 'http';
  /** HTTP: the `X-Slack-Retry-Num` it was sent with. */
  readonly retryAttempt?: number;
  /** HTTP: the status the app answered with. */
  status?: number;
  /** HTTP: why this delivery failed (`http_timeout`, `http_error`, `connection_failed`). */
  failure?: string;
}

/** Envelope types Slack sends over Socket Mode. */
export type EnvelopeType = 'events_api' | 'slash_commands' | 'interactive';

/** What kind of token authenticated a Web API call. */
export type TokenKind = 'bot' | 'app' | 'none';

/** One Web API call received. */
export interface CallRecord {
  readonly method: string;
  readonly teamId?: string;
  readonly tokenKind: TokenKind;
  readonly at: number;
  status: number;
  error?: string;
}

/** Socket transport. */
export type SocketKind = 'socket-mode' | 'rtm';

/**
 * Which sockets an operation targets. A string is shorthand: an id starting with `A` is an
 * app id, anything else a team id. An app's Socket Mode sockets match every team it is installed in.
 */
export type SocketFilter = string | { readonly appId?: string; readonly teamId?: string; readonly kind?: SocketKind };

/** Reasons of Slack's Socket Mode `disconnect` message. */
export type DisconnectReason = 'warning' | 'refresh_requested' | 'too_many_websockets' | 'link_disabled';

/** Describes one socket in emulator events. */
export interface SocketInfo {
  readonly socketId: string;
  readonly kind: SocketKind;
  readonly appId?: string;
  readonly teamId?: string;
}

/** Events of the emulator's typed emitter. */
export interface EmulatorEvents {
  'socket:open': SocketInfo;
  'socket:close': SocketInfo & { readonly code: number };
  'envelope:ack': AckRecord;
  posted: PostedMessage;
}

/** A user message to inject. */
export interface UserMessageInput {
  readonly user: string;
  readonly channel: string;
  readonly text: string;
  readonly threadTs?: string;
  readonly channelType?: 'channel' | 'im' | 'group' | 'mpim';
  readonly botId?: string;
  readonly subtype?: string;
}

/** An edit of an earlier message. */
export interface EditMessageInput {
  readonly channel: string;
  readonly ts: string;
  readonly text?: string;
  readonly attachments?: unknown[];
}

/** A slash command to send. */
export interface SlashCommandInput {
  readonly user: string;
  readonly channel: string;
  readonly command?: string;
  readonly text: string;
}
