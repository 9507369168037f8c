import pg from 'pg';
import type { Logger } from '../lib/logger.js';
import { errorMessage } from '../lib/errors.js';
import { assertChannelName, scrubDatabaseSecret } from './errors.js';

type Callback = (payload: string) => void;

const RECONNECT_BASE_MS = 500;
const RECONNECT_CAP_MS = 10_000;

/**
 * One dedicated `pg` client for LISTEN, shared by every subscription.
 *
 * States: idle (no client) → connecting → connected. A dropped or failed client
 * goes back to idle and, while anyone is subscribed, a reconnect is scheduled
 * with capped exponential backoff; on connect every channel is LISTENed again.
 * Notifications sent while disconnected are lost: callers must also poll.
 * `close()` ends everything once; later `listen()` calls reject.
 */
export class PgListener {
  readonly #config: pg.ClientConfig;
  /** What to scrub from error messages: the URL or the password. */
  readonly #secret: string;
  readonly #onRestored = new Set<() => void>();
  readonly #logger: Logger;
  readonly #channels = new Map<string, Set<Callback>>();
  #connecting: Promise<pg.Client> | undefined;
  #client: pg.Client | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #isClosed = false;

  constructor(config: pg.ClientConfig, secret: string, logger: Logger) {
    this.#config = { ...config, keepAlive: true };
    this.#secret = secret;
    this.#logger = logger;
  }

  /**
   * Subscribes; resolves once LISTEN is active, to an idempotent unsubscribe.
   * `onRestored` is called after each reconnection (what was notified meanwhile is lost).
   */
  async listen(channel: string, onNotify: Callback, onRestored?: () => void): Promise<() => Promise<void>> {
    assertChannelName(channel);
    if (this.#isClosed) throw new Error('listener is closed');
    let callbacks = this.#channels.get(channel);
    const isNewChannel = callbacks === undefined;
    callbacks ??= new Set();
    this.#channels.set(channel, callbacks);
    const subscription: Callback = (payload) => onNotify(payload);
    callbacks.add(subscription);
    try {
      const client = await this.#connect();
      // A fresh connection LISTENs on every channel already; LISTEN is idempotent anyway.
      if (isNewChannel) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      this.#forget(channel, subscription);
      throw error;
    }
    const restored = onRestored ? (): void => onRestored() : undefined;
    if (restored) this.#onRestored.add(restored);
    let isSubscribed = true;
    return async () => {
      if (!isSubscribed) return;
      isSubscribed = false;
      if (restored) this.#onRestored.delete(restored);
      if (this.#forget(channel, subscription) && this.#client) {
        await this.#client.query(`UNLISTEN "${channel}"`).catch(() => undefined);
      }
    };
  }

  /** Ends the client and every pending reconnect. Idempotent. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    clearTimeout(this.#reconnectTimer);
    this.#channels.clear();
    this.#onRestored.clear();
    const client = this.#client ?? (await this.#connecting?.catch(() => undefined));
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  /** Removes one callback; true when its channel has no callbacks left. */
  #forget(channel: string, callback: Callback): boolean {
    const callbacks = this.#channels.get(channel);
    if (!callbacks) return false;
    callbacks.delete(callback);
    if (callbacks.size > 0) return false;
    this.#channels.delete(channel);
    return true;
  }

  #connect(): Promise<pg.Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#connecting ??= this.#open().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  async #open(): Promise<pg.Client> {
    const client = new pg.Client(this.#config);
    client.on('notification', (message) => this.#dispatch(message.channel, message.payload ?? ''));
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, undefined));
    try {
      await client.connect();
      for (const channel of this.#channels.keys()) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw new Error(`LISTEN connection failed: ${scrubDatabaseSecret(errorMessage(error), this.#secret)}`);
    }
    if (this.#isClosed) {
      await client.end().catch(() => undefined);
      throw new Error('listener is closed');
    }
    this.#client = client;
    this.#failures = 0;
    return client;
  }

  #dispatch(channel: string, payload: string): void {
    for (const callback of this.#channels.get(channel) ?? []) {
      try {
        callback(payload);
      } catch (error) {
        this.#logger.error({ err: error, channel }, 'notification handler threw');
      }
    }
  }

  #lost(client: pg.Client, error: Error | undefined): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    if (this.#isClosed) return;
    this.#logger.warn(
      { error: error ? scrubDatabaseSecret(error.message, this.#secret) : 'connection ended' },
      'LISTEN connection lost; reconnecting',
    );
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#isClosed || this.#channels.size === 0 || this.#reconnectTimer) return;
    const delayMs = Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** this.#failures);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect().then(
        () => {
          this.#logger.info({ channels: [...this.#channels.keys()] }, 'LISTEN connection restored');
          for (const callback of this.#onRestored) {
            try {
              callback();
            } catch (error) {
              this.#logger.error({ err: error }, 'LISTEN restore handler threw');
            }
          }
        },
        (error: unknown) => {
          this.#failures += 1;
          this.#logger.warn({ error: errorMessage(error) }, 'LISTEN reconnect failed');
          this.#scheduleReconnect();
        },
      );
    }, Math.floor(Math.random() * delayMs) + RECONNECT_BASE_MS);
    this.#reconnectTimer.unref?.();
  }
}
