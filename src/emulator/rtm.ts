import type { WebSocket } from 'ws';
import type { SocketHub, LiveSocket } from './sockets.js';
import type { EmulatorState } from './state.js';
import type { PostedMessage } from './types.js';

/** What the RTM server tells the emulator about. */
export interface RtmHooks {
  /** An RTM socket of `teamId` said hello: deliver what was queued for it. */
  onReady(teamId: string): void;
  onPosted(message: Omit<PostedMessage, 'at'>): void;
}

interface RtmFrame {
  id?: unknown;
  type?: unknown;
  channel?: unknown;
  text?: unknown;
  thread_ts?: unknown;
}

/**
 * The legacy RTM side: `hello` on open; `{type:'ping',id}` → `{type:'pong',reply_to:id}`;
 * `{id,type:'message',channel,text,thread_ts?}` → `{ok:true,reply_to:id,ts,text}` (recorded as
 * posted with method `rtm.send`); raw events pushed as they are; `goodbye` before the server closes.
 * After `hello` on a reconnect, the last reply sent for that token is sent again: `RTMClient` waits
 * for it (state connected:resuming) before 'ready', else for 2 s.
 */
export class RtmServer {
  /** The last reply sent per token, replayed after the next hello (what the client's 'resuming' state waits for). */
  readonly #lastReply = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly state: EmulatorState,
    private readonly hub: SocketHub,
    private readonly hooks: RtmHooks,
    private readonly disconnectCloseDelayMs: number,
  ) {}

  /** Takes over an upgraded socket opened with a ticket of `teamId`. */
  accept(ws: WebSocket, teamId: string, token: string): void {
    const appId = this.state.team(teamId).appId;
    const socket = this.hub.add(ws, { kind: 'rtm', appId, teamId, token });
    ws.on('message', (data, isBinary) => {
      if (!isBinary && !socket.isSilenced) this.#onFrame(socket, data.toString());
    });
    socket.isLive = true;
    this.hub.send(socket, { type: 'hello' });
    const replay = this.#lastReply.get(token);
    if (replay !== undefined) this.hub.send(socket, replay);
    this.hooks.onReady(teamId);
  }

  /** Pushes a raw event to every reachable RTM socket of the team; false when there is none. */
  deliver(teamId: string, event: Record<string, unknown>): boolean {
    const sockets = this.hub.reachable({ teamId, kind: 'rtm' });
    for (const socket of sockets) this.hub.send(socket, event);
    return sockets.length > 0;
  }

  /** Sends `goodbye` (RTM's disconnect) and closes the socket after the configured delay. */
  goodbye(socket: LiveSocket): void {
    this.hub.send(socket, { type: 'goodbye' });
    this.hub.closeLater(socket, this.disconnectCloseDelayMs);
  }

  #onFrame(socket: LiveSocket, text: string): void {
    let frame: RtmFrame;
    try {
      frame = JSON.parse(text) as RtmFrame;
    } catch {
      return;
    }
    if (frame.type === 'ping') {
      this.#reply(socket, { type: 'pong', reply_to: frame.id });
    } else if (frame.type === 'message') {
      this.#onMessage(socket, frame);
    }
  }

  #onMessage(socket: LiveSocket, frame: RtmFrame): void {
    const teamId = socket.teamId as string;
    const channel = typeof frame.channel === 'string' ? frame.channel : '';
    const text = typeof frame.text === 'string' ? frame.text : '';
    const known = this.state.channels.get(channel);
    if (known === undefined || known.teamId !== teamId) {
      this.#reply(socket, { ok: false, reply_to: frame.id, error: { code: 2, msg: 'channel_not_found' } });
      return;
    }
    if (text === '') {
      this.#reply(socket, { ok: false, reply_to: frame.id, error: { code: 2, msg: 'message text is missing' } });
      return;
    }
    const ts = this.state.nextTs();
    const threadTs = typeof frame.thread_ts === 'string' ? frame.thread_ts : undefined;
    this.state.storeMessage({ teamId, channel, ts, user: this.state.team(teamId).botUserId, text });
    this.hooks.onPosted({
      method: 'rtm.send', teamId, channel, text, ts, ...(threadTs === undefined ? {} : { threadTs }),
    });
    this.#reply(socket, { ok: true, reply_to: frame.id, ts, text });
  }

  #reply(socket: LiveSocket, reply: Record<string, unknown>): void {
    this.#lastReply.set(socket.token, reply);
    this.hub.send(socket, reply);
  }
}
