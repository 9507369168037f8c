/** A recent inbound event, for operators (no message text: it may be private). `at` is ISO 8601. */
export interface RecentEvent { readonly at: string; readonly kind: string; readonly detail: string }

/** Event types seen every day, kept as one shared string each (a type parsed from JSON is a new string per event). */
const KNOWN_KINDS: ReadonlyMap<string, string> = new Map(
  ['message', 'app_mention', 'slash_command', 'interactive', 'other', 'tokens_revoked', 'app_uninstalled',
    'member_joined_channel', 'member_left_channel', 'channel_created', 'reaction_added', 'reaction_removed',
    'app_home_opened', 'unknown'].map((kind) => [kind, kind]),
);

/**
 * The last `size` inbound events of one workspace, in fixed slots written in
 * turn. Recording one allocates nothing for the usual event types: a worker
 * hears an event every few seconds and keeps it for minutes, and an object
 * per event would reach the old generation only to die there.
 */
export class EventRing {
  readonly #at: Float64Array;
  readonly #kind: string[];
  readonly #detail: string[];
  #next = 0;
  #count = 0;

  constructor(readonly size = 20) {
    this.#at = new Float64Array(size);
    this.#kind = new Array<string>(size).fill('');
    this.#detail = new Array<string>(size).fill('');
  }

  /** Notes an event of type `kind` at `atMs` (epoch ms), overwriting the oldest once full. */
  record(atMs: number, kind: string, detail: string): void {
    this.#at[this.#next] = atMs;
    this.#kind[this.#next] = KNOWN_KINDS.get(kind) ?? kind;
    this.#detail[this.#next] = detail;
    this.#next = (this.#next + 1) % this.size;
    this.#count = Math.min(this.#count + 1, this.size);
  }

  /** The recorded events, oldest first. */
  list(): RecentEvent[] {
    const first = (this.#next - this.#count + this.size) % this.size;
    return Array.from({ length: this.#count }, (_, i) => {
      const slot = (first + i) % this.size;
      return { at: new Date(this.#at[slot] as number).toISOString(), kind: this.#kind[slot] as string, detail: this.#detail[slot] as string };
    });
  }
}
