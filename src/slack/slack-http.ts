import { ErrorCode } from '@slack/web-api';
import { Pool } from 'undici';

/** A failed Web API call, shaped like `@slack/web-api`'s errors (same `code`s), so one classifier serves both. */
export class SlackHttpError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: {
      readonly data?: { ok: false; error: string };
      readonly retryAfter?: number;
      readonly statusCode?: number;
      /** The request never reached Slack (refused, no route, no DNS): safe to send again. */
      readonly isUnsent?: boolean;
    } = {},
  ) {
    super(message);
    this.name = 'SlackHttpError';
    Object.assign(this, extra);
  }
}

/** How a call ended, for metrics. */
export type CallOutcome = 'ok' | 'error' | 'ratelimited';

export interface SlackHttpOptions {
  readonly slackApiUrl: string;
  readonly timeoutMs?: number;
  readonly userAgent?: string;
  /** Told about every call (method and outcome); never about tokens. */
  readonly onCall?: (method: string, outcome: CallOutcome) => void;
}

/**
 * The Web API over one keep-alive `undici` connection pool for the fleet.
 * Why undici and not `node:http`: per call it builds no `ClientRequest`,
 * `IncomingMessage` or stream pair, and in the daemon those objects outlived
 * young-generation collections (measured at 1,000 workspaces and 200
 * replies/s: ~2.3 MB kept per collection with `node:http`, ~0.6 MB with
 * undici), which kept the collector busy. No retries: callers own them.
 */
export class SlackHttp {
  readonly #base: URL;
  readonly #pool: Pool;
  readonly #paths = new Map<string, string>();
  readonly #timeoutMs: number;

  constructor(private readonly options: SlackHttpOptions) {
    this.#base = new URL(options.slackApiUrl);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    // undici checks these about every half second: a call times out within a second of timeoutMs.
    this.#pool = new Pool(this.#base.origin, { connections: 128, headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
  }

  /** Calls `method` with `token`; resolves to Slack's answer when `ok`, rejects with SlackHttpError otherwise. */
  async call<T>(method: string, token: string, params: Record<string, unknown> = {}): Promise<T> {
    try {
      const answer = await this.#post(method, token, encode(params));
      this.options.onCall?.(method, 'ok');
      return answer as T;
    } catch (error) {
      this.options.onCall?.(method, (error as { code?: unknown }).code === ErrorCode.RateLimitedError ? 'ratelimited' : 'error');
      throw error;
    }
  }

  /** Closes the pool's sockets, ending any call still in flight. */
  async close(): Promise<void> {
    await this.#pool.destroy();
  }

  async #post(method: string, token: string, body: string): Promise<unknown> {
    let path = this.#paths.get(method);
    if (path === undefined) {
      path = new URL(method, this.#base).pathname;
      this.#paths.set(method, path);
    }
    try {
      const response = await this.#pool.request({
        path,
        method: 'POST',
        body,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'user-agent': this.options.userAgent ?? 'flotilla',
        },
      });
      const text = await response.body.text();
      return answerOf(method, response.statusCode, response.headers['retry-after'], text);
    } catch (error) {
      if (error instanceof SlackHttpError) throw error;
      throw requestError(method, error as Error, this.#timeoutMs);
    }
  }
}

function answerOf(method: string, status: number, retryAfter: string | string[] | undefined, text: string): unknown {
  if (status === 429) {
    const seconds = Number(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter);
    throw new SlackHttpError(ErrorCode.RateLimitedError, `${method}: rate limited`, { retryAfter: Number.isFinite(seconds) ? seconds : 1 });
  }
  if (status !== 200) throw new SlackHttpError(ErrorCode.HTTPError, `${method}: HTTP ${status}`, { statusCode: status });
  let answer: { ok?: unknown; error?: unknown };
  try {
    answer = JSON.parse(text) as { ok?: unknown; error?: unknown };
  } catch {
    throw new SlackHttpError(ErrorCode.HTTPError, `${method}: answer is not JSON`, { statusCode: status });
  }
  if (answer.ok !== true) {
    const error = typeof answer.error === 'string' ? answer.error : 'unknown_error';
    throw new SlackHttpError(ErrorCode.PlatformError, `${method}: ${error}`, { data: { ok: false, error } });
  }
  return answer;
}

/** Network errors that happen before a request leaves: anything else (a timeout, a reset) may have been acted on. */
const UNSENT: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

const TIMEOUTS: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** `cause` may come from another realm (a test VM), so it is read by its fields, not by instanceof. */
function requestError(method: string, cause: Error, timeoutMs: number): SlackHttpError {
  const code = String((cause as { code?: unknown }).code);
  const isUnsent = UNSENT.has(code);
  const what = TIMEOUTS.has(code) ? `timed out after ${timeoutMs} ms` : cause.message;
  const error = new SlackHttpError(ErrorCode.RequestError, `${method}: ${what}`, { isUnsent });
  error.cause = cause;
  return error;
}

/** Form encoding as Slack expects it: objects and arrays (blocks) as JSON text. */
function encode(params: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    form.append(key, typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value));
  }
  return form.toString();
}
