import type { WebSocket } from 'ws';
import { slackId, type EmulatorState } from './state.js';
import type { SocketFilter, SocketInfo, SocketKind } from './types.js';

/** One accepted WebSocket, Socket Mode or RTM. */
export interface LiveSocket {
  readonly socketId: string;
  readonly kind: SocketKind;
  readonly ws: WebSocket;
  readonly appId: string;
  /** RTM sockets belong to one team; Socket Mode sockets to an app (all its teams). */
  readonly teamId?: string;
  readonly token: string;
  readonly openedAt: number;
  /** True once `hello` was sent and until the socket closes or is being closed by the server. */
  isLive: boolean;
  /** A dead link: no pongs, no pings, no events. */
  isSilenced: boolean;
}

/** Hooks the hub calls so the emulator can emit its events. */
export interface SocketHubHooks {
  onOpen(info: SocketInfo): void;
  onClose(info: SocketInfo & { code: number }): void;
}

function infoOf(socket: LiveSocket): SocketInfo {
  return {
    socketId: socket.socketId, kind: socket.kind, appId: socket.appId,
    ...(socket.teamId === undefined ? {} : { teamId: socket.teamId }),
  };
}

/**
 * Registry of open sockets with the link-level behaviour shared by both transports:
 * answering client pings (the ws server runs with `autoPong: false`), sending server pings,
 * silencing, abrupt drops and delayed closes. Protocol messages are handled by the transports.
 */
export class SocketHub {
  readonly #sockets = new Map<string, LiveSocket>();
  /** Indexes, so routing an envelope never scans every socket (the benchmark holds 10,000). */
  readonly #byApp = new Map<string, Set<LiveSocket>>();
  readonly #byRtmTeam = new Map<string, Set<LiveSocket>>();
  readonly #byToken = new Map<string, Set<LiveSocket>>();
  readonly #opened: SocketInfo[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly state: EmulatorState,
    private readonly pingIntervalMs: number,
    private readonly hooks: SocketHubHooks,
  ) {}

  /** Registers an accepted socket; it is not live until the transport says hello. */
  add(ws: WebSocket, meta: { kind: SocketKind; appId: string; teamId?: string; token: string }): LiveSocket {
    const socket: LiveSocket = {
      socketId: slackId('S'), ws, openedAt: Date.now(), isLive: false, isSilenced: false, ...meta,
    };
    this.#sockets.set(socket.socketId, socket);
    this.#index(socket, true);
    this.#opened.push(infoOf(socket));
    ws.on('ping', (data) => {
      if (!socket.isSilenced) ws.pong(data);
    });
    ws.on('error', () => undefined);
    const pinger = this.pingIntervalMs > 0
      ? setInterval(() => {
        if (!socket.isSilenced && ws.readyState === ws.OPEN) ws.ping(Buffer.from(String(Date.now())));
      }, this.pingIntervalMs)
      : undefined;
    ws.once('close', (code) => {
      if (pinger !== undefined) clearInterval(pinger);
      socket.isLive = false;
      this.#sockets.delete(socket.socketId);
      this.#index(socket, false);
      this.hooks.onClose({ ...infoOf(socket), code });
    });
    this.hooks.onOpen(infoOf(socket));
    return socket;
  }

  /** Whether `socket` matches `filter` (see {@link SocketFilter}). */
  matches(socket: LiveSocket | SocketInfo, filter: SocketFilter | undefined): boolean {
    if (filter === undefined) return true;
    const f = typeof filter === 'string'
      ? (filter.startsWith('A') ? { appId: filter } : { teamId: filter })
      : filter;
    if (f.kind !== undefined && socket.kind !== f.kind) return false;
    if (f.appId !== undefined && socket.appId !== f.appId) return false;
    if (f.teamId !== undefined) {
      if (socket.kind === 'rtm') return socket.teamId === f.teamId;
      return this.state.teams.get(f.teamId)?.appId === socket.appId;
    }
    return true;
  }

  /** Live (hello'd, not closing) sockets matching `filter`, oldest first. */
  live(filter?: SocketFilter): LiveSocket[] {
    return [...new Set(this.#candidates(filter))].filter((s) => s.isLive && this.matches(s, filter));
  }

  /** Live, non-silenced sockets that may receive traffic. */
  reachable(filter?: SocketFilter): LiveSocket[] {
    return this.live(filter).filter((s) => !s.isSilenced && s.ws.readyState === s.ws.OPEN);
  }

  /** Every open socket (live or not yet) whose token is `token`. */
  byToken(token: string): LiveSocket[] {
    return [...(this.#byToken.get(token) ?? [])];
  }

  /** A superset of the sockets `filter` can match, from the indexes where it names an app or team. */
  *#candidates(filter: SocketFilter | undefined): Iterable<LiveSocket> {
    const f = typeof filter === 'string' ? (filter.startsWith('A') ? { appId: filter } : { teamId: filter }) : filter;
    if (f?.appId !== undefined) {
      yield* this.#byApp.get(f.appId) ?? [];
      return;
    }
    if (f?.teamId !== undefined) {
      if (f.kind !== 'rtm') {
        const appId = this.state.teams.get(f.teamId)?.appId;
        if (appId !== undefined) yield* this.#byApp.get(appId) ?? [];
      }
      if (f.kind !== 'socket-mode') yield* this.#byRtmTeam.get(f.teamId) ?? [];
      return;
    }
    yield* this.#sockets.values();
  }

  #index(socket: LiveSocket, isAdded: boolean): void {
    const entries: Array<[Map<string, Set<LiveSocket>>, string | undefined]> = [
      [this.#byToken, socket.token],
      [this.#byApp, socket.appId],
      [this.#byRtmTeam, socket.kind === 'rtm' ? socket.teamId : undefined],
    ];
    for (const [index, key] of entries) {
      if (key === undefined) continue;
      let set = index.get(key);
      if (isAdded) {
        if (!set) index.set(key, (set = new Set()));
        set.add(socket);
      } else if (set) {
        set.delete(socket);
        if (set.size === 0) index.delete(key);
      }
    }
  }

  /** How many sockets matching `filter` were ever accepted. */
  openCount(filter?: SocketFilter): number {
    return this.#opened.filter((info) => this.matches(info, filter)).length;
  }

  /** Sends a JSON message; returns whether the socket was open. */
  send(socket: LiveSocket, message: unknown): boolean {
    if (socket.ws.readyState !== socket.ws.OPEN) return false;
    socket.ws.send(JSON.stringify(message));
    return true;
  }

  /** Terminates sockets without a close frame (a network failure as the client sees it). */
  drop(sockets: Iterable<LiveSocket>): number {
    let count = 0;
    for (const socket of sockets) {
      socket.isLive = false;
      socket.ws.terminate();
      count += 1;
    }
    return count;
  }

  /** Stops pongs, pings and events on the sockets; they stay open. */
  silence(sockets: Iterable<LiveSocket>): number {
    let count = 0;
    for (const socket of sockets) {
      socket.isSilenced = true;
      count += 1;
    }
    return count;
  }

  /** Marks the socket as not live and closes it (close frame 1000) after `delayMs`, unless the client closed first. */
  closeLater(socket: LiveSocket, delayMs: number): void {
    socket.isLive = false;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (socket.ws.readyState === socket.ws.OPEN) socket.ws.close(1000);
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Terminates every socket and cancels every timer. */
  closeAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.drop([...this.#sockets.values()]);
  }
}
