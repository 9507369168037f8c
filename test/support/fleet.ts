import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InstanceView, WorkspaceView } from '../../src/admin/api-types.js';
import type { Database } from '../../src/db/database.js';
import { WorkspaceRepository } from '../../src/db/workspace-repository.js';
import { SlackEmulator, type EmulatedWorkspace, type EmulatorOptions } from '../../src/emulator/index.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { metricValue, parsePrometheus } from '../admin/prometheus.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { spawnFlotilla, type Spawned } from './process.js';
import { until } from './until.js';

/** One `flotilla start` of a fleet, as a real process. */
export interface Instance {
  readonly id: string;
  readonly process: Spawned;
  readonly adminUrl: string;
  /** GET on its admin API (bearer token included); rejects on a non-2xx answer. */
  get<T>(path: string): Promise<T>;
  post<T>(path: string): Promise<T>;
  workspaces(): Promise<WorkspaceView[]>;
  instances(): Promise<InstanceView[]>;
  /** Its own view of how many connections it holds (from `/v1/instances`). */
  connections(): Promise<number>;
  /** A metric's value from its `/metrics` (summed over label sets matching `labels`). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export interface FleetOptions {
  readonly emulator?: EmulatorOptions;
  /** `FLOTILLA_LEASE_TTL_MS` of every instance (default 10000: takeovers within seconds, and a daemon starved of CPU on a shared machine is not fenced for it). */
  readonly ttlMs?: number;
}

/**
 * Several `flotilla start` processes on one fresh PostgreSQL database (from
 * TEST_DATABASE_URL), against one in-process emulator: shared encryption key
 * and admin token, a data dir each, random admin ports.
 */
export class Fleet {
  readonly instances = new Map<string, Instance>();
  /** Every socket the emulator saw open and close, from the start. */
  readonly watch: SocketWatch;
  readonly #dirs: string[] = [];
  readonly #exits = new Map<string, Promise<number | null>>();
  readonly encryptionKey = SecretBox.generateKey();
  readonly adminToken = randomBytes(24).toString('hex');

  private constructor(
    readonly slack: SlackEmulator,
    readonly db: TestDatabase,
    readonly handle: Database,
    readonly ttlMs: number,
  ) {
    this.watch = new SocketWatch(slack);
  }

  /** `count` new emulated workspaces (each its own app), stored in the database. */
  async teams(count: number, transport: 'socket-mode' | 'rtm' = 'socket-mode', name = 'Team'): Promise<EmulatedWorkspace[]> {
    const teams = Array.from({ length: count }, (_, i) => this.slack.createWorkspace({ name: `${name} ${i}` }));
    await this.seed(teams, transport);
    return teams;
  }

  static async start(options: FleetOptions = {}): Promise<Fleet> {
    if (!process.env.TEST_DATABASE_URL) throw new Error('several instances need a PostgreSQL server: set TEST_DATABASE_URL');
    const slack = await SlackEmulator.start({ serverPingIntervalMs: 1_000, ...options.emulator });
    const db = await createTestDatabase();
    return new Fleet(slack, db, await db.open(), options.ttlMs ?? 10_000);
  }

  get url(): string {
    return this.db.url as string;
  }

  /** Stores workspaces as `workspace add` would (tokens sealed with the fleet's key). */
  async seed(teams: readonly EmulatedWorkspace[], transport: 'socket-mode' | 'rtm' = 'socket-mode'): Promise<void> {
    const repo = new WorkspaceRepository(this.handle.kysely, new SecretBox(this.encryptionKey));
    for (const team of teams) {
      await repo.upsert({
        teamId: team.teamId, teamName: team.teamName, botToken: team.botToken, botUserId: team.botUserId, botId: team.botId,
        connection: transport === 'rtm' ? { transport: 'rtm' } : { transport: 'socket-mode', appToken: team.appToken },
      });
    }
  }

