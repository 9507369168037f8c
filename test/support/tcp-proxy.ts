import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on a random loopback port, to cut one process's link to the
 * database while the others keep theirs. `cut('blackhole')`: connections
 * stay open and bytes vanish both ways (a network partition: statements
 * hang); `cut('reset')`: every connection is reset and new ones are refused
 * at once. `restore()` resets what the cut left half-dead (as TCP keepalive
 * eventually would) and forwards again.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #pairs = new Set<[Socket, Socket]>();
  #mode: 'open' | 'blackhole' | 'reset' = 'open';

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = createServer((client) => proxy.#accept(client, targetHost, targetPort));
    proxy = new TcpProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** `url` (a postgres:// URL) pointed at this proxy instead. */
  through(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  cut(mode: 'blackhole' | 'reset'): void {
    this.#mode = mode;
    if (mode === 'reset') for (const pair of [...this.#pairs]) this.#destroy(pair);
  }

  restore(): void {
    for (const pair of [...this.#pairs]) this.#destroy(pair);
    this.#mode = 'open';
  }

  async close(): Promise<void> {
    for (const pair of [...this.#pairs]) this.#destroy(pair);
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket, host: string, port: number): void {
    if (this.#mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(port, host);
    const pair: [Socket, Socket] = [client, upstream];
    this.#pairs.add(pair);
    const forward = (from: Socket, to: Socket): void => {
      from.on('data', (chunk) => {
        if (this.#mode === 'open' && !to.destroyed) to.write(chunk);
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const end = (): void => this.#destroy(pair);
    for (const socket of pair) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  #destroy(pair: [Socket, Socket]): void {
    if (!this.#pairs.delete(pair)) return;
    for (const socket of pair) if (!socket.destroyed) socket.resetAndDestroy();
  }
}
