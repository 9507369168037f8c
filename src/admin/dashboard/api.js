// @ts-check
/**
 * The dashboard's only way to the daemon: the token-protected admin API with
 * the bearer header (never a cookie, never the token in a URL), and the live
 * stream read through fetch(), since EventSource cannot send headers.
 */

/** The daemon refused the token (401). */
export class UnauthorizedError extends Error {}

/** The daemon answered, but with an error: `status` and its message. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The daemon could not be reached (network error, stream cut). */
export class UnreachableError extends Error {}

export class Api {
  /** @param {string} token */
  constructor(token) {
    this.token = token;
  }

  /**
   * GET a JSON route. Resolves to the parsed body; rejects with
   * UnauthorizedError, ApiError (with status) or UnreachableError.
   * @param {string} path
   * @returns {Promise<any>}
   */
  get(path) {
    return this.#call('GET', path);
  }

  /** @param {string} path @returns {Promise<any>} */
  post(path) {
    return this.#call('POST', path);
  }

  /**
   * Reads the server-sent events of `GET /v1/stream`, calling `onEvent(name, data)`
   * for each; resolves when the stream ends, rejects like `get` (or on abort).
   * @param {(name: string, data: any) => void} onEvent
   * @param {AbortSignal} signal
   */
  async stream(onEvent, signal) {
    const response = await this.#fetch('GET', '/v1/stream', signal);
    if (!response.body) throw new UnreachableError('the stream has no body');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw new UnreachableError(`the stream was cut: ${String(error)}`);
      }
      if (chunk.done) return;
      buffer += chunk.value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const parsed = parseEvent(block);
        if (parsed) onEvent(parsed.name, parsed.data);
      }
    }
  }

  /** @param {string} method @param {string} path */
  async #call(method, path) {
    const response = await this.#fetch(method, path);
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, `the daemon answered something that is not JSON (${response.status})`);
    }
  }

  /** @param {string} method @param {string} path @param {AbortSignal} [signal] */
  async #fetch(method, path, signal) {
    let response;
    try {
      response = await fetch(path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, accept: method === 'GET' && path === '/v1/stream' ? 'text/event-stream' : 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
        signal,
      });
    } catch (error) {
      throw new UnreachableError(`cannot reach the daemon (${String(error)})`);
    }
    if (response.status === 401) throw new UnauthorizedError(await errorMessage(response));
    if (!response.ok) throw new ApiError(response.status, await errorMessage(response));
    return response;
  }
}

/** @param {Response} response */
async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body && body.error && typeof body.error.message === 'string') return body.error.message;
  } catch {
    // Not JSON: say what we know.
  }
  return `the daemon answered ${response.status}`;
}

/** @param {string} block @returns {{name: string, data: any} | undefined} */
function parseEvent(block) {
  let name = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (data.length === 0) return undefined;
  try {
    return { name, data: JSON.parse(data.join('\n')) };
  } catch {
    return undefined;
  }
}
