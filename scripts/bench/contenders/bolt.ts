/**
 * The baseline: one `@slack/bolt` App per workspace, all in one process, Socket Mode, answering
 * every mention with `say('pong')` — what an operator gets by running a Bolt app per workspace.
 */
import bolt from '@slack/bolt';
import type { BenchWorkspace } from '../emulator-child.js';
import { until, type Contender } from './contender.js';

const { App, LogLevel, SocketModeReceiver } = bolt;
type BoltLogger = NonNullable<ConstructorParameters<typeof App>[0]>['logger'] & object;

/** Bolt's clients log every dropped socket at ERROR; the bench counts instead of printing. */
let loggedErrors = 0;
const quietLogger: BoltLogger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined,
  error: () => { loggedErrors += 1; },
  setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined,
};

/** How many apps start at once (like an operator's Promise.all over a bounded pool). */
const START_CONCURRENCY = 100;

export class BoltContender implements Contender {
  readonly #apps: Array<InstanceType<typeof App>> = [];
  #apiUrl = '';
  #workspaces: readonly BenchWorkspace[] = [];
  #connected = 0;

  async init(apiUrl: string): Promise<void> {
    this.#apiUrl = apiUrl;
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    this.#workspaces = workspaces;
  }

  async connect(): Promise<void> {
    let next = 0;
    const startOne = async (w: BenchWorkspace): Promise<void> => {
      const receiver = new SocketModeReceiver({
        appToken: w.appToken, logger: quietLogger,
        installerOptions: { clientOptions: { slackApiUrl: this.#apiUrl } },
      });
      receiver.client.on('connected', () => { this.#connected += 1; });
      receiver.client.on('disconnected', () => { this.#connected -= 1; });
      const app = new App({ token: w.botToken, receiver, logger: quietLogger, clientOptions: { slackApiUrl: this.#apiUrl } });
      app.event('app_mention', async ({ say }) => {
        await say('pong');
      });
      app.error(async (error) => {
        process.stderr.write(`bolt: ${String(error)}\n`);
      });
      this.#apps.push(app);
      await app.start();
    };
    const lane = async (): Promise<void> => {
      while (next < this.#workspaces.length) await startOne(this.#workspaces[next++] as BenchWorkspace);
    };
    await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, this.#workspaces.length) }, lane));
    await until(() => this.#connected >= this.#workspaces.length, 10 * 60_000, 'bolt apps connected');
  }

  connectedCount(): number {
    return this.#connected;
  }

  async extra(): Promise<Record<string, unknown>> {
    return { loggedErrors };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.#apps.map((app) => app.stop()));
  }
}
