import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../lib/logger.js';

/**
 * The dashboard's files: next to this module in `dashboard/`, in the sources
 * and in `dist/` alike (`npm run build` copies them), so the installed
 * `flotilla` finds them from any working directory.
 */
export const DASHBOARD_DIR = new URL('./dashboard/', import.meta.url);

/** The page's policy: scripts, styles and fetches from this origin only; no inline script or style, no framing, no forms posted anywhere. */
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');
/** Every other answer (JSON) may not be rendered as a document that loads anything. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface StaticFile { readonly body: Buffer; readonly type: string }

/** Whether `path` is the dashboard page or one of its static files: served without a token, since they hold no fleet data. */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path.startsWith('/dashboard/');
}

/**
 * Sets the security headers of every admin answer, refusals included: install
 * it before the token check. The page's own policy replaces the CSP.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', API_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cross-origin-resource-policy', 'same-origin');
  });
}

/**
 * Serves `GET /` (the page) and `GET /dashboard/<file>` from memory: the
 * files are read once here, and only names found in the folder are served
 * (no path from a request ever reaches the file system). Logs a warning, and
 * serves 404s, when the folder is missing (a build that skipped the copy).
 */
export async function installDashboard(app: FastifyInstance, logger: Logger): Promise<void> {
  const files = await loadFiles(logger);
  const send = async (name: string, reply: FastifyReply): Promise<FastifyReply> => {
    const file = files.get(name);
    if (!file) {
      return reply.code(404).send({ error: { code: 'flotilla_not_found', message: `no dashboard file ${name} (was the package built with npm run build?)` } });
    }
    if (file.type.startsWith('text/html')) reply.header('content-security-policy', DASHBOARD_CSP);
    // Small files, no fleet data: always revalidated, so an upgraded daemon serves its own page.
    return reply.header('cache-control', 'no-cache').type(file.type).send(file.body);
  };
  app.get('/', async (_request, reply) => send('index.html', reply));
  app.get('/dashboard/:file', async (request, reply) => send((request.params as { file: string }).file, reply));
}

async function loadFiles(logger: Logger): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  let names: string[];
  try {
    names = await readdir(DASHBOARD_DIR);
  } catch (error) {
    logger.warn({ err: error, dir: DASHBOARD_DIR.pathname }, 'dashboard files not found: GET / will answer 404');
    return files;
  }
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    files.set(name, { body: await readFile(new URL(name, DASHBOARD_DIR)), type });
  }
  return files;
}
