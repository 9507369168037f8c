import { createServer, type Server } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import WebSocket, { WebSocketServer } from 'ws';
import { SocketModeTransport } from '../../../src/fleet/transports/socket-mode.js';
import type { InboundEnvelope } from '../../../src/fleet/transports/transport.js';
import { createLogger } from '../../../src/lib/logger.js';
import type { SlackCaller } from '../../../src/slack/web-client.js';
import { until } from '../../support/until.js';

/**
 * The transport against a bare Socket Mode peer that writes two envelopes in
 * one TCP write, as Slack's `message` + `app_mention` pair often arrives: the
 * two acks must leave in one write. Counted at the client socket's
 * `_write`/`_writev`, the calls that become system calls (they still write).
 */
describe('SocketModeTransport acks', () => {
  let http: Server;
  let wss: WebSocketServer;
  let peer: Promise<WebSocket>;
  let transport: SocketModeTransport | undefined;
  const restores: Array<() => void> = [];

  beforeEach(async () => {
    http = createServer();
    wss = new WebSocketServer({ server: http });
    peer = new Promise((resolve) => wss.once('connection', (ws) => {
      ws.send(JSON.stringify({ type: 'hello' }));
      resolve(ws);
    }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    for (const restore of restores.splice(0)) restore();
    await transport?.close();
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  });

  /** Counts the writes the client's sockets to `port` make from now on. */
  function countWrites(port: number): () => number {
    let writes = 0;
    const proto = Socket.prototype as unknown as Record<'_write' | '_writev', (this: Socket, ...args: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const original = proto[name];
      proto[name] = function (this: Socket, ...args: unknown[]) {
        if (this.remotePort === port) writes += 1;
        return original.apply(this, args);
      };
      restores.push(() => { proto[name] = original; });
    }
    return () => writes;
  }

  it('sends the acks of envelopes read together in one write', async () => {
    const port = (http.address() as AddressInfo).port;
    const slack: SlackCaller = { call: async <T>() => ({ ok: true, url: `ws://127.0.0.1:${port}/` }) as T };
    const seen: InboundEnvelope[] = [];
    transport = new SocketModeTransport(slack, {
      slackApiUrl: `http://127.0.0.1:${port}/api/`, pingTimeoutMs: 60_000,
      onEnvelope: (envelope) => { seen.push(envelope); void envelope.ack(); },
    }, createLogger({ level: 'silent' }));
    await transport.open(new AbortController().signal);
    const server = await peer;
    const acks: string[] = [];
    server.on('message', (data) => acks.push((JSON.parse(data.toString()) as { envelope_id: string }).envelope_id));
    const writes = countWrites(port);

    const raw = (server as unknown as { _socket: Socket })._socket;
    raw.cork();
    for (const id of ['E1', 'E2']) {
      server.send(JSON.stringify({ envelope_id: id, type: 'events_api', payload: { team_id: 'T1', event_id: `Ev${id}`, event: { type: 'message' } } }));
    }
    raw.uncork();

    await until(() => acks.length === 2, 5_000, 'both acks');
    expect(seen.map((e) => e.kind)).toEqual(['event', 'event']);
    expect(acks).toEqual(['E1', 'E2']);
    expect(writes()).toBe(1);
  });
});
