// @ts-check
/**
 * Keeps the page live: loads the full picture, then follows `GET /v1/stream`.
 * When the stream ends, errs or stays silent for 10 s (the daemon ticks every second),
 * it says the daemon is lost, retries with growing pauses (1 s → 5 s), and
 * says when it is back. A 401 at any point hands over to `onUnauthorized`.
 */
import { UnauthorizedError } from './api.js';
import { clock, duration } from './format.js';

/**
 * No tick for this long: the daemon (or the way to it) is gone. Ticks come
 * every second; a daemon reconnecting 10,000 sockets on a loaded machine has
 * been seen silent for over 5 s while well.
 */
const SILENCE_MS = 10_000;
/** The full list is read again this often, to catch anything the stream missed (it carries the whole fleet's changes). */
const FULL_RELOAD_MS = 30_000;

/**
 * @typedef {{
 *   loadAll: () => Promise<void>,
 *   onEvent: (name: string, data: any) => void,
 *   onUnauthorized: (message: string) => void,
 *   setStatus: (text: string, kind: 'live' | 'lost' | 'back' | 'loading') => void,
 * }} LiveHooks
 */

export class LiveConnection {
  #isStopped = false;
  /** @type {AbortController | undefined} */ #current;

  /** @param {() => import('./api.js').Api} api @param {LiveHooks} hooks */
  constructor(api, hooks) {
    this.api = api;
    this.hooks = hooks;
  }

  /** Runs until `stop()`; never rejects. */
  async run() {
    /** @type {number | null} */
    let lostAt = null;
    let pauseMs = 1_000;
    while (!this.#isStopped) {
      const controller = new AbortController();
      this.#current = controller;
      try {
        await this.hooks.loadAll();
        if (lostAt === null) this.hooks.setStatus(`Live since ${clock(Date.now())}`, 'live');
        else this.hooks.setStatus(`Back: the daemon answers again (lost at ${clock(lostAt)}, for ${duration(Date.now() - lostAt)}).`, 'back');
        lostAt = null;
        pauseMs = 1_000;
        await this.#follow(controller);
      } catch (error) {
        if (error instanceof UnauthorizedError) {
          this.hooks.onUnauthorized(error.message);
          return;
        }
      } finally {
        controller.abort();
      }
      if (this.#isStopped) return;
      lostAt ??= Date.now();
      this.hooks.setStatus(`Lost the daemon at ${clock(lostAt)}; retrying… (the table shows what was last known)`, 'lost');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      pauseMs = Math.min(5_000, pauseMs * 2);
    }
  }

  stop() {
    this.#isStopped = true;
    this.#current?.abort();
  }

  /** Follows the stream until it ends, errs, or goes silent. @param {AbortController} controller */
  async #follow(controller) {
    let lastHeard = Date.now();
    let lastReload = Date.now();
    const watchdog = setInterval(() => {
      if (Date.now() - lastHeard > SILENCE_MS) controller.abort();
    }, 1_000);
    try {
      await this.api().stream((name, data) => {
        lastHeard = Date.now();
        this.hooks.onEvent(name, data);
        if (name === 'stats' && Date.now() - lastReload > FULL_RELOAD_MS) {
          lastReload = Date.now();
          this.hooks.loadAll().catch((error) => {
            if (error instanceof UnauthorizedError) controller.abort();
          });
        }
      }, controller.signal);
    } finally {
      clearInterval(watchdog);
    }
  }
}
