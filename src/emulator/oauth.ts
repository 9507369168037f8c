import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorState } from './state.js';
import type { AppInstallation, EmulatedApp, NextAuthorization } from './types.js';

/** Slack's authorization codes are good for ten minutes. */
export const OAUTH_CODE_TTL_MS = 10 * 60_000;

interface IssuedCode {
  readonly appId: string;
  readonly teamId: string;
  readonly userId: string;
  readonly scopes: readonly string[];
  /** The `redirect_uri` sent to authorize, if one was: oauth.v2.access must send the same. */
  readonly redirectUri: string | undefined;
  readonly expiresAt: number;
  isUsed: boolean;
}

/**
 * Slack's OAuth v2 install, as a distributed app's installer meets it:
 * `GET /oauth/v2/authorize` (the user's consent, decided ahead by the test through
 * {@link OAuthServer.setNextAuthorization}) redirects to the app's `redirect_uri` with a
 * `code` and the `state`, or with `error=access_denied`; `oauth.v2.access` trades a code,
 * once, for the app's bot token in that team. Never throws on bad input: it answers as Slack does.
 */
export class OAuthServer {
  readonly #codes = new Map<string, IssuedCode>();
  #next: NextAuthorization | undefined;

  constructor(
    private readonly state: EmulatorState,
    /** Whether a token was revoked or killed (a reinstall then issues a new one). */
    private readonly isDead: (token: string) => boolean,
  ) {}

  /** What the next authorize visit does (consumed by it). */
  setNextAuthorization(next: NextAuthorization): void {
    if (!('deny' in next)) {
      const team = this.state.team(next.teamId);
      if (next.userId !== undefined && this.state.users.get(next.userId)?.teamId !== team.teamId) {
        throw new Error(`emulator: user ${next.userId} is not in ${next.teamId}`);
      }
    }
    this.#next = next;
  }

  /** Every installation made by OAuth so far (of one team, or all). */
  installations(teamId?: string): AppInstallation[] {
    return [...this.state.installations.values()].filter((installation) => teamId === undefined || installation.teamId === teamId);
  }

  /** `GET /oauth/v2/authorize?client_id&scope&redirect_uri&state…`: a redirect back, or an error page (400). */
  authorize(req: IncomingMessage, res: ServerResponse): void {
    const query = new URL(req.url ?? '/', 'http://emulator').searchParams;
    const app = this.#appByClientId(query.get('client_id'));
    if (app?.oauth === undefined) return errorPage(res, 'invalid_client_id', 'No app has this client_id.');
    const redirectUri = query.get('redirect_uri') ?? undefined;
    const target = redirectUri ?? app.oauth.redirectUris[0];
    if (target === undefined || !isAllowedRedirect(target, app.oauth.redirectUris)) {
      return errorPage(res, 'bad_redirect_uri', 'redirect_uri did not match any configured URIs.');
    }
    const scopes = splitScopes(query.get('scope'));
    if (scopes.length === 0 && splitScopes(query.get('user_scope')).length === 0) return errorPage(res, 'invalid_scope', 'No scope was asked for.');
    const next = this.#next;
    if (next === undefined) return errorPage(res, 'no_authorization_arranged', 'The emulator needs setNextAuthorization() before a visit here.');
    this.#next = undefined;
    const back = new URL(target);
    const state = query.get('state');
    if ('deny' in next) {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = `${randomDigits(10)}.${randomDigits(13)}.${randomBytes(32).toString('hex')}`;
      this.#codes.set(code, {
        appId: app.appId, teamId: next.teamId, userId: next.userId ?? this.state.team(next.teamId).adminUserId,
        scopes, redirectUri, expiresAt: Date.now() + OAUTH_CODE_TTL_MS, isUsed: false,
      });
      back.searchParams.set('code', code);
    }
    if (state !== null) back.searchParams.set('state', state);
    res.writeHead(302, { location: back.toString(), 'cache-control': 'no-store' });
    res.end();
  }

  /**
   * `oauth.v2.access`: client credentials as `client_id`/`client_secret` parameters or HTTP
   * Basic auth (preferred by Slack), then the code (single use, ten minutes) and the
   * `redirect_uri` it was issued for. Answers Slack's v2 shape, or `{ok:false,error}`.
   */
  access(params: Record<string, unknown>, authorization: string | undefined): Record<string, unknown> {
    const basic = basicCredentials(authorization);
    const clientId = basic?.clientId ?? text(params['client_id']);
    const clientSecret = basic?.clientSecret ?? text(params['client_secret']);
    const grantType = text(params['grant_type']);
    if (grantType !== undefined && grantType !== 'authorization_code') return { ok: false, error: 'invalid_grant_type' };
    const app = this.#appByClientId(clientId ?? null);
    if (app?.oauth === undefined) return { ok: false, error: 'invalid_client_id' };
    if (clientSecret === undefined || !sameText(clientSecret, app.oauth.clientSecret)) return { ok: false, error: 'bad_client_secret' };
    const code = this.#codes.get(text(params['code']) ?? '');
    if (code === undefined || code.isUsed || code.appId !== app.appId || Date.now() > code.expiresAt) return { ok: false, error: 'invalid_code' };
    if (code.redirectUri !== undefined && text(params['redirect_uri']) !== code.redirectUri) return { ok: false, error: 'bad_redirect_uri' };
    code.isUsed = true;
    const installation = this.state.install(app.appId, code.teamId, code.userId, code.scopes, this.isDead);
    const team = this.state.team(code.teamId);
    return {
      ok: true, app_id: app.appId, authed_user: { id: code.userId }, scope: installation.scopes.join(','),
      token_type: 'bot', access_token: installation.botToken, bot_user_id: installation.botUserId,
      team: { id: team.teamId, name: team.teamName }, enterprise: null, is_enterprise_install: false,
    };
  }

  #appByClientId(clientId: string | null): EmulatedApp | undefined {
    if (clientId === null) return undefined;
    for (const app of this.state.apps.values()) if (app.oauth?.clientId === clientId) return app;
    return undefined;
  }
}

/** Slack's rule: the redirect URI must share a configured Redirect URL's origin, its path equal to or under that URL's path. */
function isAllowedRedirect(candidate: string, configured: readonly string[]): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  if (configured.length === 0) return true; // none configured: the emulator accepts any (tests that do not care)
  return configured.some((allowed) => {
    const base = new URL(allowed);
    const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return url.origin === base.origin && (url.pathname === base.pathname || url.pathname.startsWith(basePath));
  });
}

function basicCredentials(header: string | undefined): { clientId: string; clientSecret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (match?.[1] === undefined) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { clientId: decoded.slice(0, colon), clientSecret: decoded.slice(colon + 1) };
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function splitScopes(value: string | null): string[] {
  return (value ?? '').split(/[,\s]+/).filter(Boolean);
}

function randomDigits(count: number): string {
  let out = '';
  for (const byte of randomBytes(count)) out += String(byte % 10);
  return out;
}

function errorPage(res: ServerResponse, error: string, message: string): void {
  res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><title>Slack: ${error}</title><h1>Oops! Something went wrong</h1><p data-error="${error}">${message}</p>`);
}
