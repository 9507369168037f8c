import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { WorkspaceView } from '../../src/admin/api-types.js';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { Fleet, mention, notOnce, settledReplies, type Instance } from '../support/fleet.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

const TEAMS = 30;

describe('three instances on one database', () => {
  let fleet: Fleet;
  let teams: EmulatedWorkspace[];
  const instance = (id: string): Instance => fleet.instances.get(id) as Instance;
  const allConnected = (): boolean => teams.every((t) => fleet.slack.openSockets({ appId: t.appId }) === 1);
  const answeredOnce = async (channels: readonly string[]): Promise<void> => {
    expect(notOnce(await settledReplies(fleet.slack, channels))).toEqual([]);
  };

  beforeAll(async () => {
    fleet = await Fleet.start({ emulator: { redeliverUnackedAfterMs: 1_000 } });
    teams = await fleet.teams(TEAMS);
    await Promise.all(['i1', 'i2', 'i3'].map((id) => fleet.start(id)));
  }, 180_000);
  afterAll(async () => fleet?.stop());

  it('holds each connection exactly once, in fair shares', async () => {
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ i1: 10, i2: 10, i3: 10 }), 60_000, 'ten connections each');
    await until(allConnected, 20_000, 'every app connected once');
    expect(fleet.slack.openSockets({ kind: 'socket-mode' })).toBe(TEAMS);
    expect(fleet.watch.doubled()).toEqual([]); // never two sockets for one app, rebalancing included
  });

  it('answers every workspace exactly once under load', async () => {
    const channels: string[] = [];
    for (let round = 0; round < 5; round++) for (const team of teams) channels.push(mention(fleet.slack, team).channel);
    await answeredOnce(channels);
  });

  it('shows the same workspace list on every instance, each workspace with its owner', async () => {
    const shape = (list: readonly WorkspaceView[]): string => JSON.stringify(list.map((w) => [w.teamId, w.owner, w.state, w.transport]));
    let lists: WorkspaceView[][] = [];
    await until(async () => {
      lists = await Promise.all(fleet.live().map((i) => i.workspaces()));
      return lists.every((list) => shape(list) === shape(lists[0]!)) && lists[0]!.every((w) => w.state === 'connected');
    }, 15_000, 'the same list everywhere');
    expect(lists[0]!.map((w) => w.teamId)).toEqual(teams.map((t) => t.teamId).sort());
    for (const i of fleet.live()) {
      const owned = lists[0]!.filter((w) => w.owner === i.id);
      expect(owned).toHaveLength(await i.connections());
      // Each owner's own rows carry its live counters (the others show what it published).
      const own = (await i.workspaces()).filter((w) => w.owner === i.id);
      expect(own.every((w) => w.lastEventAt !== null && w.connectedSince !== null)).toBe(true);
    }
  });

  it('restarts a workspace through an instance that does not own it', async () => {
    const target = (await instance('i1').workspaces()).find((w) => w.owner === 'i2') as WorkspaceView;
    const team = teams.find((t) => t.teamId === target.teamId) as EmulatedWorkspace;
    const opensBefore = fleet.slack.socketOpens({ appId: team.appId });
    expect(await instance('i1').post<{ restarted: number }>(`/v1/workspaces/${team.teamId}/restart`)).toEqual({ restarted: 1 });
    await until(() => fleet.slack.socketOpens({ appId: team.appId }) === opensBefore + 1 && fleet.slack.openSockets({ appId: team.appId }) === 1, 10_000, 'reconnected by its owner');
    await until(async () => {
      const status = (await instance('i2').workspaces()).find((w) => w.teamId === team.teamId);
      return status?.restarts === 1 && status.state === 'connected';
    }, 10_000, 'counted by its owner');
    await answeredOnce([mention(fleet.slack, team).channel]);
  });

  it('hands a stopping instance\'s connections over within 5 s plus the time to connect, answering everything once', async () => {
    const victim = instance('i3');
    const list = await victim.workspaces();
    const theirs = teams.filter((t) => list.find((w) => w.teamId === t.teamId)?.owner === 'i3');
    expect(theirs).toHaveLength(10);
    const stoppedAt = Date.now();
    victim.process.child.kill('SIGTERM');
    const channels = theirs.map((t) => mention(fleet.slack, t).channel); // arriving while it hands over
    // 5 s to hand over, plus connecting 10 sockets on a shared machine.
    await until(() => theirs.every((t) => (fleet.watch.opens.get(`app:${t.appId}`) ?? []).some((at) => at > stoppedAt)) && allConnected(), 10_000, 'taken over');
    expect(await victim.process.exited).toBe(0);
    await answeredOnce(channels);
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ i1: 15, i2: 15 }), 60_000, 'fifteen each');
    expect(fleet.watch.doubled()).toEqual([]);
  });

  it('gives a joining instance its share, taken from the others, paced', async () => {
    await fleet.start('i4');
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ i1: 10, i2: 10, i4: 10 }), 60_000, 'ten each again');
    await until(allConnected, 15_000, 'every app connected');
    expect(fleet.watch.doubled()).toEqual([]);
    const channels = teams.map((t) => mention(fleet.slack, t).channel);
    await answeredOnce(channels);
    expect(fleet.output()).not.toContain(fleet.encryptionKey);
    expect(fleet.output()).not.toMatch(/xox[bp]-\d|xapp-\d/);
  });
});
