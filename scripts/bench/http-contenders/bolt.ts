/**
 * The peer a team would pick for one distributed app over HTTP: a single `@slack/bolt` App with its
 * `HTTPReceiver` (signature checked, acked before the listener runs: Bolt's default) and an
 * `authorize` function over the N installations (bot token per team from a map, as an installation
 * store kept in memory would give it), answering every mention with `say('pong')`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import bolt from '@slack/bolt';
import type { BenchWorkspace } from '../emulator-child.js';
import type { Contender } from '../contenders/contender.js';
import { signingSecretFromEnv } from './shared.js';

const { App, HTTPReceiver, LogLevel } = bolt;
type BoltLogger = NonNullable<ConstructorParameters<typeof App>[0]>['logger'] & object;

/** Bolt logs failures at ERROR; the bench counts instead of printing. */
let loggedErrors = 0;
const quietLogger: BoltLogger = {
  debug: () => undefined, info: () => undefined, warn: () => undefined,
  error: () => { loggedErrors += 1; },
  setLevel: () => undefined, getLevel: () => LogLevel.ERROR, setName: () => undefined,
};

interface Installation { readonly botToken: string; readonly botId: string; readonly botUserId: string }

export class HttpBoltContender implements Contender {
  readonly #installations = new Map<string, Installation>();
  #app: InstanceType<typeof App> | undefined;
  #apiUrl = '';
  #url = '';
  #unauthorized = 0;

  async init(apiUrl: string): Promise<void> {
    this.#apiUrl = apiUrl;
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    for (const w of workspaces) this.#installations.set(w.teamId, { botToken: w.botToken, botId: w.botId, botUserId: w.botUserId });
  }

  async connect(): Promise<void> {
    const signingSecret = signingSecretFromEnv();
    const receiver = new HTTPReceiver({ signingSecret, logger: quietLogger });
    const app = new App({
      receiver, logger: quietLogger, clientOptions: { slackApiUrl: this.#apiUrl },
      authorize: async ({ teamId }) => {
        const installation = teamId === undefined ? undefined : this.#installations.get(teamId);
        if (installation === undefined) {
          this.#unauthorized += 1;
          throw new Error('no installation for this team');
        }
        return { botToken: installation.botToken, botId: installation.botId, botUserId: installation.botUserId, teamId };
      },
    });
    app.event('app_mention', async ({ say }) => {
      await say('pong');
    });
    app.error(async () => {
      loggedErrors += 1;
    });
    const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
    this.#app = app;
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  }

  connectedCount(): number {
    return this.#installations.size;
  }

  requestUrl(): string {
    return this.#url;
  }

  async extra(): Promise<Record<string, unknown>> {
    return { loggedErrors, unauthorized: this.#unauthorized };
  }

  async stop(): Promise<void> {
    await this.#app?.stop();
  }
}
