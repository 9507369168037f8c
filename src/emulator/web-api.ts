import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from './faults.js';
import type { TokenOwner } from './state.js';
import type { CallRecord, TokenKind } from './types.js';
import { METHODS, type MethodDeps, type MethodSpec } from './web-methods.js';

/** Reads a request body as text (bounded at 1 MiB). */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > 1_048_576) throw new Error('body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** Query string and body (form-encoded or JSON) merged into one parameter bag; body wins. */
async function readParams(req: IncomingMessage): Promise<Record<string, unknown>> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const text = req.method === 'GET' ? '' : await readBody(req);
  if (text === '') return params;
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) Object.assign(params, parsed);
  } else {
    Object.assign(params, Object.fromEntries(new URLSearchParams(text)));
  }
  return params;
}

function tokenOf(req: IncomingMessage, params: Record<string, unknown>): string {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (match?.[1] !== undefined) return match[1];
  return typeof params['token'] === 'string' ? params['token'] : '';
}

function kindOf(token: string, owner: TokenOwner | undefined): TokenKind {
  if (owner !== undefined) return owner.kind;
  if (token.startsWith('xapp-')) return 'app';
  return token === '' ? 'none' : 'bot';
}

/** A Web API method called without a token (`oauth.v2.access`): it gets the parameters and the raw Authorization header. */
export type TokenlessMethod = (params: Record<string, unknown>, authorization: string | undefined) => Record<string, unknown>;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The Web API under `/api/<method>`: GET or POST, form-encoded or JSON, token in the
 * Authorization header or a `token` field. Checks in Slack's order of surprise: latency,
 * unknown method, injected rate limits and failures, auth, token kind, then the method.
 * Every call is recorded in {@link WebApi.calls}, with the status and error it got.
 */
export class WebApi {
  readonly calls: CallRecord[] = [];

  constructor(
    private readonly deps: MethodDeps,
    private readonly faults: Faults,
    /** Methods kept in their own files (views, directory), by name. */
    private readonly extraMethods: Readonly<Record<string, MethodSpec>> = {},
    /** Methods that take no token (client credentials instead), by name. */
    private readonly tokenless: Readonly<Record<string, TokenlessMethod>> = {},
  ) {}

  /** Answers one request for `method`. Never throws. */
  async handle(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    let params: Record<string, unknown>;
    try {
      params = await readParams(req);
    } catch {
      sendJson(res, 200, { ok: false, error: 'invalid_form_data' });
      return;
    }
    const token = tokenOf(req, params);
    const owner = this.deps.state.tokens.get(token);
    const record: CallRecord = {
      method, tokenKind: kindOf(token, owner), at: Date.now(), status: 200,
      ...(owner?.kind === 'bot' ? { teamId: owner.teamId } : {}),
    };
    this.calls.push(record);
    const latencyMs = this.faults.latencyMs(method);
    if (latencyMs > 0) await delay(latencyMs);
    const answer = this.#answer(method, params, token, owner, req.headers.authorization);
    record.status = answer.status;
    if (answer.body['ok'] !== true && typeof answer.body['error'] === 'string') record.error = answer.body['error'];
    sendJson(res, answer.status, answer.body, answer.headers);
  }

  /** Calls matching `method` (all when omitted), oldest first. */
  callsOf(method?: string): CallRecord[] {
    return method === undefined ? [...this.calls] : this.calls.filter((c) => c.method === method);
  }

  #answer(method: string, params: Record<string, unknown>, token: string, owner: TokenOwner | undefined, authorization?: string):
    { status: number; body: Record<string, unknown>; headers?: Record<string, string> } {
    const spec = METHODS[method] ?? this.extraMethods[method];
    const tokenless = this.tokenless[method];
    if (spec === undefined && tokenless === undefined) return { status: 200, body: { ok: false, error: 'unknown_method' } };
    const verdict = this.faults.verdict(method);
    if (verdict?.kind === 'rate_limited') return rateLimited(verdict.retryAfterSec);
    if (verdict?.kind === 'error') return { status: verdict.status, body: { ok: false, error: verdict.error } };
    if (tokenless !== undefined) return { status: 200, body: tokenless(params, authorization) };
    if (spec === undefined) return { status: 200, body: { ok: false, error: 'unknown_method' } };
    if (token === '') return { status: 200, body: { ok: false, error: 'not_authed' } };
    if (owner === undefined) return { status: 200, body: { ok: false, error: 'invalid_auth' } };
    const dead = this.faults.tokenError(token);
    if (dead !== undefined) return { status: 200, body: { ok: false, error: dead } };
    if (owner.kind !== spec.tokenKind) return { status: 200, body: { ok: false, error: 'not_allowed_token_type' } };
    if (method === 'apps.connections.open') {
      const waitSec = this.faults.admitConnectionsOpen(owner.appId);
      if (waitSec !== null) return rateLimited(waitSec);
    }
    return { status: 200, body: spec.run(this.deps, { params, token, owner }) };
  }
}

function rateLimited(retryAfterSec: number): { status: number; body: Record<string, unknown>; headers: Record<string, string> } {
  return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(retryAfterSec) } };
}
