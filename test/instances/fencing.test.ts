import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { Fleet, mention, notOnce, repliesByChannel, settledReplies, type Instance } from '../support/fleet.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

/**
 * One instance's link to the database is cut (a partition: its statements
 * hang) while the others keep theirs. It must close its connections before
 * its leases expire, the others take them over, nothing is answered twice,
 * and it rejoins when the link returns.
 */
describe('a database link cut for one instance', () => {
  let fleet: Fleet;
  let proxy: TcpProxy;
  let socketTeams: EmulatedWorkspace[];
  let rtmTeams: EmulatedWorkspace[];
  const all = (): EmulatedWorkspace[] => [...socketTeams, ...rtmTeams];
  const keyOf = (t: EmulatedWorkspace): string => (rtmTeams.includes(t) ? `rtm:${t.teamId}` : `app:${t.appId}`);
  const isOpen = (t: EmulatedWorkspace): boolean => (rtmTeams.includes(t)
    ? fleet.slack.openSockets({ teamId: t.teamId, kind: 'rtm' }) === 1
    : fleet.slack.openSockets({ appId: t.appId }) === 1);
  const instance = (id: string): Instance => fleet.instances.get(id) as Instance;
  const ready = async (i: Instance): Promise<number> => (await fetch(`${i.adminUrl}/readyz`)).status;

  beforeAll(async () => {
    fleet = await Fleet.start({ emulator: { redeliverUnackedAfterMs: 1_000 } });
    socketTeams = await fleet.teams(24, 'socket-mode', 'Socket');
    rtmTeams = await fleet.teams(6, 'rtm', 'Rtm');
    const url = new URL(fleet.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    await Promise.all([fleet.start('f1'), fleet.start('f2'), fleet.start('f3', { DATABASE_URL: proxy.through(fleet.url) })]);
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ f1: 10, f2: 10, f3: 10 }), 60_000, 'ten each');
    await until(() => all().every(isOpen), 20_000, 'all connected');
  }, 180_000);
  afterAll(async () => {
    await fleet?.stop();
    await proxy?.close();
  });

  it('closes its connections before its leases expire; the others take them over; nothing is answered twice', async () => {
    const cutOff = instance('f3');
    const list = await cutOff.workspaces();
    const theirs = all().filter((t) => list.find((w) => w.teamId === t.teamId)?.owner === 'f3');
    expect(theirs).toHaveLength(10);
    // Connections open and idle in its pool, as in a busy daemon: statements then go out on them and hang.
    await Promise.all(Array.from({ length: 4 }, () => cutOff.workspaces()));
    const cutAt = Date.now();
    await proxy.cut('blackhole');
    // Commands that need the database, taken (acked) by the cut-off instance before it fences: their statements get
    // no answer, fail within the pool's 5 s bound, and the user is told so, inside the fencing grace. Not lost.
    const needingData: string[] = theirs.filter((t) => !rtmTeams.includes(t)).slice(0, 3).map((team) => {
      const { channelId } = fleet.slack.createChannel(team.teamId);
      fleet.slack.postUserMessage(team.teamId, { user: team.userId, channel: channelId, text: `<@${team.botUserId}> task add during the cut` });
      return channelId;
    });
    const sent: Array<{ channel: string; team: EmulatedWorkspace; at: number }> = [];
    const talking = (async () => {
      while (Date.now() < cutAt + 3 * fleet.ttlMs) {
        for (const team of theirs) sent.push({ channel: mention(fleet.slack, team).channel, team, at: Date.now() });
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await until(() => theirs.every((t) => !isOpen(t) || (fleet.watch.opens.get(keyOf(t)) ?? []).some((at) => at > cutAt)), 2 * fleet.ttlMs, 'closed by the cut-off instance');
    await until(() => theirs.every(isOpen), fleet.ttlMs + 10_000, 'taken over by the others');
    for (const team of theirs) {
      const closedAt = (fleet.watch.closes.get(keyOf(team)) ?? []).find((at) => at > cutAt) as number;
      const reopenedAt = (fleet.watch.opens.get(keyOf(team)) ?? []).find((at) => at > cutAt) as number;
      // Its lease was renewed at most a tick before the cut: it could not expire before cutAt + TTL.
      expect(closedAt - cutAt).toBeLessThan(fleet.ttlMs);
      expect(reopenedAt).toBeGreaterThanOrEqual(closedAt);
    }
    expect(fleet.watch.doubled()).toEqual([]);
    await talking;
    const closedAt = (t: EmulatedWorkspace): number => (fleet.watch.closes.get(keyOf(t)) ?? []).find((at) => at > cutAt) as number;
    const afterClose = sent.filter((m) => m.at > closedAt(m.team));
    expect(afterClose.length).toBeGreaterThan(theirs.length);
    // Socket Mode: Slack keeps an event until a socket acks it. Acked by the cut-off instance before it fenced: answered
    // by it (a handler that needs the database fails within the pool's bound and says so, inside the fencing grace);
    // left unacked while it fenced, or sent after: redelivered to the new owner. Each answered exactly once.
    // RTM: sent after the cut-off instance closed its socket, answered once by the new owner.
    const once = sent.filter((m) => !rtmTeams.includes(m.team) || m.at > closedAt(m.team)).map((m) => m.channel);
    expect(notOnce(await settledReplies(fleet.slack, once))).toEqual([]);
    // RTM has no acks and no redelivery: a message that reached the socket in the moment it was being fenced (draining,
    // before it closed) is dropped. Never answered twice.
    expect([...repliesByChannel(fleet.slack, sent.map((m) => m.channel)).values()].filter((n) => n > 1)).toEqual([]);
    expect(needingData).toHaveLength(3);
    expect(notOnce(await settledReplies(fleet.slack, needingData))).toEqual([]);
    for (const channel of needingData) {
      const [reply] = fleet.slack.posted({ method: 'chat.postMessage' }).filter((m) => m.channel === channel);
      expect(reply?.text).toMatch(/temporarily unavailable: I cannot reach my database.*\(ref [0-9a-f]{8}\)/);
    }
    expect(cutOff.process.child.exitCode).toBeNull(); // still up
    expect((await fetch(`${cutOff.adminUrl}/healthz`)).status).toBe(200);
    await until(async () => (await ready(cutOff)) === 503, 10_000, 'not ready while cut off');
    expect(cutOff.process.output()).toContain('closing their connections before they can expire');
  });

  it('rejoins when the link returns and takes its share back', async () => {
    await proxy.restore();
    const restoredAt = Date.now();
    await until(async () => (await ready(instance('f3'))) === 200, 10_000, 'ready again');
    expect(Date.now() - restoredAt).toBeLessThan(10_000);
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ f1: 10, f2: 10, f3: 10 }), 60_000, 'ten each again');
    await until(() => all().every(isOpen), 15_000, 'all connected');
    const channels = all().map((t) => mention(fleet.slack, t).channel);
    expect(notOnce(await settledReplies(fleet.slack, channels))).toEqual([]);
    expect(fleet.watch.doubled()).toEqual([]);
    expect(await instance('f3').metric('flotilla_lease_fencing_closes_total')).toBe(10);
  });
});
