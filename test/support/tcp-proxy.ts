import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** A TCP relay to a database server that a test can cut and restore, as a network outage would. */
export interface TcpProxy {
  /** The port it listens on (127.0.0.1); the same after restore(). */
  readonly port: number;
  /**
   * `reset` (the default): stops accepting and drops every relayed connection;
   * connects are refused until restore() (a server down). `blackhole`:
   * connections stay open and bytes vanish both ways, new ones too (a network
   * partition: statements hang).
   */
  cut(mode?: 'reset' | 'blackhole'): Promise<void>;
  /** Forwards again (listening on the same port); connections a blackhole left half-dead are reset first, as TCP keepalive eventually would. */
  restore(): Promise<void>;
  /** `url` (a postgres:// URL) pointed at this proxy instead. */
  through(url: string): string;
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<random port> to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let mode: 'open' | 'reset' | 'blackhole' = 'open';
  const drop = (pair: [Socket, Socket]): void => {
    if (!pairs.delete(pair)) return;
    for (const socket of pair) if (!socket.destroyed) socket.resetAndDestroy();
  };
  const relay = (client: Socket): void => {
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk) => { if (mode === 'open' && !to.destroyed) to.write(chunk); });
    };
    forward(client, upstream);
    forward(upstream, client);
    for (const socket of pair) {
      socket.on('error', () => drop(pair));
      socket.on('close', () => drop(pair));
    }
  };
  let server: Server = createServer(relay);
  const listen = (port: number): Promise<number> => new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const port = await listen(0);
  const stopListening = async (): Promise<void> => {
    if (!server.listening) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const pair of [...pairs]) drop(pair);
    await closed;
  };
  return {
    port,
    async cut(how = 'reset') {
      mode = how;
      if (how === 'reset') await stopListening();
    },
    async restore() {
      for (const pair of [...pairs]) drop(pair);
      mode = 'open';
      if (!server.listening) {
        server = createServer(relay);
        await listen(port);
      }
    },
    through(url) {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(port);
      return proxied.toString();
    },
    close: stopListening,
  };
}
