import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { Fleet, mention, notOnce, settledReplies, type Instance } from '../support/fleet.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

const TEAMS = 12;

/**
 * RTM sends every event to every socket of a bot token: two sockets would be
 * two answers. Through start-up rebalancing, a hand-over, a kill -9 and a
 * joiner, no bot token ever has two sockets, and every message is answered once.
 */
describe('RTM workspaces across instances', () => {
  let fleet: Fleet;
  let teams: EmulatedWorkspace[];
  const instance = (id: string): Instance => fleet.instances.get(id) as Instance;
  const allConnected = (): boolean => teams.every((t) => fleet.slack.openSockets({ teamId: t.teamId, kind: 'rtm' }) === 1);
  const answeredOnce = async (channels: readonly string[]): Promise<void> => {
    expect(notOnce(await settledReplies(fleet.slack, channels))).toEqual([]);
  };

  beforeAll(async () => {
    fleet = await Fleet.start();
    teams = await fleet.teams(TEAMS, 'rtm', 'Rtm');
    await Promise.all(['r1', 'r2', 'r3'].map((id) => fleet.start(id)));
  }, 180_000);
  afterAll(async () => fleet?.stop());

  it('spreads the bots over the instances, one socket each', async () => {
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ r1: 4, r2: 4, r3: 4 }), 60_000, 'four each');
    await until(allConnected, 20_000, 'every bot connected once');
    await answeredOnce(teams.map((t) => mention(fleet.slack, t).channel));
    expect(fleet.watch.doubled()).toEqual([]);
  });

  it('never opens a second socket for a bot while its instance hands over or dies', async () => {
    const stopping = instance('r3');
    stopping.process.child.kill('SIGTERM');
    const during = teams.map((t) => mention(fleet.slack, t).channel);
    expect(await stopping.process.exited).toBe(0);
    await until(allConnected, 15_000, 'taken over after SIGTERM');
    await answeredOnce(during);

    const killed = instance('r2');
    killed.process.child.kill('SIGKILL');
    await killed.process.exited;
    await until(async () => (await instance('r1').connections()) === TEAMS && allConnected(), fleet.ttlMs + 15_000, 'taken over after kill -9');
    const after = teams.map((t) => mention(fleet.slack, t).channel);
    await answeredOnce(after);
    expect(fleet.watch.doubled()).toEqual([]);
  });

  it('gives a joiner its share without two sockets for any bot', async () => {
    await fleet.start('r4');
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ r1: 6, r4: 6 }), 60_000, 'six each');
    await until(allConnected, 15_000, 'every bot connected once');
    await answeredOnce(teams.map((t) => mention(fleet.slack, t).channel));
    expect(fleet.watch.doubled()).toEqual([]);
    expect(fleet.watch.maxConcurrent()).toBe(1);
  });
});
