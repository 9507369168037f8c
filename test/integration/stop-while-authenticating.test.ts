import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

jest.setTimeout(90_000);

/**
 * A worker whose `auth.test` is still on its way when the daemon stops (the
 * stop came right after workspaces were added, their workers queued at the
 * pacer) must still end: found by the import benchmark, where such a stop
 * hung for minutes.
 */
describe('a stop while a worker authenticates', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it('ends the worker once its auth.test answers, and the daemon stops', async () => {
    const team = h.slack.createWorkspace({ name: 'Late answer' });
    h.slack.setLatency('auth.test', 3_000);
    await h.daemon.repo.upsert({
      teamId: team.teamId, teamName: team.teamName, botToken: team.botToken, botUserId: team.botUserId,
      connection: { transport: 'socket-mode', appToken: team.appToken },
    });
    await h.daemon.supervisor.reconcile();
    await until(() => h.slack.calls('auth.test').length === 1, 20_000, 'the worker\'s auth.test on its way');
    let isStopped = false;
    void h.daemon.stop().then(() => { isStopped = true; });
    await until(() => isStopped, 30_000, 'the daemon stopped');
    await until(() => h.slack.openSockets() === 0, 10_000, 'no socket left open');
    expect(h.slack.calls('apps.connections.open').filter((call) => call.status === 200).length).toBeLessThanOrEqual(1);
  });
});
