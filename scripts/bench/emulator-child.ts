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
import { runLoad, type LoadOptions } from './load.js';

/** What a contender needs to know about one workspace. */
export type BenchWorkspace = Pick<EmulatedWorkspace, 'teamId' | 'teamName' | 'botToken' | 'appToken' | 'appId' | 'botUserId' | 'botId'>;

const { values } = parseArgs({ options: { 'server-ping-interval-ms': { type: 'string', default: '5000' } } });
const slack = await SlackEmulator.start({
  serverPingIntervalMs: Number(values['server-ping-interval-ms']),
  redeliverUnackedAfterMs: null,
});
const teams: EmulatedWorkspace[] = [];
let callsMark = 0;

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
  memory: () => process.memoryUsage(),
  stop: async () => {
    await slack.stop();
    return null;
  },
});
