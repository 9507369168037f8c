import { EventEmitter } from 'eventemitter3';
import type { Logger } from './logger.js';

/**
 * An event emitter whose `emit` is safe: a listener that throws is logged and
 * never harms the emitter or the other listeners.
 */
export class SafeEmitter<Events extends Record<string, unknown[]>> {
  readonly #emitter = new EventEmitter();
  constructor(private readonly logger?: Logger) {}

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.#emitter.listeners(event)) {
      try {
        (listener as (...a: unknown[]) => void)(...args);
      } catch (error) {
        this.logger?.error({ err: error, event }, 'event listener threw');
      }
    }
  }

  removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
