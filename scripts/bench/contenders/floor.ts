/**
 * The floor: what the machine allows. One raw `ws` socket per workspace, no SDK: ack each envelope
 * and answer an `app_mention` with one `chat.postMessage` over a keep-alive HTTP agent. Reconnects
 * at once when the server drops it (one `apps.connections.open`). No client pings, one retry of a
 * reply on a network error, no database: a lower bound, not a usable bot.
 */
import { Agent, request } from 'node:http';
import WebSocket from 'ws';
import type { BenchWorkspace } from '../emulator-child.js';
import { until, type Contender } from './contender.js';

const OPEN_CONCURRENCY = 100;

interface SlackAnswer { ok: boolean; url?: string; error?: string }
interface Envelope { envelope_id?: string; type?: string; payload?: { event?: { type?: string; channel?: string } } }

export class FloorContender implements Contender {
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 64 });
  readonly #sockets = new Map<string, WebSocket>();
  #apiUrl = '';
  #workspaces: readonly BenchWorkspace[] = [];
  #connected = 0;
  #isStopping = false;
  #failedReplies = 0;

  async init(apiUrl: string): Promise<void> {
    this.#apiUrl = apiUrl;
  }

  async prepare(workspaces: readonly BenchWorkspace[]): Promise<void> {
    this.#workspaces = workspaces;
  }

  async connect(): Promise<void> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < this.#workspaces.length) await this.#open(this.#workspaces[next++] as BenchWorkspace);
    };
    await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, this.#workspaces.length) }, lane));
    await until(() => this.#connected >= this.#workspaces.length, 10 * 60_000, 'floor sockets connected');
  }

  connectedCount(): number {
    return this.#connected;
  }

  async extra(): Promise<Record<string, unknown>> {
    return { failedReplies: this.#failedReplies };
  }

  async stop(): Promise<void> {
    this.#isStopping = true;
    for (const ws of this.#sockets.values()) ws.terminate();
    this.#agent.destroy();
  }

  /** Opens one socket; resolves on hello (or when the open fails). */
  async #open(w: BenchWorkspace): Promise<void> {
    const answer = await callSlack<SlackAnswer>(this.#agent, this.#apiUrl, 'apps.connections.open', w.appToken, {}).catch((): SlackAnswer => ({ ok: false }));
    if (!answer.ok || answer.url === undefined) {
      if (!this.#isStopping) setTimeout(() => void this.#open(w), 1_000);
      return;
    }
    const ws = new WebSocket(answer.url, { perMessageDeflate: false });
    this.#sockets.set(w.teamId, ws);
    let isHello = false;
    await new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(data.toString()) as Envelope;
        if (message.type === 'hello') {
          isHello = true;
          this.#connected += 1;
          resolve();
          return;
        }
        if (message.envelope_id === undefined) return;
        ws.send(JSON.stringify({ envelope_id: message.envelope_id }));
        const event = message.payload?.event;
        if (event?.type === 'app_mention' && event.channel !== undefined) {
          const reply = { channel: event.channel, text: 'pong' };
          // One retry on a network error: a keep-alive socket the server closed just as we reused it.
          callSlack(this.#agent, this.#apiUrl, 'chat.postMessage', w.botToken, reply)
            .catch(() => callSlack(this.#agent, this.#apiUrl, 'chat.postMessage', w.botToken, reply))
            .catch(() => { this.#failedReplies += 1; });
        }
      });
      ws.on('error', () => undefined);
      ws.on('close', () => {
        if (isHello) this.#connected -= 1;
        resolve();
        if (!this.#isStopping) void this.#open(w);
      });
    });
  }
}

/**
 * A Web API call as a floor makes it: one POST of JSON over a keep-alive agent,
 * no client library. Resolves with Slack's answer; rejects on a network error
 * or a body that is not JSON.
 */
export function callSlack<T = { ok: boolean }>(agent: Agent, apiUrl: string, method: string, token: string, body: Record<string, unknown>): Promise<T> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${apiUrl}${method}`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(payload) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()) as T);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