  /** Starts an instance and resolves once its admin API answers and it is ready. */
  async start(id: string, env: Record<string, string> = {}): Promise<Instance> {
    const dataDir = await mkdtemp(join(tmpdir(), `flotilla-${id}-`));
    this.#dirs.push(dataDir);
    const spawned = spawnFlotilla(['start'], {
      DATABASE_URL: this.url, FLOTILLA_DATA_DIR: dataDir, SLACK_API_URL: this.slack.apiUrl,
      FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', FLOTILLA_INSTANCE_ID: id, FLOTILLA_LEASE_TTL_MS: String(this.ttlMs),
      FLOTILLA_ENCRYPTION_KEY: this.encryptionKey, FLOTILLA_ADMIN_TOKEN: this.adminToken,
      FLOTILLA_CONNECT_RATE: '1000', FLOTILLA_SHUTDOWN_GRACE_MS: '5000', LOG_LEVEL: 'info', ...env,
    });
    this.#exits.set(id, spawned.exited);
    const urlFile = join(dataDir, 'admin-url');
    let adminUrl = '';
    await until(async () => {
      if (spawned.child.exitCode !== null) throw new Error(`${id} exited (${spawned.child.exitCode}):\n${spawned.output()}`);
      adminUrl = (await readFile(urlFile, 'utf8').catch(() => '')).trim();
      return adminUrl !== '';
    }, 30_000, `${id} listening`);
    const instance = this.#instance(id, spawned, adminUrl);
    this.instances.set(id, instance);
    return instance;
  }

  /** Every instance still running. */
  live(): Instance[] {
    return [...this.instances.values()].filter((i) => i.process.child.exitCode === null && i.process.child.signalCode === null);
  }

  /** Connections held per live instance, by id, as the database says. */
  async shares(): Promise<Record<string, number>> {
    const [first] = this.live();
    if (!first) return {};
    const instances = await first.instances();
    const live = new Set(this.live().map((i) => i.id));
    return Object.fromEntries(instances.filter((i) => live.has(i.id)).map((i) => [i.id, i.connections]));
  }

