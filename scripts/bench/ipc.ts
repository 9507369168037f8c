/**
 * A small request/response channel over Node's IPC (`fork` + `process.send`), so the bench
 * orchestrator can drive the emulator and each contender in their own processes.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** What a child answers to; each handler gets the request argument and may be async. */
export type Handlers = Readonly<Record<string, (arg: unknown) => unknown>>;

interface Request { readonly id: number; readonly method: string; readonly arg: unknown }
interface Response { readonly id: number; readonly result?: unknown; readonly error?: string }

/** In a forked child: answers requests with `handlers`, then tells the parent it is ready. */
export function serve(handlers: Handlers): void {
  process.on('message', (message: Request) => {
    const handler = handlers[message.method];
    void (async () => {
      try {
        if (handler === undefined) throw new Error(`no handler for ${message.method}`);
        const result = await handler(message.arg);
        process.send?.({ id: message.id, result } satisfies Response);
      } catch (error) {
        process.send?.({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) } satisfies Response);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ ready: true });
}

/** The parent's handle on a forked child that runs {@link serve}. */
export class ChildHandle {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  readonly exited: Promise<number | null>;
  #nextId = 1;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`child ${child.pid} exited (${code})`));
      this.#pending.clear();
      resolve(code);
    }));
    child.on('message', (message: Response) => {
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
  }

  /** Forks `modulePath` with `args` and node flags `execArgv`; resolves once it is serving. */
  static async start(modulePath: string, args: readonly string[], options: { execArgv?: readonly string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ChildHandle> {
    const child = fork(modulePath, [...args], {
      execArgv: [...(options.execArgv ?? [])],
      env: options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }): void => {
        if (message.ready !== true) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null): void => reject(new Error(`${modulePath} exited before it was ready (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
    return new ChildHandle(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Calls `method` in the child; rejects with the child's error text. */
  call<T>(method: string, arg: unknown = undefined): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#child.send({ id, method, arg } satisfies Request);
    });
  }

  /** Asks the child to stop (its `stop` handler, if any), then disconnects; SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    try {
      await this.call('stop').catch(() => undefined);
      if (this.#child.connected) this.#child.disconnect();
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
