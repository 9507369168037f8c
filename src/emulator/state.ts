import { randomBytes } from 'node:crypto';
import type { AppInstallation, CreateAppOptions, EmulatedApp, EmulatedWorkspace, PostedFilter, PostedMessage } from './types.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A Slack-like id: a prefix letter and 10 random upper-case characters (random so emulators never collide). */
export function slackId(prefix: string): string {
  const bytes = randomBytes(10);
  let id = prefix;
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

function digits(count: number): string {
  let out = '';
  for (const byte of randomBytes(count)) out += String(byte % 10);
  return out;
}

/** An emulated user (human or bot). */
export interface UserRecord {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly isAdmin: boolean;
  readonly isOwner: boolean;
  readonly isBot: boolean;
  /** Deactivated (left the workspace): `deleted: true` in users.info. */
  readonly isDeleted?: boolean;
  /** The user's own time zone; the team's when unset. */
  readonly tz?: string;
}

/** An emulated conversation. */
export interface ChannelRecord {
  readonly id: string;
  readonly teamId: string;
  readonly name: string;
  readonly isIm: boolean;
  /** For IMs: the human on the other side. */
  readonly user?: string;
}

/** A message stored so edits and chat.update can find it. */
export interface StoredMessage {
  readonly teamId: string;
  readonly channel: string;
  readonly ts: string;
  user: string;
  text: string;
  attachments?: unknown[];
  blocks?: unknown[];
  /** Slack message metadata (`{event_type, event_payload}`), when posted with it. */
  metadata?: Record<string, unknown>;
}

/** What a token authenticates, and as whom. */
export type TokenOwner =
  | { readonly kind: 'app'; readonly appId: string }
  | { readonly kind: 'bot'; readonly teamId: string; readonly appId: string };

/**
 * The emulator's data: apps, workspaces, users, channels, tokens, messages and what bots posted.
 * Plain in-memory maps; no I/O.
 */
export class EmulatorState {
  readonly apps = new Map<string, EmulatedApp>();
  readonly teams = new Map<string, EmulatedWorkspace>();
  readonly users = new Map<string, UserRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly tokens = new Map<string, TokenOwner>();
  readonly messages = new Map<string, StoredMessage>();
  readonly postedLog: PostedMessage[] = [];
  /** OAuth installs of apps into workspaces other than the workspace's own app, by `appId/teamId`. */
  readonly installations = new Map<string, AppInstallation>();
  #lastTsMicros = 0;

  /** A new unique, increasing message ts (`seconds.micros`). */
  nextTs(): string {
    const micros = Math.max(Date.now() * 1000, this.#lastTsMicros + 1);
    this.#lastTsMicros = micros;
    const seconds = Math.floor(micros / 1_000_000);
    return `${seconds}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  createApp(name?: string, oauth?: CreateAppOptions['oauth']): EmulatedApp {
    const appId = slackId('A');
    const appToken = `xapp-1-${appId}-${digits(13)}-${randomBytes(32).toString('hex')}`;
    const app: EmulatedApp = {
      appId, appToken, name: name ?? `app-${appId.slice(1, 5).toLowerCase()}`,
      ...(oauth === undefined ? {} : { oauth: {
        clientId: oauth.clientId ?? `${digits(10)}.${digits(13)}`,
        clientSecret: oauth.clientSecret ?? randomBytes(16).toString('hex'),
        redirectUris: [...(oauth.redirectUris ?? [])],
      } }),
    };
    this.apps.set(appId, app);
    this.tokens.set(appToken, { kind: 'app', appId });
    return app;
  }

  createWorkspace(options: { name?: string; app?: EmulatedApp; timeZone?: string }): EmulatedWorkspace {
    const app = options.app === undefined ? this.createApp() : this.apps.get(options.app.appId);
    if (app === undefined) throw new Error(`emulator: unknown app ${options.app?.appId ?? ''}`);
    const teamId = slackId('T');
    const teamName = options.name ?? `Team ${teamId.slice(1, 6)}`;
    const domain = `${teamName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}-${teamId.slice(1, 5).toLowerCase()}`;
    const botToken = `xoxb-${digits(12)}-${digits(13)}-${randomBytes(12).toString('hex')}`;
    const bot = this.createUser(teamId, { name: app.name, isBot: true });
    const user = this.createUser(teamId, { name: 'alice' });
    const admin = this.createUser(teamId, { name: 'admin', isAdmin: true, isOwner: true });
    const general = this.createChannel(teamId, { name: 'general' });
    const workspace: EmulatedWorkspace = {
      teamId, teamName, domain, timeZone: options.timeZone ?? 'UTC', botToken,
      appToken: app.appToken, appId: app.appId, botUserId: bot.id, botId: slackId('B'),
      generalChannelId: general.id, userId: user.id, adminUserId: admin.id,
    };
    this.teams.set(teamId, workspace);
    this.tokens.set(botToken, { kind: 'bot', teamId, appId: app.appId });
    return workspace;
  }

  /**
   * Installs `appId` into `teamId` (by OAuth) as `userId`: a new bot user and bot token the first
   * time; a reinstall keeps the bot user and its token (adding scopes, recording the installer),
   * unless that token is dead (`isDead`: revoked or uninstalled), when a new token is issued.
   */
  install(appId: string, teamId: string, userId: string, scopes: readonly string[], isDead: (token: string) => boolean): AppInstallation {
    const app = this.apps.get(appId);
    if (app === undefined) throw new Error(`emulator: unknown app ${appId}`);
    const team = this.team(teamId);
    if (team.appId === appId) {
      const own: AppInstallation = { appId, teamId, botToken: team.botToken, botUserId: team.botUserId, botId: team.botId, installedBy: userId, scopes };
      return own;
    }
    const key = `${appId}/${teamId}`;
    const before = this.installations.get(key);
    const botToken = before !== undefined && !isDead(before.botToken) ? before.botToken : `xoxb-${digits(12)}-${digits(13)}-${randomBytes(12).toString('hex')}`;
    const installation: AppInstallation = {
      appId, teamId, botToken,
      botUserId: before?.botUserId ?? this.createUser(teamId, { name: app.name, isBot: true }).id,
      botId: before?.botId ?? slackId('B'),
      installedBy: userId,
      scopes: [...new Set([...(before?.scopes ?? []), ...scopes])],
    };
    this.installations.set(key, installation);
    this.tokens.set(botToken, { kind: 'bot', teamId, appId });
    return installation;
  }

  /** The apps installed into `teamId` by OAuth (beyond its own app). */
  installedApps(teamId: string): AppInstallation[] {
    return [...this.installations.values()].filter((installation) => installation.teamId === teamId);
  }

  /**
   * The workspace as `appId` sees it: its own record for its own app; for an app installed by
   * OAuth, the same team with that app's bot user, bot token and ids.
   */
  teamAs(teamId: string, appId: string | undefined): EmulatedWorkspace {
    const team = this.team(teamId);
    if (appId === undefined || appId === team.appId) return team;
    const installation = this.installations.get(`${appId}/${teamId}`);
    const app = this.apps.get(appId);
    if (installation === undefined || app === undefined) throw new Error(`emulator: app ${appId} is not installed in ${teamId}`);
    return { ...team, appId, appToken: app.appToken, botToken: installation.botToken, botUserId: installation.botUserId, botId: installation.botId };
  }

  createUser(teamId: string, options: { name?: string; isAdmin?: boolean; isOwner?: boolean; isBot?: boolean }): UserRecord {
    const id = slackId('U');
    const record: UserRecord = {
      id, teamId, name: options.name ?? `user-${id.slice(1, 6).toLowerCase()}`,
      isAdmin: options.isAdmin ?? false, isOwner: options.isOwner ?? false, isBot: options.isBot ?? false,
    };
    this.users.set(id, record);
    return record;
  }

  createChannel(teamId: string, options: { name?: string; isIm?: boolean; user?: string }): ChannelRecord {
    const isIm = options.isIm ?? false;
    const id = slackId(isIm ? 'D' : 'C');
    const record: ChannelRecord = {
      id, teamId, isIm, name: options.name ?? (isIm ? id : `channel-${id.slice(1, 6).toLowerCase()}`),
      ...(options.user === undefined ? {} : { user: options.user }),
    };
    this.channels.set(id, record);
    return record;
  }

  /** The IM channel between the bot and `userId`, created on first use (like `chat.postMessage` to a user id). */
  imWith(teamId: string, userId: string): ChannelRecord {
    for (const channel of this.channels.values()) {
      if (channel.teamId === teamId && channel.isIm && channel.user === userId) return channel;
    }
    return this.createChannel(teamId, { isIm: true, user: userId });
  }

  /** The workspace or a clear error. */
  team(teamId: string): EmulatedWorkspace {
    const team = this.teams.get(teamId);
    if (team === undefined) throw new Error(`emulator: unknown team ${teamId}`);
    return team;
  }

  /** Every team that installed `appId`. */
  teamsOfApp(appId: string): EmulatedWorkspace[] {
    return [...this.teams.values()].filter((team) => team.appId === appId);
  }

  storeMessage(message: StoredMessage): void {
    this.messages.set(`${message.channel}/${message.ts}`, message);
  }

  findMessage(channel: string, ts: string): StoredMessage | undefined {
    return this.messages.get(`${channel}/${ts}`);
  }

  /** Posted messages matching every given field of `filter`. */
  posted(filter: PostedFilter = {}): PostedMessage[] {
    return this.postedLog.filter((m) =>
      (filter.teamId === undefined || m.teamId === filter.teamId) &&
      (filter.channel === undefined || m.channel === filter.channel) &&
      (filter.method === undefined || m.method === filter.method));
  }
}
