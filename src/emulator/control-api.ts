import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackEmulator } from './emulator.js';
import type { EmulatedApp, PostedMethod, SocketFilter, SocketKind } from './types.js';
import { readBody, sendJson } from './web-api.js';

type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- untrusted JSON, checked by the emulator
type Route = (slack: SlackEmulator, body: Body, query: URLSearchParams) => unknown;

function filterFrom(query: URLSearchParams): SocketFilter {
  const filter: { appId?: string; teamId?: string; kind?: SocketKind } = {};
  const appId = query.get('appId');
  const teamId = query.get('teamId');
  const kind = query.get('kind');
  if (appId !== null) filter.appId = appId;
  if (teamId !== null) filter.teamId = teamId;
  if (kind === 'socket-mode' || kind === 'rtm') filter.kind = kind;
  return filter;
}

function appOf(slack: SlackEmulator, appId: string): { app: EmulatedApp } {
  const app = slack.app(appId);
  if (app === undefined) throw new Error(`emulator: unknown app ${appId}`);
  return { app };
}

const GET_ROUTES: Readonly<Record<string, Route>> = {
  health: (slack) => ({ ok: true, apiUrl: slack.apiUrl }),
  posted: (slack, _body, q) => slack.posted({
    ...(q.get('teamId') === null ? {} : { teamId: q.get('teamId') as string }),
    ...(q.get('channel') === null ? {} : { channel: q.get('channel') as string }),
    ...(q.get('method') === null ? {} : { method: q.get('method') as PostedMethod }),
  }),
  acks: (slack) => slack.acks(),
  calls: (slack, _body, q) => slack.calls(q.get('method') ?? undefined),
  sockets: (slack, _body, q) => ({ open: slack.openSockets(filterFrom(q)), opens: slack.socketOpens(filterFrom(q)) }),
  pending: (slack) => ({ pending: slack.pendingDeliveries() }),
  views: (slack, _body, q) => slack.openViews(q.get('teamId') ?? undefined),
};

/** Control routes that wait (a form submission resolves with the bot's ack). */
const ASYNC_ROUTES: Readonly<Record<string, Route>> = {
  'views/submit': (slack, b) => slack.submitView(b.teamId, b as never),
  'apps/verify-url': (slack, b) => slack.verifyRequestUrl(b.appId),
};

const POST_ROUTES: Readonly<Record<string, Route>> = {
  apps: (slack, b) => slack.createApp(b),
  workspaces: (slack, b) => slack.createWorkspace({ ...b, ...(typeof b.appId === 'string' ? appOf(slack, b.appId) : {}) }),
  users: (slack, b) => slack.createUser(b.teamId, b),
  channels: (slack, b) => slack.createChannel(b.teamId, b),
  messages: (slack, b) => slack.postUserMessage(b.teamId, b as never),
  edits: (slack, b) => slack.editUserMessage(b.teamId, b as never),
  events: (slack, b) => slack.sendEvent(b.teamId, b.event, b.eventId === undefined ? {} : { eventId: b.eventId }),
  redeliver: (slack, b) => slack.redeliver(b.eventId, b),
  commands: (slack, b) => slack.sendSlashCommand(b.teamId, b as never),
  interactive: (slack, b) => slack.sendInteractive(b.teamId, b.payload),
  'actions/click': (slack, b) => slack.clickButton(b.teamId, b as never),
  'apps/request-url': (slack, b) => slack.setRequestUrl(b.appId, typeof b.url === 'string' ? { url: b.url, signingSecret: String(b.signingSecret ?? '') } : null),
  uninstall: (slack, b) => slack.uninstallApp(b.teamId, b.appId),
  'tokens/revoke': (slack, b) => slack.revokeTokens(b.teamId, b),
  'users/update': (slack, b) => slack.updateUser(b.teamId, b.userId, b.patch ?? {}),
  'triggers/expire': (slack) => slack.expireTriggers(),
  'faults/fail-token': (slack, b) => slack.failToken(b.token, b.error ?? 'invalid_auth'),
  'faults/restore-token': (slack, b) => slack.restoreToken(b.token),
  'faults/rate-limit': (slack, b) => slack.rateLimit(b.method, b as never),
  'faults/fail-method': (slack, b) => slack.failMethod(b.method, b.error ?? 'internal_error', b),
  'faults/latency': (slack, b) => slack.setLatency(b.method, Number(b.ms)),
  'faults/connections-open-limit': (slack, b) => slack.setConnectionsOpenLimit(b.perMinute === null ? null : b as never),
  'faults/clear': (slack) => slack.clearFaults(),
  drop: (slack, b) => ({ count: slack.dropConnections(b.filter) }),
  disconnect: (slack, b) => ({ count: slack.sendDisconnect(b.filter, b.reason ?? 'warning') }),
  silence: (slack, b) => ({ count: slack.silence(b.filter) }),
};

/**
 * The control API under `/_emulator/`: JSON in, JSON out, mirroring the in-process API so another
 * process (benchmark, demo) can drive the emulator. Errors answer 400 `{ok:false,error}`.
 */
export function createControlHandler(slack: SlackEmulator): (req: IncomingMessage, res: ServerResponse, path: string) => Promise<void> {
  return async (req, res, path) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = req.method === 'GET' ? GET_ROUTES[path] : req.method === 'POST' ? POST_ROUTES[path] ?? ASYNC_ROUTES[path] : undefined;
    if (route === undefined) {
      sendJson(res, 404, { ok: false, error: `unknown control route ${req.method ?? ''} /_emulator/${path}` });
      return;
    }
    try {
      const text = req.method === 'POST' ? await readBody(req) : '';
      const body = (text === '' ? {} : JSON.parse(text)) as Body;
      const result = await route(slack, body, url.searchParams);
      sendJson(res, 200, result === undefined ? { ok: true } : result);
    } catch (error) {
      sendJson(res, 400, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  };
}
