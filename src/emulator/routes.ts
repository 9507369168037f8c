import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import type { Inbound } from './inbound.js';
import type { RtmServer } from './rtm.js';
import type { SocketModeServer } from './socket-mode.js';
import type { EmulatorState } from './state.js';
import type { PostedMessage } from './types.js';
import { readBody, sendJson, type WebApi } from './web-api.js';
import type { Ticket } from './web-methods.js';

/** The parts the HTTP routes dispatch to. */
export interface RouteParts {
  readonly state: EmulatorState;
  readonly webApi: WebApi;
  readonly inbound: Inbound;
  readonly socketMode: SocketModeServer;
  readonly rtm: RtmServer;
  readonly wss: WebSocketServer;
  takeTicket(id: string): Ticket | undefined;
  posted(message: Omit<PostedMessage, 'at'>): void;
  control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void>;
  /** `GET /oauth/v2/authorize`: the install consent (see oauth.ts). */
  authorize(req: IncomingMessage, res: ServerResponse): void;
}

/** `/api/<method>` → Web API, `/hooks/<id>` → response_url, `/_emulator/…` → control API, `/oauth/v2/authorize` → install consent. Never throws. */
export function createRequestHandler(parts: RouteParts): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://emulator').pathname;
    let work: Promise<void>;
    if (path.startsWith('/api/')) work = parts.webApi.handle(req, res, decodeURIComponent(path.slice(5)));
    else if (path.startsWith('/hooks/')) work = handleResponseUrl(parts, req, res, path.slice(7));
    else if (path.startsWith('/_emulator/')) work = parts.control(req, res, path.slice(11));
    else if (path === '/oauth/v2/authorize' && req.method === 'GET') work = Promise.resolve().then(() => parts.authorize(req, res));
    else work = Promise.resolve(sendJson(res, 404, { ok: false, error: 'not_found' }));
    work.catch((error: unknown) => sendJson(res, 500, { ok: false, error: String(error) }));
  };
}

async function handleResponseUrl(parts: RouteParts, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  const target = parts.inbound.responseTarget(id);
  if (target === undefined || req.method !== 'POST') {
    sendJson(res, 404, { ok: false, error: 'expired_url' });
    return;
  }
  const text = await readBody(req);
  let body: Record<string, unknown>;
  try {
    const isForm = (req.headers['content-type'] ?? '').includes('x-www-form-urlencoded');
    const raw = isForm ? new URLSearchParams(text).get('payload') ?? '{}' : text;
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    return;
  }
  const threadTs = typeof body['thread_ts'] === 'string' ? body['thread_ts'] : undefined;
  parts.posted({
    method: 'response_url', teamId: target.teamId, channel: target.channel, user: target.user,
    text: typeof body['text'] === 'string' ? body['text'] : '', ts: parts.state.nextTs(),
    responseType: typeof body['response_type'] === 'string' ? body['response_type'] : 'ephemeral',
    ...(Array.isArray(body['blocks']) ? { blocks: body['blocks'] as unknown[] } : {}),
    ...(threadTs === undefined ? {} : { threadTs }),
    ...(body['replace_original'] === true || body['delete_original'] === true ? { replaceOriginal: true } : {}),
  });
  sendJson(res, 200, { ok: true });
}

function reject(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * WebSocket upgrades: `/link/?ticket=…` (Socket Mode) and `/websocket/<ticket>` (RTM).
 * Tickets are single-use, like Slack's; an unknown ticket gets HTTP 401.
 */
export function createUpgradeHandler(parts: RouteParts): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://emulator');
    const ticketId = url.pathname.startsWith('/link')
      ? url.searchParams.get('ticket') ?? ''
      : url.pathname.startsWith('/websocket/') ? url.pathname.slice(11) : '';
    const ticket = parts.takeTicket(ticketId);
    if (ticket === undefined) {
      reject(socket, '401 Unauthorized');
      return;
    }
    parts.wss.handleUpgrade(req, socket, head, (ws) => {
      if (ticket.kind === 'socket-mode') parts.socketMode.accept(ws, ticket.appId, ticket.token);
      else parts.rtm.accept(ws, ticket.teamId, ticket.token);
    });
  };
}

/** Single-use socket tickets handed out by apps.connections.open and rtm.connect. */
export class Tickets {
  readonly #tickets = new Map<string, Ticket>();

  /** Registers `ticket`; returns the ws:// URL to connect to (`/link/?ticket=` or `/websocket/<ticket>`). */
  issue(ticket: Ticket, baseUrl: string): string {
    const id = randomBytes(16).toString('hex');
    this.#tickets.set(id, ticket);
    const wsBase = baseUrl.replace(/^http/, 'ws');
    return ticket.kind === 'socket-mode' ? `${wsBase}link/?ticket=${id}&app_id=${ticket.appId}` : `${wsBase}websocket/${id}`;
  }

  /** The ticket, removed (a ticket works once), or undefined. */
  take(id: string): Ticket | undefined {
    const ticket = this.#tickets.get(id);
    this.#tickets.delete(id);
    return ticket;
  }
}
