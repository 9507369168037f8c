import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { createControlHandler } from './control-api.js';
import { DIRECTORY_METHODS } from './directory-methods.js';
import { TypedEmitter } from './emitter.js';
import { Faults, type ConnectionsOpenScope } from './faults.js';
import { HttpDelivery, type RequestUrlConfig, type UrlVerification } from './http-delivery.js';
import { Inbound, waitForPosted } from './inbound.js';
import { Interactions, type ButtonClickInput, type ViewSubmissionResult, type ViewSubmitInput } from './interactions.js';
import { createRequestHandler, createUpgradeHandler, Tickets } from './routes.js';
import { RtmServer } from './rtm.js';
import { SocketModeServer } from './socket-mode.js';
import { SocketHub } from './sockets.js';
import { EmulatorState } from './state.js';
import type {
  AckRecord, CallRecord, DisconnectReason, EditMessageInput, EmulatedApp, EmulatedWorkspace, EmulatorEvents,
  EmulatorOptions, PostedFilter, PostedMessage, SlashCommandInput, SocketFilter, UserMessageInput,
} from './types.js';
import { Triggers, Views, type OpenView } from './views.js';
import { WebApi } from './web-api.js';

/**
 * An in-memory Slack: Web API, Socket Mode and RTM on one random port, driven by tests, a demo
 * or (through `main.ts` and the control API) another process. Real, unmodified Slack clients talk
 * to it through their `slackApiUrl` option. Create it with {@link SlackEmulator.start}.
 */
export class SlackEmulator extends TypedEmitter<EmulatorEvents> {
  readonly #state = new EmulatorState();
  readonly #faults = new Faults();
  readonly #revoked = new Set<string>();
  readonly #tickets = new Tickets();
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
  readonly #hub: SocketHub;
  readonly #socketMode: SocketModeServer;
  readonly #rtm: RtmServer;
  readonly #inbound: Inbound;
  readonly #webApi: WebApi;
  readonly #triggers = new Triggers();
  readonly #views = new Views(this.#triggers);
  readonly #interactions: Interactions;
  readonly #http: HttpDelivery;
  #baseUrl = '';
  #stopped: Promise<void> | undefined;

