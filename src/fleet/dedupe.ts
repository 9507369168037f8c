/**
 * Remembers recently seen keys (message keys: channel and ts, or a digest of
 * an edit) for `ttlMs`, at most `capacity` of them: a Slack retry or the
 * `message` + `app_mention` pair is handled once without a database round trip.
 *
 * Times are kept as whole seconds since this instance was made, which V8
 * stores inline (a millisecond `Date.now()` would be a fresh heap number per
 * key); a key is therefore remembered for `ttlMs` rounded to the second.
 */
export class RecentKeys {
  readonly #seen = new Map<string, number>();
  readonly #ttlSeconds: number;
  #origin: number | undefined;

  constructor(private readonly capacity = 2_000, ttlMs = 15 * 60_000) {
    this.#ttlSeconds = Math.max(1, Math.round(ttlMs / 1000));
  }

  /** True the first time `key` is offered within the window; false for a repeat. */
  firstTime(key: string, now = Date.now()): boolean {
    this.#origin ??= now;
    const second = Math.floor((now - this.#origin) / 1000);
    const at = this.#seen.get(key);
    if (at !== undefined && second - at < this.#ttlSeconds) return false;
    this.#seen.delete(key);
    this.#seen.set(key, second);
    if (this.#seen.size > this.capacity) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }
}
