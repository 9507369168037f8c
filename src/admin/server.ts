import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { InvalidInputError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { withTimeout } from '../lib/abort.js';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { MAX_IMPORT_ROWS, type ImportResultView, type ImportRowBody } from './api-types.js';
import type { AddWorkspaceBody, HealthView, InstanceView, ReadyView, StatsView, WorkspaceDetailView, WorkspaceView } from './api-types.js';
import { checkBearer } from './auth.js';
import { removeAdminUrl, writeAdminUrl } from './admin-files.js';
import { installDashboard, installSecurityHeaders, isDashboardPath } from './dashboard.js';
import { EventStream } from './event-stream.js';
import type { FleetStats } from './fleet-stats.js';
import { toErrorReply } from './http-errors.js';
import type { FleetMetrics } from './metrics.js';
import { registerTeamDataRoutes, type TeamDataSources } from './team-data-routes.js';
import type { WorkspaceService } from './workspace-service.js';

export interface AdminServerOptions {
  readonly host: string;
  /** 0 = any free port; the bound URL is logged and written to `dataDir/admin-url`. */
  readonly port: number;
  readonly token: string;
  readonly dataDir: string;
  readonly workspaces: WorkspaceService;
  readonly metrics: FleetMetrics;
  /** This instance's traffic over time (`GET /v1/stats`, the live stream). */
  readonly stats: FleetStats;
  /** The fleet's events: the live stream sends the rows they change. */
  readonly events: SafeEmitter<FleetEvents>;
  /** Readiness checks: database reachable, supervisor running. */
  readonly isDatabaseUp: () => Promise<boolean>;
  readonly isSupervisorRunning: () => boolean;
  readonly version: string;
  readonly instanceId: string;
  readonly logger: Logger;
  /** The team's own data (leave, tasks) for `/v1/workspaces/:team/leave|tasks`; absent = no such routes. */
  readonly teamData?: TeamDataSources;
}

/** A listening admin server. */
export interface AdminServer {
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  /** Stops accepting requests, finishes the ones under way, removes the admin-url file. Idempotent. */
  close(): Promise<void>;
}

const OPEN_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);
const TEAM_ID = /^[TE][A-Z0-9]{2,30}$/;
const READY_TIMEOUT_MS = 2_000;

const addBodySchema = {
  type: 'object',
  required: ['botToken'],
  additionalProperties: false,
  properties: {
    botToken: { type: 'string', minLength: 1, maxLength: 512 },
    appToken: { type: 'string', minLength: 1, maxLength: 512 },
    transport: { type: 'string', enum: ['socket-mode', 'rtm', 'http'] },
  },
} as const;

const importBodySchema = {
  type: 'object',
  required: ['rows'],
  additionalProperties: false,
  properties: {
    rows: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_IMPORT_ROWS,
      items: {
        // Shapes only: a bad value (a token without its prefix, an unknown transport) refuses its row, not the import.
        type: 'object',
        required: ['botToken'],
        additionalProperties: false,
        properties: {
          row: { type: 'integer', minimum: 1 },
          botToken: { type: 'string', maxLength: 512 },
          appToken: { type: 'string', maxLength: 512 },
          transport: { type: 'string', maxLength: 32 },
        },
      },
    },
  },
} as const;
/** Room for MAX_IMPORT_ROWS rows of the longest tokens. */
const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

const removeQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    revoke: { type: 'boolean' },
    actor: { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

/**
 * Starts the admin HTTP API (health, readiness, Prometheus metrics, workspace
 * operations, the dashboard and its live stream). Every route but `/healthz`,
 * `/readyz` and the dashboard's page and files (`GET /`, `/dashboard/…`: no
 * fleet data) needs `Authorization: Bearer <token>`; no cookie is ever
 * accepted, so no other site can make a browser act with it (CSRF). Every
 * failure answers JSON `{error: {code, message}}`. Rejects when it cannot
 * listen.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const logger = options.logger.child({ component: 'admin' });
  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }), // one line per request, from onResponse
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only: anything else is a 415, not a confusing schema error
  installSecurityHeaders(app);
  installHooks(app, options, logger);
  await installDashboard(app, logger);
  installRoutes(app, options);
  const stream = new EventStream({
    events: options.events, stats: options.stats, statusOf: (teamId) => options.workspaces.statusOf(teamId),
    fleetChanges: options.workspaces.fleetChanges, instanceId: options.instanceId, logger,
  });
  app.get('/v1/stream', async (_request, reply) => stream.attach(reply));
  app.addHook('preClose', async () => stream.close()); // open streams would hold the close forever
  if (options.teamData) registerTeamDataRoutes(app, options.teamData);
  await app.listen({ host: options.host, port: options.port }).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    throw new Error(`admin API cannot listen on ${options.host}:${options.port}${code === 'EADDRINUSE' ? ': address in use (set FLOTILLA_ADMIN_ADDR)' : ''}`, { cause: error });
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  const url = `http://${host}:${port}`;
  await writeAdminUrl(options.dataDir, url);
  logger.info({ url, port }, 'admin API listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close: () => (closing ??= (async () => {
      await app.close();
      await removeAdminUrl(options.dataDir, url);
    })()),
  };
}

function installHooks(app: FastifyInstance, options: AdminServerOptions, logger: Logger): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (OPEN_PATHS.has(path) || ((request.method === 'GET' || request.method === 'HEAD') && isDashboardPath(path))) return;
    const problem = checkBearer(request.headers.authorization, options.token);
    if (problem === undefined) return;
    await reply.code(401).header('www-authenticate', 'Bearer realm="flotilla"')
      .send({ error: { code: 'flotilla_unauthorized', message: problem } });
  });
  app.addHook('onResponse', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    const team = (request.params as { team?: unknown } | undefined)?.team;
    const line = {
      method: request.method, path, status: reply.statusCode, ms: Math.round(reply.elapsedTime),
      ...(typeof team === 'string' && team !== 'all' ? { team_id: team } : {}),
    };
    // Operator actions at info; reads (an open dashboard polls some every few seconds) at debug, unless refused.
    if ((path.startsWith('/v1/') && request.method !== 'GET') || reply.statusCode >= 400) logger.info(line, 'admin request');
    else logger.debug(line, 'admin request');
  });
  app.setErrorHandler(async (error, request, reply) => {
    const answer = toErrorReply(error);
    if (answer.isInternal) logger.error({ err: error, path: request.url.split('?')[0], response: answer.body.error.message }, 'admin request failed');
    await reply.code(answer.status).send(answer.body);
  });
  app.setNotFoundHandler(async (request, reply) => {
    await reply.code(404).send({ error: { code: 'flotilla_not_found', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}

function installRoutes(app: FastifyInstance, options: AdminServerOptions): void {
  const startedAt = new Date();
  app.get('/healthz', async (): Promise<HealthView> => ({
    status: 'ok', version: options.version, instance: options.instanceId, startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  }));
  app.get('/readyz', async (_request, reply) => {
    const database = await withTimeout(options.isDatabaseUp().catch(() => false), READY_TIMEOUT_MS, false);
    const supervisor = options.isSupervisorRunning();
    const view: ReadyView = {
      status: database && supervisor ? 'ready' : 'not_ready',
      checks: { database: database ? 'ok' : 'failing', supervisor: supervisor ? 'ok' : 'failing' },
    };
    return reply.code(view.status === 'ready' ? 200 : 503).send(view);
  });
  app.get('/metrics', async (_request, reply) => reply.type(options.metrics.contentType).send(await options.metrics.render()));
  app.get('/v1/stats', async (): Promise<StatsView> => options.stats.view());
  app.get('/v1/workspaces', async (): Promise<{ workspaces: WorkspaceView[] }> => ({ workspaces: await options.workspaces.list() }));
  app.get('/v1/workspaces/:team', async (request: FastifyRequest<{ Params: { team: string } }>): Promise<{ workspace: WorkspaceDetailView }> =>
    ({ workspace: await options.workspaces.get(teamParam(request.params.team, false)) }));
  app.get('/v1/instances', async (): Promise<{ instances: InstanceView[] }> => ({ instances: await options.workspaces.instances() }));
  app.post('/v1/workspaces', { schema: { body: addBodySchema } }, async (request: FastifyRequest<{ Body: AddWorkspaceBody }>, reply: FastifyReply) => {
    const teamId = await options.workspaces.add(request.body);
    return reply.code(201).send({ teamId });
  });
  app.post('/v1/workspaces/import', { schema: { body: importBodySchema }, bodyLimit: IMPORT_BODY_LIMIT },
    async (request: FastifyRequest<{ Body: { rows: ImportRowBody[] } }>): Promise<ImportResultView> => ({
      results: await options.workspaces.importMany(request.body.rows.map((row, i) => ({ ...row, row: row.row ?? i + 1 }))),
    }));
  app.delete('/v1/workspaces/:team', { schema: { querystring: removeQuerySchema } },
    async (request: FastifyRequest<{ Params: { team: string }; Querystring: { revoke?: boolean; actor?: string } }>) => {
      const teamId = teamParam(request.params.team, false);
      const revoke = request.query.revoke === true;
      await options.workspaces.remove(teamId, { revoke, actor: request.query.actor ?? 'admin-api' });
      return { teamId, removed: true, revoked: revoke };
    });
  app.post('/v1/workspaces/:team/restart', async (request: FastifyRequest<{ Params: { team: string } }>, reply: FastifyReply) => {
    const teamId = teamParam(request.params.team, true);
    const restarted = await options.workspaces.restart(teamId);
    return reply.code(202).send({ restarted });
  });
}

function teamParam(team: string, isAllAllowed: boolean): string {
  if (isAllAllowed && team === 'all') return team;
  if (!TEAM_ID.test(team)) {
    throw new InvalidInputError(`"${team.slice(0, 40)}" is not a Slack team id (like T0123ABCD)${isAllAllowed ? ' or "all"' : ''}`);
  }
  return team;
}
