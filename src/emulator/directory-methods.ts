import type { StoredMessage } from './state.js';
import { resolveChannel, teamOf, userJson, type MethodSpec } from './web-methods.js';

/**
 * Web API methods over the emulator's directory and message store:
 * `conversations.open` (1:1 IMs), `conversations.history` (newest first,
 * `oldest`/`latest`/`inclusive`, cursor pages, message metadata with
 * `include_all_metadata`) and `users.list` (cursor pages).
 */

function str(params: Record<string, unknown>, key: string): string | undefined {
  const value = params[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

function isTrue(params: Record<string, unknown>, key: string): boolean {
  const value = params[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** `limit` within [1, max], `fallback` when absent or not a positive number. */
function limitOf(params: Record<string, unknown>, fallback: number, max: number): number {
  const value = Number(params['limit']);
  return Number.isInteger(value) && value > 0 ? Math.min(value, max) : fallback;
}

function encodeCursor(kind: string, position: string): string {
  return Buffer.from(`${kind}:${position}`).toString('base64');
}

/** The position in a cursor of `kind`; null when there is no cursor; undefined when it is not one of ours. */
function decodeCursor(params: Record<string, unknown>, kind: string): string | null | undefined {
  const cursor = str(params, 'cursor');
  if (cursor === undefined) return null;
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  return text.startsWith(`${kind}:`) ? text.slice(kind.length + 1) : undefined;
}

/** Slack's `ts` strings compare as numbers (`seconds.micros`). */
function tsValue(ts: string): number {
  return Number(ts);
}

function historyJson(message: StoredMessage, botUserId: string, botId: string, appId: string, withMetadata: boolean): Record<string, unknown> {
  const isBot = message.user === botUserId;
  return {
    type: 'message', user: message.user, text: message.text, ts: message.ts, team: message.teamId,
    ...(isBot ? { bot_id: botId, app_id: appId } : {}),
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
    ...(message.attachments === undefined ? {} : { attachments: message.attachments }),
    ...(withMetadata && message.metadata !== undefined ? { metadata: message.metadata } : {}),
  };
}

export const DIRECTORY_METHODS: Readonly<Record<string, MethodSpec>> = {
  'conversations.open': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      const channelId = str(ctx.params, 'channel');
      if (channelId !== undefined) {
        const channel = deps.state.channels.get(channelId);
        if (channel === undefined || channel.teamId !== team.teamId) return { ok: false, error: 'channel_not_found' };
        if (!channel.isIm) return { ok: false, error: 'method_not_supported_for_channel_type' };
        return { ok: true, no_op: true, already_open: true, channel: { id: channel.id } };
      }
      const users = (str(ctx.params, 'users') ?? '').split(',').map((u) => u.trim()).filter(Boolean);
      if (users.length === 0) return { ok: false, error: 'users_list_not_supplied' };
      if (users.length > 1) return { ok: false, error: 'method_not_supported_for_channel_type' }; // group DMs: not emulated
      const user = deps.state.users.get(users[0]!);
      if (user === undefined || user.teamId !== team.teamId) return { ok: false, error: 'user_not_found' };
      if (user.isDeleted) return { ok: false, error: 'user_disabled' };
      const isNew = ![...deps.state.channels.values()].some((c) => c.teamId === team.teamId && c.isIm && c.user === user.id);
      const im = deps.state.imWith(team.teamId, user.id);
      const full = isTrue(ctx.params, 'return_im')
        ? { id: im.id, is_im: true, user: user.id, is_open: true, created: Math.floor(Date.now() / 1000) }
        : { id: im.id };
      return { ok: true, ...(isNew ? {} : { no_op: true, already_open: true }), channel: full };
    },
  },
  'conversations.history': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      const channel = resolveChannel(deps, team, str(ctx.params, 'channel'));
      if (channel === undefined || deps.state.users.has(str(ctx.params, 'channel') ?? '')) return { ok: false, error: 'channel_not_found' };
      const position = decodeCursor(ctx.params, 'next_ts');
      if (position === undefined) return { ok: false, error: 'invalid_cursor' };
      const inclusive = isTrue(ctx.params, 'inclusive');
      const oldest = str(ctx.params, 'oldest');
      const latest = str(ctx.params, 'latest');
      if (oldest !== undefined && !Number.isFinite(tsValue(oldest))) return { ok: false, error: 'invalid_ts_oldest' };
      if (latest !== undefined && !Number.isFinite(tsValue(latest))) return { ok: false, error: 'invalid_ts_latest' };
      const inRange = (ts: number): boolean =>
        (oldest === undefined || (inclusive ? ts >= tsValue(oldest) : ts > tsValue(oldest))) &&
        (latest === undefined || (inclusive ? ts <= tsValue(latest) : ts < tsValue(latest))) &&
        (position === null || ts <= tsValue(position));
      const all = [...deps.state.messages.values()]
        .filter((m) => m.channel === channel && m.teamId === team.teamId && inRange(tsValue(m.ts)))
        .sort((a, b) => tsValue(b.ts) - tsValue(a.ts));
      const limit = limitOf(ctx.params, 100, 999);
      const page = all.slice(0, limit);
      const next = all[limit];
      const withMetadata = isTrue(ctx.params, 'include_all_metadata');
      return {
        ok: true,
        messages: page.map((m) => historyJson(m, team.botUserId, team.botId, team.appId, withMetadata)),
        has_more: next !== undefined, pin_count: 0,
        response_metadata: { next_cursor: next === undefined ? '' : encodeCursor('next_ts', next.ts) },
      };
    },
  },
  'users.list': {
    tokenKind: 'bot',
    run(deps, ctx) {
      const team = teamOf(deps, ctx);
      const position = decodeCursor(ctx.params, 'users');
      if (position === undefined) return { ok: false, error: 'invalid_cursor' };
      const start = position === null ? 0 : Number(position);
      const members = [...deps.state.users.values()].filter((u) => u.teamId === team.teamId);
      const limit = limitOf(ctx.params, 200, 1000);
      const page = members.slice(start, start + limit);
      const nextStart = start + page.length;
      return {
        ok: true, members: page.map((u) => userJson(u, team)), cache_ts: Math.floor(Date.now() / 1000),
        response_metadata: { next_cursor: nextStart < members.length ? encodeCursor('users', String(nextStart)) : '' },
      };
    },
  },
};
