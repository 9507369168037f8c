/**
 * Remembers recently seen keys (Slack event ids, message keys) for `ttlMs`,
 * at most `capacity` of them: a Slack retry or the `message` + `app_mention`
 * pair is handled once without a database round trip.
 */
export class RecentKeys {
  readonly #seen = new Map<string, number>();
  constructor(private readonly capacity = 2_000, private readonly ttlMs = 15 * 60_000) {}

  /** True the first time `key` is offered within the window; false for a repeat. */
  firstTime(key: string, now = Date.now()): boolean {
    const at = this.#seen.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.#seen.delete(key);
    this.#seen.set(key, now);
    if (this.#seen.size > this.capacity) {
      const oldest = this.#seen.keys().next().value as string;
      this.#seen.delete(oldest);
    }
    return true;
  }
}
