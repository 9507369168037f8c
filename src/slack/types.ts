/**
 * Types shared by fleet/ (which receives Slack traffic) and commands/ (which
 * answers it). Neither side imports the other; they meet here.
 */

export type TransportKind = 'socket-mode' | 'rtm' | 'http';

/** Where a workspace's connection comes from: a discriminated union, never an option bag. */
export type ConnectionSpec =
  | { readonly transport: 'socket-mode'; readonly appToken: string }
  | { readonly transport: 'rtm' }
  /** Events arrive at the public listener (`POST /slack/events`): no socket, no lease; every instance serves it. */
  | { readonly transport: 'http' };

/** Who the bot is in one workspace (from `auth.test`). */
export interface BotIdentity {
  readonly teamId: string;
  readonly teamName: string;
  readonly botUserId: string;
  readonly botId: string | undefined;
  readonly appId: string | undefined;
}

/** Where a request came from. */
export type RequestSource = 'mention' | 'direct' | 'slash_command';

/** A normalized, bot-directed request, ready for the dispatcher. */
export interface CommandRequest {
  readonly teamId: string;
  readonly userId: string;
  readonly channelId: string;
  /** The command text: the leading bot mention and slash-command name removed, quotes plain. */
  readonly text: string;
  readonly source: RequestSource;
  /** Timestamp of the message (absent for slash commands). */
  readonly messageTs: string | undefined;
  /** Thread to answer in: the request's thread, when it was in one. */
  readonly threadTs: string | undefined;
  /** Slack's event id, when the request came from the Events API. */
  readonly eventId: string | undefined;
  /** Slash commands: the trigger for `views.open` (single use, valid for 3 s). */
  readonly triggerId?: string | undefined;
}

/** What a command answers. `text` is the plain fallback; `blocks` Block Kit, optional. */
export interface Reply {
  readonly text: string;
  readonly blocks?: readonly unknown[];
}

/** Sends a reply where the request came from (threaded or ephemeral as fits). */
export type ReplyFn = (reply: Reply) => Promise<void>;

/** Web API calls a command may need, done with the workspace's own bot token. */
export interface SlackApi {
  /**
   * Any Web API method with the workspace's bot token (`views.open`, `chat.update`,
   * `conversations.open`…). Resolves to Slack's answer; rejects with WebClient's
   * error codes (classify with `classifySlackError`). Never retried inside.
   */
  call<T = Record<string, unknown>>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** `users.info`: whether the user is a workspace admin or owner, plus a display name. */
  userInfo(userId: string): Promise<{ readonly isAdmin: boolean; readonly name: string; readonly tz?: string }>;
  /** The workspace's time zone as an IANA name (from the team, else UTC). */
  teamTimeZone?(): Promise<string>;
}

/** Everything a handler needs for one request. */
export interface RequestContext {
  readonly request: CommandRequest;
  readonly bot: BotIdentity;
  readonly reply: ReplyFn;
  readonly slack: SlackApi;
  readonly signal: AbortSignal;
}

/**
 * A Slack interactivity payload (`block_actions`, `view_submission`,
 * `view_closed`, …) from a workspace's connection or HTTP endpoint.
 */
export interface InteractionRequest {
  readonly teamId: string;
  /** Who clicked or submitted. */
  readonly userId: string;
  /** Slack's payload `type`, e.g. `block_actions`. */
  readonly type: string;
  /** The payload as Slack sent it (`actions`, `view`, `message`, …). */
  readonly payload: Readonly<Record<string, unknown>>;
  /** For `views.open`: single use, valid for 3 s after the click or command. */
  readonly triggerId: string | undefined;
  /** Where an ephemeral answer to a click goes (absent for `view_submission` from a modal). */
  readonly responseUrl: string | undefined;
  /** The channel of the clicked message, when there is one. */
  readonly channelId: string | undefined;
}

/** Everything a handler needs for one interaction. */
export interface InteractionContext {
  readonly interaction: InteractionRequest;
  readonly bot: BotIdentity;
  readonly slack: SlackApi;
  readonly signal: AbortSignal;
  /**
   * Acknowledges the interaction, once; later calls do nothing. A
   * `view_submission` response (`{response_action: 'errors', errors: {block_id: message}}`,
   * `update`, `push`, `clear`) rides in it; an empty ack closes the form. When
   * the handler has not acked within about 2 s the fleet acks empty for it
   * (Slack wants the ack within 3 s).
   */
  ack(response?: Readonly<Record<string, unknown>>): Promise<void>;
}

/** A Slack event that is not a message (`user_change`, `team_join`, …), for handlers that keep state. */
export interface EventContext {
  readonly teamId: string;
  /** The event as Slack sent it (`type`, `user`, …). */
  readonly event: Readonly<Record<string, unknown>>;
  readonly bot: BotIdentity;
  readonly slack: SlackApi;
  readonly signal: AbortSignal;
}

/** The dispatcher as fleet/ sees it: one call per bot-directed request. */
export interface RequestHandler {
  /** Handles one request. Resolves when the reply is sent; rejects only on a bug. */
  handle(context: RequestContext): Promise<void>;
  /**
   * Handles one interaction (buttons, forms). Optional: without it the fleet
   * acks interactions empty and drops them. Rejects only on a bug.
   */
  handleInteraction?(context: InteractionContext): Promise<void>;
  /**
   * Handles one non-message event (once per event id). Optional: without it
   * the fleet drops them as before. Rejects only on a bug (logged).
   */
  handleEvent?(context: EventContext): Promise<void>;
}
