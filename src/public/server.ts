import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger.js';

/** One family of Slack-facing routes (the install pages, the events endpoint), registered into the public listener. */
export interface PublicRoutes {
  /** Adds its routes (and any plugin they need, scoped with `app.register`). */
  register(app: FastifyInstance): Promise<void> | void;
}

export interface PublicServerOptions {
  readonly host: string;
  /** 0 = any free port. */
  readonly port: number;
  /** `FLOTILLA_PUBLIC_URL`: HSTS is sent when it is https (the TLS proxy's origin). */
  readonly publicUrl: string;
  readonly routes: readonly PublicRoutes[];
  readonly logger: Logger;
}

/** A listening public server. */
export interface PublicServer {
  /** `http://host:port` as bound (port 0 resolved). */
  readonly url: string;
  /** Stops accepting requests and finishes the ones under way. Idempotent. */
  close(): Promise<void>;
}

/** Slack's payloads are small; anything larger is refused with 413 before it is read whole. */
export const PUBLIC_BODY_LIMIT_BYTES = 1024 * 1024;

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Starts the Slack-facing listener (`FLOTILLA_PUBLIC_ADDR`): only the routes
 * given, never an admin route. Every request body is kept raw, as a Buffer
 * in `request.body` (Slack's signature covers the exact bytes, so a route
 * verifies first and parses after). Bodies over 1 MB get 413. Each response
 * carries security headers. One log line per request with its path only:
 * query strings (OAuth `code` and `state`) and bodies are never logged.
 * Rejects when it cannot listen.
 */
export async function startPublicServer(options: PublicServerOptions): Promise<PublicServer> {
  const logger = options.logger.child({ component: 'public' });
  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: PUBLIC_BODY_LIMIT_BYTES,
    // Behind the TLS proxy the client's address (rate limits) comes from X-Forwarded-For, believed
    // only from a proxy on loopback or a private network: a client reaching us directly cannot forge it.
    trustProxy: 'loopback,linklocal,uniquelocal',
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const isHttps = options.publicUrl.startsWith('https:');
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', PAGE_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cache-control', 'no-store');
    if (isHttps) reply.header('strict-transport-security', 'max-age=31536000');
  });
  app.addHook('onResponse', async (request, reply) => {
    const line = { method: request.method, path: request.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (reply.statusCode >= 400) logger.info(line, 'public request');
    else logger.debug(line, 'public request');
  });
  // Never echo a request back: the body may be a forged or secret-bearing payload.
  app.setErrorHandler(async (error: { statusCode?: number; code?: string }, _request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) logger.error({ code: error.code }, 'public request failed');
    return reply.code(status).type('text/plain; charset=utf-8').send(status === 413 ? 'Payload Too Large' : status >= 500 ? 'Internal Server Error' : 'Bad Request');
  });
  app.setNotFoundHandler(async (_request, reply) => reply.code(404).type('text/plain; charset=utf-8').send('Not Found'));
  for (const routes of options.routes) await routes.register(app);
  await app.listen({ host: options.host, port: options.port }).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    throw new Error(`public listener cannot listen on ${options.host}:${options.port}${code === 'EADDRINUSE' ? ': address in use (set FLOTILLA_PUBLIC_ADDR)' : ''}`, { cause: error });
  });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `http://${options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  logger.info({ url, public_url: options.publicUrl }, 'public listener up');
  let closing: Promise<void> | undefined;
  return { url, close: () => (closing ??= app.close()) };
}
