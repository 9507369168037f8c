/**
 * The Slack emulator in a process of its own (its CPU is not counted against the bot), driven over
 * IPC by the bench: create workspaces, count live sockets, run mention load (latencies are taken
 * here), rate-limit `apps.connections.open`, drop every socket and count the 429s that follow.
 *
 *   fork('emulator-child.js', ['--server-ping-interval-ms', '5000'])
 */
import { parseArgs } from 'node:util';
import { SlackEmulator } from '../../src/emulator/index.js';
import type { ConnectionsOpenScope, EmulatedWorkspace } from '../../src/emulator/index.js';
import { serve } from './ipc.js';
import { runHttpLoad, type HttpLoadOptions } from './http-load.js';
import { runLoad, type LoadOptions } from './load.js';

/** What a contender needs to know about one workspace. */
export type BenchWorkspace = Pick<EmulatedWorkspace, 'teamId' | 'teamName' | 'botToken' | 'appToken' | 'appId' | 'botUserId' | 'botId'>;

const { values } = parseArgs({
  options: { 'server-ping-interval-ms': { type: 'string', default: '5000' }, 'redeliver-unacked-after-ms': { type: 'string' } },
});
const redeliver = values['redeliver-unacked-after-ms'];
const slack = await SlackEmulator.start({
  serverPingIntervalMs: Number(values['server-ping-interval-ms']),
  redeliverUnackedAfterMs: redeliver === undefined ? null : Number(redeliver),
});
const teams: EmulatedWorkspace[] = [];
/** The HTTP mode's workspaces: one distributed app installed in each (one signing secret, a bot token per team). */
const sharedTeams: EmulatedWorkspace[] = [];
let callsMark = 0;
/** Socket opens per app (wall-clock ms), for takeover times measured where Slack sees them. */
const opens = new Map<string, number[]>();
/** Most sockets ever open at once per app. */
const openNow = new Map<string, number>();
const maxOpen = new Map<string, number>();
slack.on('socket:open', (info) => {
  if (info.appId === undefined) return;
  opens.set(info.appId, [...(opens.get(info.appId) ?? []), Date.now()]);
  const now = (openNow.get(info.appId) ?? 0) + 1;
  openNow.set(info.appId, now);
  maxOpen.set(info.appId, Math.max(now, maxOpen.get(info.appId) ?? 0));
});
slack.on('socket:close', (info) => {
  if (info.appId === undefined) return;
  openNow.set(info.appId, (openNow.get(info.appId) ?? 1) - 1);
});

serve({
  apiUrl: () => slack.apiUrl,
  setup: (arg) => {
    const { n } = arg as { n: number };
    for (let i = teams.length; i < n; i++) teams.push(slack.createWorkspace({ name: `Bench ${i}` }));
    return teams.map((t): BenchWorkspace => ({
      teamId: t.teamId, teamName: t.teamName, botToken: t.botToken, appToken: t.appToken,
      appId: t.appId, botUserId: t.botUserId, botId: t.botId,
    }));
  },
  /** N workspaces that install one app (the HTTP mode's distributed app). */
  setupShared: (arg) => {
    const { n } = arg as { n: number };
    for (let i = sharedTeams.length; i < n; i++) {
      const app = sharedTeams[0] === undefined ? undefined : slack.app(sharedTeams[0].appId);
      sharedTeams.push(slack.createWorkspace({ name: `Bench ${i}`, ...(app === undefined ? {} : { app }) }));
    }
    return sharedTeams.map((t): BenchWorkspace => ({
      teamId: t.teamId, teamName: t.teamName, botToken: t.botToken, appToken: t.appToken,
      appId: t.appId, botUserId: t.botUserId, botId: t.botId,
    }));
  },
  httpLoad: (arg) => runHttpLoad(slack, sharedTeams, arg as HttpLoadOptions),
  liveSockets: () => slack.openSockets({ kind: 'socket-mode' }),
  load: (arg) => runLoad(slack, teams, arg as LoadOptions),
  connectionsOpenLimit: (arg) => {
    const limit = arg as { perMinute: number; scope?: ConnectionsOpenScope } | null;
    slack.setConnectionsOpenLimit(limit);
    return null;
  },
  markCalls: () => {
    callsMark = Date.now();
    return callsMark;
  },
  /** apps.connections.open calls since the mark: how many, how many answered 429. */
  connectionOpens: () => {
    const calls = slack.calls('apps.connections.open').filter((c) => c.at >= callsMark);
    return { calls: calls.length, rateLimited: calls.filter((c) => c.status === 429).length };
  },
  drop: () => slack.dropConnections({ kind: 'socket-mode' }),
  /** For each app: its first socket open after `since` (ms, wall clock), or null. */
  firstOpensSince: (arg) => {
    const { since } = arg as { since: number };
    return Object.fromEntries(teams.map((t) => [t.appId, (opens.get(t.appId) ?? []).find((at) => at > since) ?? null]));
  },
  /** Apps that ever had two sockets open at once. */
  doubledApps: () => [...maxOpen].filter(([, max]) => max > 1).map(([appId]) => appId),
  memory: () => process.memoryUsage(),
  stop: async () => {
    await slack.stop();
    return null;
  },
});
