import { EventEmitter } from 'eventemitter3';
import type { Logger } from './logger.js';

/**
 * A typed event emitter whose emit is safe: a listener that throws is logged
 * and never harms the emitter or the other listeners. Listeners are wrapped
 * once, when added, so an emit (several per Slack event) costs no more than
 * eventemitter3's own.
 */
export class SafeEmitter<Events extends Record<string, unknown[]>> {
  readonly #emitter = new EventEmitter();
  constructor(private readonly logger?: Logger) {}

  /** Adds a listener; resolves nothing, returns a function that removes it. */
  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): () => void {
    const guarded = (...args: unknown[]): void => {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'event listener threw');
      }
    };
    this.#emitter.on(event, guarded);
    return () => this.#emitter.off(event, guarded);
  }

  emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    this.#emitter.emit(event, ...args);
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
