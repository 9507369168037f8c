import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sql } from 'kysely';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { Fleet, mention, notOnce, settledReplies, type Instance } from '../support/fleet.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

/**
 * The database goes away under a single instance (a server restart: every
 * connection reset, new ones refused). It stays up and keeps its Socket Mode
 * sockets (alone, nobody can take them over; `ping` still answers), closes
 * its RTM sockets before their leases could expire (RTM fencing), is not
 * ready while it lasts and ready within 10 s after, removes nothing, and
 * answers nothing twice.
 */
describe('a database outage under a single instance', () => {
  let fleet: Fleet;
  let proxy: TcpProxy;
  let socketTeams: EmulatedWorkspace[];
  let rtmTeam: EmulatedWorkspace;
  let solo: Instance;
  const ready = async (): Promise<number> => (await fetch(`${solo.adminUrl}/readyz`)).status;
  const settledOnce = async (channels: readonly string[]): Promise<void> => {
    expect(notOnce(await settledReplies(fleet.slack, channels))).toEqual([]);
  };

  beforeAll(async () => {
    fleet = await Fleet.start({ emulator: { redeliverUnackedAfterMs: 1_000 } });
    socketTeams = await fleet.teams(4, 'socket-mode', 'Socket');
    [rtmTeam] = (await fleet.teams(1, 'rtm', 'Rtm')) as [EmulatedWorkspace];
    const url = new URL(fleet.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    solo = await fleet.start('solo', { DATABASE_URL: proxy.through(fleet.url) });
    await until(() => socketTeams.every((t) => fleet.slack.openSockets({ appId: t.appId }) === 1)
      && fleet.slack.openSockets({ teamId: rtmTeam.teamId, kind: 'rtm' }) === 1, 20_000, 'all connected');
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
    await proxy?.close();
  });

  it('stays up, keeps answering what needs no database, and is not ready', async () => {
    const cutAt = Date.now();
    await proxy.cut('reset');
    await until(async () => (await ready()) === 503, 10_000, 'not ready');
    // RTM is closed before its lease could expire, even alone: an RTM socket never has two owners.
    await until(() => fleet.slack.openSockets({ teamId: rtmTeam.teamId, kind: 'rtm' }) === 0, 2 * fleet.ttlMs, 'RTM fenced');
    const rtmClosedAt = (fleet.watch.closes.get(`rtm:${rtmTeam.teamId}`) ?? []).find((at) => at > cutAt) as number;
    expect(rtmClosedAt - cutAt).toBeLessThan(fleet.ttlMs);
    const during = socketTeams.map((t) => mention(fleet.slack, t).channel);
    await settledOnce(during); // answered over the sockets it kept
    expect(socketTeams.every((t) => fleet.slack.openSockets({ appId: t.appId }) === 1)).toBe(true);
    expect(solo.process.child.exitCode).toBeNull();
    expect((await fetch(`${solo.adminUrl}/healthz`)).status).toBe(200);
    // Its admin API still lists its own workspaces.
    const listed = await solo.workspaces();
    expect(listed.map((w) => w.teamId).sort()).toEqual(socketTeams.map((t) => t.teamId).sort());
    expect(await solo.metric('flotilla_lease_fencing_closes_total')).toBe(1);
  });

  it('is ready within 10 s after the database returns, reconnects RTM, and removed nothing', async () => {
    const rtmWaiting = mention(fleet.slack, rtmTeam).channel; // queued by Slack until the bot reconnects
    await proxy.restore();
    const restoredAt = Date.now();
    await until(async () => (await ready()) === 200, 10_000, 'ready again');
    expect(Date.now() - restoredAt).toBeLessThan(10_000);
    await until(() => fleet.slack.openSockets({ teamId: rtmTeam.teamId, kind: 'rtm' }) === 1, 15_000, 'RTM back');
    const after = [...socketTeams, rtmTeam].map((t) => mention(fleet.slack, t).channel);
    await settledOnce([rtmWaiting, ...after]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from workspace_removals`.execute(fleet.handle.kysely);
    expect(rows[0]?.n).toBe(0);
    expect((await solo.workspaces()).map((w) => [w.teamId, w.state, w.owner])).toEqual(
      [...socketTeams, rtmTeam].map((t) => [t.teamId, 'connected', 'solo']).sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    expect(fleet.watch.doubled()).toEqual([]);
  });
});