  private constructor(options: EmulatorOptions) {
    super();
    const closeDelayMs = options.disconnectCloseDelayMs ?? 300;
    this.#hub = new SocketHub(this.#state, options.serverPingIntervalMs ?? 5000, {
      onOpen: (info) => this.emit('socket:open', info),
      onClose: (info) => this.emit('socket:close', info),
    });
    this.#socketMode = new SocketModeServer(this.#state, this.#hub, {
      onReady: (appId) => this.#inbound.flush((teamId) => this.#state.teams.get(teamId)?.appId === appId),
      onAck: (record) => this.emit('envelope:ack', record),
      onPosted: (message) => this.#recordPosted(message),
      onUnacked: (envelope) => this.#inbound.retryUnacked(envelope),
    }, { redeliverUnackedAfterMs: options.redeliverUnackedAfterMs ?? null, disconnectCloseDelayMs: closeDelayMs });
    this.#rtm = new RtmServer(this.#state, this.#hub, {
      onReady: (readyTeamId) => this.#inbound.flush((teamId) => teamId === readyTeamId),
      onPosted: (message) => this.#recordPosted(message),
    }, closeDelayMs);
    this.#http = new HttpDelivery(this.#state, {
      onAck: (record) => this.emit('envelope:ack', record),
      onPosted: (message) => this.#recordPosted(message),
      onFailed: (envelope, reason, delayMs) => this.#inbound.retryFailed(envelope, reason, delayMs),
    }, { timeoutMs: options.httpTimeoutMs ?? 3_000, retryDelayScale: options.httpRetryDelayScale ?? 1 });
    this.#inbound = new Inbound(this.#state, this.#socketMode, this.#rtm, () => this.#baseUrl,
      (teamId, userId) => this.#triggers.issue(teamId, userId), this.#http);
    this.#interactions = new Interactions(this.#state, this.#inbound, this.#views, this.#triggers);
    this.on('envelope:ack', (record) => this.#interactions.onAck(record));
    this.#webApi = new WebApi({
      state: this.#state,
      socketUrl: (ticket) => this.#tickets.issue(ticket, this.#baseUrl),
      posted: (message) => this.#recordPosted(message),
      revoke: (token) => this.#revoke(token),
    }, this.#faults, { ...DIRECTORY_METHODS, ...this.#views.methods() });
    const parts = {
      state: this.#state, webApi: this.#webApi, inbound: this.#inbound, socketMode: this.#socketMode,
      rtm: this.#rtm, wss: this.#wss, takeTicket: (id: string) => this.#tickets.take(id),
      posted: (message: Omit<PostedMessage, 'at'>) => this.#recordPosted(message),
      control: createControlHandler(this),
    };
    this.#server = createServer(createRequestHandler(parts));
    this.#server.on('upgrade', createUpgradeHandler(parts));
  }

  /** Starts an emulator listening on `options.port` (default 0: a random free port). Resolves once listening. */
  static async start(options: EmulatorOptions = {}): Promise<SlackEmulator> {
    const emulator = new SlackEmulator(options);
    await emulator.#listen(options.port ?? 0, options.host ?? '127.0.0.1');
    return emulator;
  }

  /** Web API base with a trailing slash, e.g. `http://127.0.0.1:PORT/api/` (give it to clients as `slackApiUrl`). */
  get apiUrl(): string {
    return `${this.#baseUrl}api/`;
  }

  /** Control API base, e.g. `http://127.0.0.1:PORT/_emulator/` (see README). */
  get controlUrl(): string {
    return `${this.#baseUrl}_emulator/`;
  }

  /** Terminates every socket and closes the server. Idempotent; resolves when the server is closed. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      this.#socketMode.stop();
      this.#http.stop();
      this.#interactions.stop();
      this.#hub.closeAll();
      this.#wss.close();
      this.#server.closeAllConnections();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
      this.removeAllListeners();
    })();
    return this.#stopped;
  }

  // ---- directory -------------------------------------------------------------------------

  /** A new Slack app with its app-level token. */
  createApp(options: { name?: string } = {}): EmulatedApp {
    return this.#state.createApp(options.name);
  }

  /**
   * Gives an app a Request URL (or with null takes it away): its events, slash commands and
   * interactivity are then POSTed there, signed with `signingSecret`, instead of over Socket Mode.
   */
  setRequestUrl(appId: string, config: RequestUrlConfig | null): void {
    this.#http.setRequestUrl(appId, config);
    // What waited for a socket of this app goes to the Request URL now.
    if (config !== null) this.#inbound.flush((teamId) => this.#state.teams.get(teamId)?.appId === appId);
  }

  /** Sends Slack's `url_verification` to the app's Request URL; resolves with whether the challenge came back. */
  verifyRequestUrl(appId: string): Promise<UrlVerification> {
    return this.#http.verifyRequestUrl(appId);
  }

  /**
   * The app is uninstalled from `teamId`: its bot token there is revoked (`token_revoked`), then
   * `app_uninstalled` is sent over the app's transport (Socket Mode or its Request URL).
   */
  uninstallApp(teamId: string, appId?: string): { envelopeId: string; eventId: string } {
    const team = this.#state.team(teamId);
    if (appId !== undefined && team.appId !== appId) throw new Error(`emulator: app ${appId} is not installed in ${teamId}`);
    this.#revoke(team.botToken);
    return this.#inbound.sendEvent(teamId, { type: 'app_uninstalled' });
  }

  /**
   * Revokes the app's tokens in `teamId` and sends `tokens_revoked` with
   * `tokens: {oauth: [user ids], bot: [bot user id]}`: the bot's (unless `bot: false`)
   * and the user tokens of `users` (which the emulator does not issue: they are only named).
   */
  revokeTokens(teamId: string, options: { bot?: boolean; users?: readonly string[] } = {}): { envelopeId: string; eventId: string } {
    const team = this.#state.team(teamId);
    const isBot = options.bot ?? true;
    if (isBot) this.#revoke(team.botToken);
    const tokens = { oauth: [...(options.users ?? [])], bot: isBot ? [team.botUserId] : [] };
    return this.#inbound.sendEvent(teamId, { type: 'tokens_revoked', tokens });
  }

  /** A new workspace with a bot install, a default user, an admin and #general; a new app unless `app` is given. */
  createWorkspace(options: { name?: string; app?: EmulatedApp; timeZone?: string } = {}): EmulatedWorkspace {
    return this.#state.createWorkspace(options);
  }

  /** A new member of `teamId`. */
  createUser(teamId: string, options: { name?: string; isAdmin?: boolean; isOwner?: boolean; isBot?: boolean } = {}): { userId: string } {
    this.#state.team(teamId);
    return { userId: this.#state.createUser(teamId, options).id };
  }

  /** A new channel (or IM: id starting with `D`) in `teamId`. */
  createChannel(teamId: string, options: { name?: string; isIm?: boolean } = {}): { channelId: string } {
    this.#state.team(teamId);
    return { channelId: this.#state.createChannel(teamId, options).id };
  }

  /** The app record, or undefined. */
  app(appId: string): EmulatedApp | undefined {
    return this.#state.apps.get(appId);
  }

  /** The workspace record, or undefined. */
  workspace(teamId: string): EmulatedWorkspace | undefined {
    return this.#state.teams.get(teamId);
  }

  // ---- inbound traffic ---------------------------------------------------------------------

  /** Sends a user's `message` event (and `app_mention` when the bot is mentioned). Queued while no socket is open. */
  postUserMessage(teamId: string, input: UserMessageInput): { ts: string; eventIds: string[] } {
    return this.#inbound.postUserMessage(teamId, input);
  }

  /** Sends `message_changed` for an earlier message (throws when the message is unknown). */
  editUserMessage(teamId: string, input: EditMessageInput): { ts: string; eventId: string } {
    return this.#inbound.editUserMessage(teamId, input);
  }

  /** Sends any raw event wrapped in an event_callback. */
  sendEvent(teamId: string, event: Record<string, unknown>, options: { eventId?: string } = {}): { envelopeId: string; eventId: string } {
    return this.#inbound.sendEvent(teamId, event, options);
  }

  /** Sends an earlier event again: same event_id, new envelope_id, retry_attempt / retry_reason set. */
  redeliver(eventId: string, options: { retryAttempt?: number; retryReason?: string } = {}): { envelopeId: string } {
    return this.#inbound.redeliver(eventId, options);
  }

  /** Sends a `slash_commands` envelope (Socket Mode only); POSTs to `responseUrl` are recorded as posted. */
  sendSlashCommand(teamId: string, input: SlashCommandInput): { envelopeId: string; responseUrl: string } {
    return this.#inbound.sendSlashCommand(teamId, input);
  }

  /** Sends an `interactive` envelope with `payload` (Socket Mode only). */
  sendInteractive(teamId: string, payload: Record<string, unknown>): { envelopeId: string } {
    return this.#inbound.sendInteractive(teamId, payload);
  }

  /** Sends the `block_actions` payload of `input.user` clicking a button (by `action_id`) on a message the bot posted. */
  clickButton(teamId: string, input: ButtonClickInput): { envelopeId: string; triggerId: string; responseUrl: string } {
    return this.#interactions.clickButton(teamId, input);
  }

  /** Submits the user's open modal with `values` by block id; resolves with the bot's ack payload (applied to the view). */
  submitView(teamId: string, input: ViewSubmitInput): Promise<ViewSubmissionResult> {
    return this.#interactions.submitView(teamId, input);
  }

  /** The modals open now (of one team, or all), each stack root first. */
  openViews(teamId?: string): OpenView[] {
    return this.#views.all(teamId);
  }

  /** Makes every trigger_id issued so far expired (`expired_trigger_id`), without waiting 3 s. */
  expireTriggers(): void {
    this.#triggers.expireAll();
  }

  /** Changes a member (name, admin/owner flags, time zone, deactivated) and sends `user_change`. */
  updateUser(teamId: string, userId: string, patch: { name?: string; isAdmin?: boolean; isOwner?: boolean; isDeleted?: boolean; tz?: string }): void {
    this.#interactions.changeUser(teamId, userId, patch);
  }

  /** How many inbound items wait for a socket. */
  pendingDeliveries(): number {
    return this.#inbound.pendingCount();
  }

  // ---- observation ------------------------------------------------------------------------

  /** Messages the bots sent, oldest first, filtered by team, channel and method. */
  posted(filter: PostedFilter = {}): PostedMessage[] {
    return this.#state.posted(filter);
  }

  /** Resolves with the first posted message (already posted or future) matching `predicate`; rejects after `timeoutMs` listing what was posted. */
  waitForPosted(predicate: (message: PostedMessage) => boolean, timeoutMs = 5000): Promise<PostedMessage> {
    return waitForPosted(this.#state.postedLog, (listener) => this.on('posted', listener), predicate, timeoutMs);
  }

  /** Every envelope sent over Socket Mode or to a Request URL, and whether/when it was acked. */
  acks(): AckRecord[] {
    return [...this.#socketMode.acks(), ...this.#http.acks()].sort((a, b) => a.sentAt - b.sentAt);
  }

  /** Every Web API call received (optionally of one method), oldest first. */
  calls(method?: string): CallRecord[] {
    return this.#webApi.callsOf(method);
  }

  /** How many sockets matching `filter` are open and live now. */
  openSockets(filter?: SocketFilter): number {
    return this.#hub.live(filter).length;
  }

  /** How many sockets matching `filter` were ever opened (reconnects count; rejected 11th sockets too). */
  socketOpens(filter?: SocketFilter): number {
    return this.#hub.openCount(filter);
  }

  // ---- faults -----------------------------------------------------------------------------

  /** Every Web API call with `token` answers `{ok:false,error}`; its open sockets are terminated at once. */
  failToken(token: string, error: string): void {
    this.#faults.failToken(token, error);
    this.#hub.drop(this.#hub.byToken(token));
  }

  /** Undoes {@link failToken} (and auth.revoke). */
  restoreToken(token: string): void {
    this.#revoked.delete(token);
    this.#faults.restoreToken(token);
  }

  /** `method` (or `*`) answers HTTP 429 with Retry-After, `count` times or until cleared. */
  rateLimit(method: string, options: { retryAfterSec: number; count?: number }): void {
    this.#faults.rateLimit(method, options.retryAfterSec, options.count);
  }

  /** `method` (or `*`) answers `{ok:false,error}` with HTTP `status` (default 200), `count` times or until cleared. */
  failMethod(method: string, error: string, options: { count?: number; status?: number } = {}): void {
    this.#faults.failMethod(method, error, options);
  }

  /** Delays every answer of `method` (or `*`) by `ms`; 0 removes. */
  setLatency(method: string, ms: number): void {
    this.#faults.setLatency(method, ms);
  }

  /** Removes every fault (rate limits, failures, latency, dead tokens except revoked ones, the open limit). */
  clearFaults(): void {
    this.#faults.clear(this.#revoked);
  }

  /** Limits `apps.connections.open` to `perMinute` per app (or over all apps with scope 'global'); 429 past it. null removes. */
  setConnectionsOpenLimit(limit: { perMinute: number; scope?: ConnectionsOpenScope } | null): void {
    this.#faults.setConnectionsOpenLimit(limit?.perMinute ?? null, limit?.scope);
  }

  /** Terminates matching sockets without a close frame; returns how many. */
  dropConnections(filter?: SocketFilter): number {
    return this.#hub.drop(this.#hub.live(filter));
  }

  /** Sends `disconnect` (Socket Mode, with `reason`) or `goodbye` (RTM) and closes each matching socket shortly after. */
  sendDisconnect(filter: SocketFilter | undefined, reason: DisconnectReason | string = 'warning'): number {
    const sockets = this.#hub.live(filter);
    for (const socket of sockets) {
      if (socket.kind === 'socket-mode') this.#socketMode.disconnect(socket, reason);
      else this.#rtm.goodbye(socket);
    }
    return sockets.length;
  }

  /** Turns matching sockets into dead links: open, but no pongs, pings or events. Returns how many. */
  silence(filter?: SocketFilter): number {
    return this.#hub.silence(this.#hub.live(filter));
  }

  // ---- internals --------------------------------------------------------------------------

  async #listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.#baseUrl = `http://${shownHost}:${address.port}/`;
  }

  #revoke(token: string): void {
    this.#revoked.add(token);
    this.failToken(token, 'token_revoked');
  }

  #recordPosted(message: Omit<PostedMessage, 'at'>): void {
    const full: PostedMessage = { ...message, at: Date.now() };
    this.#state.postedLog.push(full);
    this.emit('posted', full);
  }
}
