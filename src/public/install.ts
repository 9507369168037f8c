import rateLimit from '@fastify/rate-limit';
import { ErrorCode, InstallProvider, InvalidStateError, LogLevel, type CodedError, type InstallURLOptions, type Logger as SlackLogger, type StateStore } from '@slack/oauth';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OAuthCredentials } from '../config.js';
import type { OAuthStateRepository, StateRefusal } from '../db/oauth-state-store.js';
import type { WorkspaceRepository } from '../db/workspace-repository.js';
import { redactSecrets, type Logger } from '../lib/logger.js';
import { cancelledPage, installedPage, installPage, refusedPage, tooManyPage, type RefusalReason } from './install-pages.js';
import { WorkspaceInstallationStore } from './installation-store.js';
import type { PublicRoutes } from './server.js';

/** @slack/oauth's cookie, which binds a state to the browser that started the install. */
export const STATE_COOKIE = 'slack-app-oauth-state';
const STATE_COOKIE_MAX_AGE_SEC = 600;

export interface InstallRoutesOptions {
  readonly oauth: OAuthCredentials;
  readonly scopes: readonly string[];
  /** `config.slackOrigin`: Slack's authorize page is `${slackOrigin}/oauth/v2/authorize`. */
  readonly slackOrigin: string;
  readonly slackApiUrl: string;
  /** How browsers and Slack reach the public listener (no trailing slash), read per request: known once it listens. */
  readonly publicUrl: () => string;
  /** The distributed app's `xapp-` token: installed workspaces use its Socket Mode connection; unset → `http`. */
  readonly appToken: string | undefined;
  readonly workspaces: WorkspaceRepository;
  readonly states: OAuthStateRepository;
  /** Starts a stored workspace at once (the supervisor reconciles). Failures are logged; the poll catches up. */
  readonly onInstalled: (teamId: string) => Promise<void>;
  readonly logger: Logger;
  /** Requests per address on the install routes (default 30 a minute). */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number };
}

type Refusal = { readonly kind: 'refused'; readonly reason: RefusalReason; readonly detail?: string };
type Outcome = { readonly kind: 'installed'; readonly teamName: string } | Refusal;

/**
 * "Add to Slack": `GET /slack/install` (a page with the link to Slack's
 * authorize URL, and the state cookie) and `GET /slack/oauth_redirect` (state
 * checked against the cookie and used up, code traded by `oauth.v2.access`,
 * the workspace stored with tokens encrypted and started at once). Built on
 * Slack's own InstallProvider with our stores. A refusal stores nothing. The
 * state, the code, the tokens and the client secret never reach a log line or a page.
 */