  /** Kills every instance; with FLEET_LOG set, writes everything they logged to that file first (for debugging). */
  async stop(): Promise<void> {
    if (process.env.FLEET_LOG) await writeFile(`${process.env.FLEET_LOG}-${[...this.instances.keys()].join("-")}.log`, this.output());
    for (const instance of this.instances.values()) instance.process.child.kill('SIGKILL');
    await Promise.all([...this.#exits.values()]);
    this.watch.stop();
    await this.slack.stop();
    await this.db.drop();
    for (const dir of this.#dirs) await rm(dir, { recursive: true, force: true });
  }

  /** Every line every instance wrote, for greps (secrets, fencing). */
  output(): string {
    return [...this.instances.values()].map((i) => i.process.output()).join('\n');
  }

  #instance(id: string, spawned: Spawned, adminUrl: string): Instance {
    const call = async <T>(method: string, path: string): Promise<T> => {
      const response = await fetch(`${adminUrl}${path}`, { method, headers: { authorization: `Bearer ${this.adminToken}` } });
      const text = await response.text();
      if (!response.ok) throw new Error(`${id} ${method} ${path}: HTTP ${response.status} ${text}`);
      return JSON.parse(text) as T;
    };
    return {
      id, process: spawned, adminUrl,
      get: (path) => call('GET', path),
      post: (path) => call('POST', path),
      workspaces: async () => (await call<{ workspaces: WorkspaceView[] }>('GET', '/v1/workspaces')).workspaces,
      instances: async () => (await call<{ instances: InstanceView[] }>('GET', '/v1/instances')).instances,
      connections: async () => (await call<{ instances: InstanceView[] }>('GET', '/v1/instances')).instances.find((i) => i.isSelf)?.connections ?? -1,
      metric: async (name, labels = {}) => {
        const text = await (await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${this.adminToken}` } })).text();
        return metricValue(parsePrometheus(text), name, labels);
      },
    };
  }
}

/**
 * Watches the emulator's sockets: how many are open per key (an app id for
 * Socket Mode, a team id for RTM), the most ever open at once, and when each
 * key's sockets opened and closed.
 */
export class SocketWatch {
  readonly #open = new Map<string, number>();
  readonly #max = new Map<string, number>();
  readonly opens = new Map<string, number[]>();
  readonly closes = new Map<string, number[]>();
  readonly #off: Array<() => void>;

  constructor(slack: SlackEmulator) {
    const keyOf = (info: { kind: string; appId?: string; teamId?: string }): string =>
      info.kind === 'rtm' ? `rtm:${info.teamId}` : `app:${info.appId}`;
    this.#off = [
      slack.on('socket:open', (info) => {
        const key = keyOf(info);
        const open = (this.#open.get(key) ?? 0) + 1;
        this.#open.set(key, open);
        this.#max.set(key, Math.max(this.#max.get(key) ?? 0, open));
        this.opens.set(key, [...(this.opens.get(key) ?? []), Date.now()]);
      }),
      slack.on('socket:close', (info) => {
        const key = keyOf(info);
        this.#open.set(key, (this.#open.get(key) ?? 1) - 1);
        this.closes.set(key, [...(this.closes.get(key) ?? []), Date.now()]);
      }),
    ];
  }

  /** The most sockets ever open at once for one key, over all keys. */
  maxConcurrent(): number {
    return Math.max(0, ...this.#max.values());
  }

  /** Keys with more than one socket open at some moment. */
  doubled(): string[] {
    return [...this.#max].filter(([, max]) => max > 1).map(([key]) => key);
  }

  stop(): void {
    for (const off of this.#off) off();
  }
}

/** Replies per message channel: each mention goes to a channel of its own, so a channel's posts are its replies. */
export function repliesByChannel(slack: SlackEmulator, channels: readonly string[]): Map<string, number> {
  const wanted = new Set(channels);
  const counts = new Map(channels.map((channel) => [channel, 0]));
  for (const message of slack.posted({ method: 'chat.postMessage' })) {
    if (wanted.has(message.channel)) counts.set(message.channel, (counts.get(message.channel) ?? 0) + 1);
  }
  return counts;
}

/** Sends `@bot ping` in a fresh channel of `team`; resolves to that channel (where its one reply must land). */
export function mention(slack: SlackEmulator, team: EmulatedWorkspace): { channel: string; eventIds: string[] } {
  const { channelId } = slack.createChannel(team.teamId);
  const { eventIds } = slack.postUserMessage(team.teamId, { user: team.userId, channel: channelId, text: `<@${team.botUserId}> ping` });
  return { channel: channelId, eventIds };
}

/** Whether every event sent so far was acked on some socket (a redelivery acked counts: the first went to a dead one). */
export function everyEventAcked(slack: SlackEmulator): boolean {
  const acked = new Map<string, boolean>();
  for (const ack of slack.acks()) {
    if (ack.type !== 'events_api' || ack.eventId === undefined) continue;
    acked.set(ack.eventId, (acked.get(ack.eventId) ?? false) || ack.ackedAt !== null);
  }
  return [...acked.values()].every(Boolean);
}

/**
 * Waits until every mention in `channels` has a reply and every event was
 * acked somewhere (redeliveries included), then resolves to the replies per
 * channel: what a test then expects to be exactly one each.
 */
export async function settledReplies(slack: SlackEmulator, channels: readonly string[], timeoutMs = 20_000): Promise<Map<string, number>> {
  await until(() => [...repliesByChannel(slack, channels).values()].every((n) => n >= 1), timeoutMs, 'every mention answered');
  await until(() => everyEventAcked(slack), 10_000, 'every event acked');
  return repliesByChannel(slack, channels);
}

/** The channels answered other than exactly once. */
export function notOnce(replies: ReadonlyMap<string, number>): string[] {
  return [...replies].filter(([, n]) => n !== 1).map(([channel]) => channel);
}
