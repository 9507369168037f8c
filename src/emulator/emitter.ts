/**
 * A tiny typed event emitter with a safe emit: a listener that throws is reported on stderr
 * and never harms the emulator or the other listeners.
 */
export class TypedEmitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Adds `listener` for `event`; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => this.off(event, listener);
  }

  /** Removes `listener` for `event` (no-op when absent). */
  off<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): void {
    this.#listeners.get(event)?.delete(listener as (payload: never) => void);
  }

  /** Calls every listener of `event`; never throws. */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch (error) {
        process.stderr.write(`emulator: a '${String(event)}' listener threw: ${String(error)}\n`);
      }
    }
  }

  /** Removes every listener. */
  protected removeAllListeners(): void {
    this.#listeners.clear();
  }
}