export function installRoutes(options: InstallRoutesOptions): PublicRoutes {
  const logger = options.logger.child({ component: 'install' });
  const secureCookie = (): boolean => options.publicUrl().startsWith('https:');
  const stateStore = stateStoreOver(options.states);
  const provider = new InstallProvider({
    clientId: options.oauth.clientId,
    clientSecret: options.oauth.clientSecret,
    authorizationUrl: `${options.slackOrigin}/oauth/v2/authorize`,
    stateStore,
    stateCookieName: STATE_COOKIE,
    stateCookieExpirationSeconds: STATE_COOKIE_MAX_AGE_SEC,
    installationStore: new WorkspaceInstallationStore(options.workspaces, options.appToken),
    logger: quietSlackLogger(logger, options.oauth.clientSecret),
    clientOptions: { slackApiUrl: options.slackApiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 },
  });

  const cookie = (value: string, maxAgeSec: number): string =>
    `${STATE_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSec}${secureCookie() ? '; Secure' : ''}`;
  const sendPage = (reply: FastifyReply, status: number, html: string): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').header('set-cookie', cookie('deleted', 0)).send(html);

  async function install(_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const installOptions: InstallURLOptions = { scopes: [...options.scopes], redirectUri: `${options.publicUrl()}/slack/oauth_redirect` };
    const state = await stateStore.generateStateParam(installOptions, new Date());
    const url = await provider.generateInstallUrl(installOptions, true, state);
    return reply.code(200).type('text/html; charset=utf-8').header('set-cookie', cookie(state, STATE_COOKIE_MAX_AGE_SEC)).send(installPage(url));
  }

  async function redirect(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const query = new URL(request.url, 'http://public').searchParams;
    const slackError = query.get('error');
    if (slackError !== null) {
      logger.info({ slack_error: slackError.slice(0, 64) }, 'install not approved at Slack');
      return slackError === 'access_denied' ? sendPage(reply, 200, cancelledPage()) : sendPage(reply, 400, refusedPage('slack-error', slackError.slice(0, 64)));
    }
    let outcome: Outcome = { kind: 'refused', reason: 'store-failed' };
    await provider.handleCallback(request.raw, reply.raw, {
      successAsync: async (installation) => {
        const teamId = installation.team?.id ?? '';
        outcome = { kind: 'installed', teamName: installation.team?.name ?? teamId };
        logger.info({ team: teamId, installed_by: installation.user.id, transport: options.appToken === undefined ? 'http' : 'socket-mode' }, 'workspace installed');
        await options.onInstalled(teamId).catch((error: unknown) => logger.warn({ err: error, team: teamId }, 'install stored; starting it waits for the next reconcile'));
      },
      failureAsync: async (error) => {
        const refusal = refusalOf(error);
        outcome = refusal;
        logger.info({ reason: refusal.reason, code: error.code }, 'install refused');
      },
    });
    reply.raw.removeHeader('set-cookie'); // InstallProvider's own deletion header: ours (SameSite, Secure by URL) replaces it
    const done = outcome as Outcome;
    if (done.kind === 'installed') return sendPage(reply, 200, installedPage(done.teamName));
    const status = done.reason === 'store-failed' ? 503 : 400;
    return sendPage(reply, status, refusedPage(done.reason, done.detail));
  }

  return {
    async register(app: FastifyInstance): Promise<void> {
      await app.register(async (scope) => {
        await scope.register(rateLimit, {
          max: options.rateLimit?.max ?? 30,
          timeWindow: options.rateLimit?.timeWindowMs ?? 60_000,
          errorResponseBuilder: (_request, context) => ({ statusCode: 429, code: 'flotilla_rate_limited', message: `retry in ${context.after}` }),
        });
        scope.setErrorHandler(async (error: { statusCode?: number; code?: string }, _request, reply) => {
          if (error.statusCode === 429) return sendPage(reply, 429, tooManyPage());
          logger.error({ code: error.code }, 'install route failed');
          return sendPage(reply, 500, refusedPage('store-failed'));
        });
        scope.get('/slack/install', install);
        scope.get('/slack/oauth_redirect', redirect);
      });
    },
  };
}

/** @slack/oauth's StateStore over `oauth_states`: a refusal says why (`reason`), for the page. */
function stateStoreOver(states: OAuthStateRepository): StateStore {
  return {
    generateStateParam: (installOptions) => states.issue(installOptions),
    async verifyStateParam(_now, state) {
      const verdict = await states.consume(state);
      if (verdict.ok) return verdict.installOptions as InstallURLOptions;
      throw Object.assign(new InvalidStateError(`install state refused: ${verdict.reason}`), { reason: verdict.reason });
    },
  };
}

/** What page a failure of InstallProvider's callback gets. */
function refusalOf(error: CodedError & { reason?: StateRefusal; data?: { error?: unknown } }): Refusal {
  switch (error.code) {
    case ErrorCode.InvalidStateError:
      return { kind: 'refused', reason: error.reason ?? 'no-cookie' }; // no reason: the cookie did not match, checked before the store
    case ErrorCode.MissingStateError:
    case ErrorCode.MissingCodeError:
      return { kind: 'refused', reason: 'malformed' };
    case 'slack_webapi_platform_error':
      return { kind: 'refused', reason: 'code-refused', detail: String(error.data?.error ?? 'error').slice(0, 64) };
    default:
      return { kind: 'refused', reason: 'store-failed' };
  }
}

/**
 * A logger for InstallProvider and its WebClient that cannot leak: their debug
 * lines (the authorize URL with its state, request bodies with the code and the
 * client secret) are dropped at any level; errors are logged by name and code.
 */
function quietSlackLogger(logger: Logger, clientSecret: string): SlackLogger {
  const scrub = (args: unknown[]): string => redactSecrets(args.map((arg) => arg instanceof Error ? `${arg.name} ${(arg as { code?: string }).code ?? ''}` : String(arg)).join(' '))
    .split(clientSecret).join('[redacted]')
    .replace(/\b(code|state|client_secret)=[^&\s"]*/g, '$1=[redacted]');
  return {
    debug: () => undefined,
    info: (...args: unknown[]) => logger.debug(scrub(args)),
    warn: (...args: unknown[]) => logger.warn(scrub(args)),
    error: (...args: unknown[]) => logger.debug(scrub(args)), // each failure is logged once, by the route, with its reason
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
