import type { EmulatorState, TokenOwner, UserRecord } from './state.js';
import type { EmulatedWorkspace, PostedMessage } from './types.js';

/** A socket ticket handed out by `apps.connections.open` / `rtm.connect`. */
export type Ticket =
  | { readonly kind: 'socket-mode'; readonly appId: string; readonly token: string }
  | { readonly kind: 'rtm'; readonly teamId: string; readonly token: string };

/** What the method implementations need from the emulator. */
export interface MethodDeps {
  readonly state: EmulatorState;
  /** Registers a one-use ticket and returns the ws:// URL a client connects to. */
  socketUrl(ticket: Ticket): string;
  posted(message: Omit<PostedMessage, 'at'>): void;
  /** Kills the token for good (`token_revoked`). */
  revoke(token: string): void;
}

/** One authenticated call. */
export interface CallContext {
  readonly params: Record<string, unknown>;
  readonly token: string;
  readonly owner: TokenOwner;
}

/** A Web API method: which token kind it takes and what it answers (a body with `ok`). */
export interface MethodSpec {
  readonly tokenKind: 'bot' | 'app';
  run(deps: MethodDeps, ctx: CallContext): Record<string, unknown>;
}

function str(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function jsonArray(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON object given as an object or as JSON text (form-encoded calls), or undefined. */
export function jsonObject(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === 'string' && value !== '') {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed as Record<string, unknown> : undefined;
}

export function teamOf(deps: MethodDeps, ctx: CallContext): EmulatedWorkspace {
  if (ctx.owner.kind !== 'bot') throw new Error('emulator: bot method called with an app token');
  return deps.state.teamAs(ctx.owner.teamId, ctx.owner.appId); // an OAuth-installed app's bot sees the team as itself
}

/** The UTC offset of an IANA zone in seconds, now. */
function tzOffsetSec(timeZone: string): number {
  const part = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(new Date()).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(part);
  if (match === null) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === '-' ? -seconds : seconds;
}

/** A user as users.info / users.list / user_change show it. */
export function userJson(user: UserRecord, team: EmulatedWorkspace): Record<string, unknown> {
  const tz = user.tz ?? team.timeZone;
  return {
    id: user.id, team_id: user.teamId, name: user.name, real_name: user.name, deleted: user.isDeleted ?? false,
    is_admin: user.isAdmin, is_owner: user.isOwner, is_bot: user.isBot, tz,
    tz_offset: tzOffsetSec(tz), profile: { real_name: user.name, display_name: user.name },
  };
}

/** Resolves a channel id (or a user id, meaning the bot's IM with that user) in the caller's team. */
export function resolveChannel(deps: MethodDeps, team: EmulatedWorkspace, id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  const user = deps.state.users.get(id);
  if (user !== undefined && user.teamId === team.teamId) return deps.state.imWith(team.teamId, id).id;
  const channel = deps.state.channels.get(id);
  return channel !== undefined && channel.teamId === team.teamId ? channel.id : undefined;
}

const postMessage: MethodSpec = {
  tokenKind: 'bot',
  run(deps, { params, ...ctx }) {
    const team = teamOf(deps, { params, ...ctx });
    const channel = resolveChannel(deps, team, str(params, 'channel'));
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const text = str(params, 'text') ?? '';
    const blocks = jsonArray(params['blocks']);
    if (text === '' && blocks === undefined && jsonArray(params['attachments']) === undefined) return { ok: false, error: 'no_text' };
    const ts = deps.state.nextTs();
    const threadTs = str(params, 'thread_ts');
    const metadata = jsonObject(params['metadata']);
    const extra = { ...(blocks === undefined ? {} : { blocks }), ...(metadata === undefined ? {} : { metadata }) };
    deps.state.storeMessage({ teamId: team.teamId, channel, ts, user: team.botUserId, text, ...extra });
    deps.posted({ method: 'chat.postMessage', teamId: team.teamId, channel, text, ts,
      ...extra, ...(threadTs === undefined ? {} : { threadTs }) });
    const message = { type: 'message', user: team.botUserId, bot_id: team.botId, app_id: team.appId, text, ts,
      team: team.teamId, ...extra, ...(threadTs === undefined ? {} : { thread_ts: threadTs }) };
    return { ok: true, channel, ts, message };
  },
};

const update: MethodSpec = {
  tokenKind: 'bot',
  run(deps, ctx) {
    const team = teamOf(deps, ctx);
    const channel = resolveChannel(deps, team, str(ctx.params, 'channel'));
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const ts = str(ctx.params, 'ts') ?? '';
    const stored = deps.state.findMessage(channel, ts);
    if (stored === undefined) return { ok: false, error: 'message_not_found' };
    if (stored.user !== team.botUserId) return { ok: false, error: 'cant_update_message' };
    const text = str(ctx.params, 'text') ?? stored.text;
    const blocks = jsonArray(ctx.params['blocks']);
    const metadata = jsonObject(ctx.params['metadata']);
    stored.text = text;
    if (blocks !== undefined) stored.blocks = blocks; // `blocks: []` removes them; no `blocks` keeps them
    if (metadata !== undefined) stored.metadata = metadata;
    deps.posted({ method: 'chat.update', teamId: team.teamId, channel, text, ts,
      ...(blocks === undefined ? {} : { blocks }), ...(metadata === undefined ? {} : { metadata }) });
    return { ok: true, channel, ts, text, message: { type: 'message', user: team.botUserId, text, ...(blocks === undefined ? {} : { blocks }) } };
  },
};

const postEphemeral: MethodSpec = {
  tokenKind: 'bot',
  run(deps, ctx) {
    const team = teamOf(deps, ctx);
    const channel = resolveChannel(deps, team, str(ctx.params, 'channel'));
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const user = str(ctx.params, 'user');
    if (user === undefined || deps.state.users.get(user)?.teamId !== team.teamId) return { ok: false, error: 'user_not_found' };
    const text = str(ctx.params, 'text') ?? '';
    const blocks = jsonArray(ctx.params['blocks']);
    const ts = deps.state.nextTs();
    const threadTs = str(ctx.params, 'thread_ts');
    deps.posted({ method: 'chat.postEphemeral', teamId: team.teamId, channel, text, ts, user,
      ...(blocks === undefined ? {} : { blocks }), ...(threadTs === undefined ? {} : { threadTs }) });
    return { ok: true, message_ts: ts };
  },
};

/** Every Web API method the emulator implements, by name. */
export const METHODS: Readonly<Record<string, MethodSpec>> = {
  'auth.test': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      return { ok: true, url: `https://${team.domain}.slack.com/`, team: team.teamName, user: deps.state.users.get(team.botUserId)?.name,
        team_id: team.teamId, user_id: team.botUserId, bot_id: team.botId, app_id: team.appId, is_enterprise_install: false };
    },
  },
  'auth.revoke': {
    tokenKind: 'bot',
    run(deps, ctx) {
      if (str(ctx.params, 'test') === 'true' || str(ctx.params, 'test') === '1') return { ok: true, revoked: false };
      deps.revoke(ctx.token);
      return { ok: true, revoked: true };
    },
  },
  'apps.connections.open': {
    tokenKind: 'app',
    run(deps, ctx) {
      const appId = ctx.owner.appId;
      return { ok: true, url: deps.socketUrl({ kind: 'socket-mode', appId, token: ctx.token }) };
    },
  },
  'rtm.connect': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      return { ok: true, url: deps.socketUrl({ kind: 'rtm', teamId: team.teamId, token: ctx.token }),
        team: { id: team.teamId, name: team.teamName, domain: team.domain },
        self: { id: team.botUserId, name: deps.state.users.get(team.botUserId)?.name } };
    },
  },
  'chat.postMessage': postMessage,
  'chat.update': update,
  'chat.postEphemeral': postEphemeral,
  'users.info': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      const user = deps.state.users.get(str(ctx.params, 'user') ?? '');
      if (user === undefined || user.teamId !== team.teamId) return { ok: false, error: 'user_not_found' };
      return { ok: true, user: userJson(user, team) };
    },
  },
  'conversations.info': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      const channel = deps.state.channels.get(str(ctx.params, 'channel') ?? '');
      if (channel === undefined || channel.teamId !== team.teamId) return { ok: false, error: 'channel_not_found' };
      return { ok: true, channel: { id: channel.id, name: channel.name, is_channel: !channel.isIm, is_im: channel.isIm,
        is_private: channel.isIm, is_member: true, is_archived: false, ...(channel.user === undefined ? {} : { user: channel.user }) } };
    },
  },
  'team.info': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      return { ok: true, team: { id: team.teamId, name: team.teamName, domain: team.domain, email_domain: '',
        icon: {}, tz: team.timeZone } };
    },
  },
};
