/**
 * Types shared by fleet/ (which receives Slack traffic) and commands/ (which
 * answers it). Neither side imports the other; they meet here.
 */

export type TransportKind = 'socket-mode' | 'rtm';

/** Where a workspace's connection comes from: a discriminated union, never an option bag. */
export type ConnectionSpec =
  | { readonly transport: 'socket-mode'; readonly appToken: string }
  | { readonly transport: 'rtm' };

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

/** The dispatcher as fleet/ sees it: one call per bot-directed request. */
export interface RequestHandler {
  /** Handles one request. Resolves when the reply is sent; rejects only on a bug. */
  handle(context: RequestContext): Promise<void>;
}
