/**
 * The HTTP floor: what the machine allows. A raw `node:http` server that verifies Slack's signature
 * (HMAC-SHA256 over `v0:<timestamp>:<raw body>`, constant-time compare, 5-minute window), acks with
 * 200, and answers an `app_mention` with one `chat.postMessage` over a keep-alive HTTP agent, the
 * team's bot token taken from a map. No SDK, no database, no retries beyond one on a network error,
 * no deduplication: a lower bound, not a usable bot.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BenchWorkspace } from '../emulator-child.js';
import type { Contender } from '../contenders/contender.js';
import { callSlack } from '../contenders/floor.js';
import { signingSecretFromEnv } from './shared.js';

interface Callback { type?: string; team_id?: string; challenge?: string; event?: { type?: string; channel?: string } }

const FIVE_MINUTES_S = 5 * 60;

export class HttpFloorContender implements Contender {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #secret = signingSecretFromEnv();
  readonly #tokens = new Map<string, string>();
  #server: Server | undefined;
  #url = '';
  #apiUrl = '';
  #failedReplies = 0;
  #refused = 0;

  async init(apiUrl: string): Promise<void> {
    this.#apiUrl = apiUrl;
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    for (const w of workspaces) this.#tokens.set(w.teamId, w.botToken);
  }

  async connect(): Promise<void> {
    const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method !== 'POST' || !this.#isSigned(req.headers['x-slack-request-timestamp'], req.headers['x-slack-signature'], body)) {
          this.#refused += 1;
          res.writeHead(401).end();
          return;
        }
        const callback = JSON.parse(body.toString('utf8')) as Callback;
        if (callback.type === 'url_verification') {
          res.writeHead(200, { 'content-type': 'text/plain' }).end(callback.challenge ?? '');
          return;
        }
        res.writeHead(200).end();
        const token = callback.team_id === undefined ? undefined : this.#tokens.get(callback.team_id);
        const event = callback.event;
        if (token === undefined || event?.type !== 'app_mention' || event.channel === undefined) return;
        const reply = { channel: event.channel, text: 'pong' };
        callSlack(this.#agent, this.#apiUrl, 'chat.postMessage', token, reply)
          .catch(() => callSlack(this.#agent, this.#apiUrl, 'chat.postMessage', token, reply))
          .catch(() => { this.#failedReplies += 1; });
      });
    });
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  }

  connectedCount(): number {
    return this.#tokens.size;
  }

  requestUrl(): string {
    return this.#url;
  }

  async extra(): Promise<Record<string, unknown>> {
    return { failedReplies: this.#failedReplies, refused: this.#refused };
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve) ?? resolve(undefined));
    this.#agent.destroy();
  }

  #isSigned(timestamp: string | string[] | undefined, signature: string | string[] | undefined, body: Buffer): boolean {
    if (typeof timestamp !== 'string' || typeof signature !== 'string') return false;
    const seconds = Number(timestamp);
    if (!Number.isInteger(seconds) || Math.abs(Date.now() / 1000 - seconds) > FIVE_MINUTES_S) return false;
    const expected = Buffer.from(`v0=${createHmac('sha256', this.#secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`);
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
