import { FlotillaError } from '../lib/errors.js';
import { adminTokenPath, adminUrlPath, readTrimmed } from './admin-files.js';
import type { AddWorkspaceBody, ErrorBody, ImportResultView, ImportRowBody, HealthView, InstanceView, ReadyView, WorkspaceView } from './api-types.js';

/** The admin API refused a call, or could not be reached. The message is one line, fit for a terminal. */
export class AdminClientError extends FlotillaError {
  readonly code = 'flotilla_admin';
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Where a running daemon is and how to prove we may talk to it. */
export interface AdminTarget {
  readonly url: string;
  readonly token: string;
  /** Where `url` came from, for error messages. */
  readonly urlSource: string;
}

/** What the CLI knows from its configuration. */
export interface AdminSettings {
  readonly dataDir: string;
  readonly adminUrl: string;
  readonly isAdminUrlSet: boolean;
  readonly adminToken: string | undefined;
}

/**
 * Finds the daemon: `FLOTILLA_ADMIN_URL` when set, else the URL the daemon
 * wrote into `$FLOTILLA_DATA_DIR/admin-url` when it started listening, else
 * the default. The token: `FLOTILLA_ADMIN_TOKEN`, else the one the daemon
 * generated into `$FLOTILLA_DATA_DIR/admin-token`. Rejects with
 * AdminClientError when no token can be found; never creates one.
 */
export async function resolveAdminTarget(settings: AdminSettings): Promise<AdminTarget> {
  const urlFile = adminUrlPath(settings.dataDir);
  const written = settings.isAdminUrlSet ? undefined : await readTrimmed(urlFile).catch(() => undefined);
  const url = (settings.isAdminUrlSet ? settings.adminUrl : written ?? settings.adminUrl).replace(/\/+$/, '');
  const urlSource = settings.isAdminUrlSet ? 'FLOTILLA_ADMIN_URL' : written !== undefined ? urlFile : 'the default FLOTILLA_ADMIN_URL';
  if (settings.adminToken !== undefined) return { url, token: settings.adminToken, urlSource };
  const tokenFile = adminTokenPath(settings.dataDir);
  let token: string | undefined;
  try {
    token = await readTrimmed(tokenFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new AdminClientError(`cannot read the admin token in ${tokenFile} (${code}); run as the daemon's user or set FLOTILLA_ADMIN_TOKEN`);
  }
  if (token === undefined) {
    throw new AdminClientError(`no admin token: FLOTILLA_ADMIN_TOKEN is unset and ${tokenFile} does not exist (set FLOTILLA_DATA_DIR to the daemon's data dir, or FLOTILLA_ADMIN_TOKEN)`);
  }
  return { url, token, urlSource };
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** An import of 10,000 rows at Slack's pace takes minutes. */
const IMPORT_TIMEOUT_MS = 15 * 60_000;

/**
 * The admin API over HTTP: what the CLI (and the demo) use to reach a
 * running daemon. Every method rejects with AdminClientError carrying a
 * one-line message: unreachable daemon, refused token, or the daemon's own
 * `{error: {message}}`.
 */
export class AdminClient {
  constructor(private readonly target: AdminTarget, private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

  get url(): string { return this.target.url; }

  health(): Promise<HealthView> {
    return this.#request<HealthView>('GET', '/healthz');
  }

  /** Readiness; a 503 "not ready" answer resolves too (it is an answer, not a failure). */
  ready(): Promise<ReadyView> {
    return this.#request<ReadyView>('GET', '/readyz', { okStatuses: [200, 503] });
  }

  async listWorkspaces(): Promise<WorkspaceView[]> {
    return (await this.#request<{ workspaces: WorkspaceView[] }>('GET', '/v1/workspaces')).workspaces;
  }

  /** The instances sharing the daemon's database (`isSelf`: the one answering). */
  async listInstances(): Promise<InstanceView[]> {
    return (await this.#request<{ instances: InstanceView[] }>('GET', '/v1/instances')).instances;
  }

  /** Resolves to the new workspace's team id. */
  async addWorkspace(body: AddWorkspaceBody): Promise<string> {
    return (await this.#request<{ teamId: string }>('POST', '/v1/workspaces', { body })).teamId;
  }

  /**
   * Many workspaces in one call; resolves to one result per row (team id or
   * the reason it was refused). Waits up to IMPORT_TIMEOUT_MS: the daemon
   * checks every row with Slack before it answers.
   */
  async importWorkspaces(rows: readonly ImportRowBody[]): Promise<ImportResultView['results']> {
    return (await this.#request<ImportResultView>('POST', '/v1/workspaces/import', { body: { rows }, timeoutMs: IMPORT_TIMEOUT_MS })).results;
  }

  /** Restarts one team's connection, or every one (`'all'`); resolves to how many. */
  async restartWorkspace(teamId: string): Promise<number> {
    return (await this.#request<{ restarted: number }>('POST', `/v1/workspaces/${encodeURIComponent(teamId)}/restart`)).restarted;
  }

  async removeWorkspace(teamId: string, options: { revoke: boolean; actor?: string }): Promise<void> {
    const query = new URLSearchParams({ revoke: String(options.revoke), ...(options.actor ? { actor: options.actor } : {}) });
    await this.#request('DELETE', `/v1/workspaces/${encodeURIComponent(teamId)}?${query.toString()}`);
  }

  /** The Prometheus text of `/metrics`. */
  metrics(): Promise<string> {
    return this.#request<string>('GET', '/metrics', { isText: true });
  }

  async #request<T>(method: string, path: string, options: { body?: unknown; okStatuses?: number[]; isText?: boolean; timeoutMs?: number } = {}): Promise<T> {
    const { url, token, urlSource } = this.target;
    let response: { status: number; text: string };
    try {
      response = await httpRequest(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(options.body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        timeoutMs: options.timeoutMs ?? this.timeoutMs,
      });
    } catch (error) {
      throw new AdminClientError(`cannot reach the flotilla daemon at ${url} (${whyUnreachable(error)}); is \`flotilla start\` running? (address from ${urlSource})`, undefined, { cause: error });
    }
    const { status, text } = response;
    const isOk = (options.okStatuses ?? []).includes(status) || (status >= 200 && status < 300);
    if (isOk && options.isText) return text as T;
    const json = parseJson(text);
    if (isOk && json !== undefined) return json as T;
    const message = (json as Partial<ErrorBody> | undefined)?.error?.message;
    if (message) throw new AdminClientError(status === 401 ? `the daemon refused the admin token: ${message}` : message, status);
    throw new AdminClientError(`unexpected answer from ${url}${path.split('?')[0]} (HTTP ${status}); is ${urlSource} pointing at flotilla?`, status);
  }
}

/**
 * One HTTP(S) request with node:http, resolving to the status and body text.
 * Not `fetch`: loading its implementation costs a short CLI run more than
 * everything else it does.
 */
async function httpRequest(
  url: string, options: { method: string; headers: Record<string, string>; body: string | undefined; timeoutMs: number },
): Promise<{ status: number; text: string }> {
  const { request } = url.startsWith('https:') ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method, headers: options.headers, timeout: options.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(options.body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function whyUnreachable(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'no answer in time';
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code === 'ECONNREFUSED' ? 'connection refused' : code;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code === 'ECONNREFUSED' ? 'connection refused' : cause.code;
  if (typeof cause?.message === 'string' && cause.message !== '') return cause.message;
  return error instanceof Error ? error.message : String(error);
}
