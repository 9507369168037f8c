import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { Fleet, mention, notOnce, settledReplies, type Instance } from '../support/fleet.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

/**
 * Instances of one fleet must share FLOTILLA_ENCRYPTION_KEY. One that was
 * given another key says so in one line naming the variable, leaves those
 * workspaces alone (it neither holds their connections nor touches their
 * rows), and the instance with the right key serves them all.
 */
describe('an instance with the wrong encryption key', () => {
  let fleet: Fleet;
  let teams: EmulatedWorkspace[];
  let good: Instance;
  let wrong: Instance;

  beforeAll(async () => {
    fleet = await Fleet.start();
    teams = await fleet.teams(6);
    [good, wrong] = await Promise.all([fleet.start('good'), fleet.start('wrong', { FLOTILLA_ENCRYPTION_KEY: SecretBox.generateKey() })]);
  }, 180_000);
  afterAll(async () => fleet?.stop());

  it('says so once, holds nothing, and leaves every workspace to the instance that can serve it', async () => {
    // It takes its share (half) first, finds it cannot decrypt it, and gives it back.
    await until(() => wrong.process.output().includes('FLOTILLA_ENCRYPTION_KEY'), 60_000, 'the wrong instance reporting');
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ good: 6, wrong: 0 }), 90_000, 'all held by the good instance');
    await until(() => teams.every((t) => fleet.slack.openSockets({ appId: t.appId }) === 1), 20_000, 'all connected');
    expect(notOnce(await settledReplies(fleet.slack, teams.map((t) => mention(fleet.slack, t).channel)))).toEqual([]);
    const reports = wrong.process.output().split('\n').filter((line) => line.includes('FLOTILLA_ENCRYPTION_KEY'));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThanOrEqual(2); // one line per attempt, not one per workspace (6)
    expect(good.process.output()).not.toContain('cannot decrypt');
    // It still shows the fleet, as the owner publishes it (within a few seconds of each change).
    const expected = JSON.stringify(teams.map((t) => [t.teamId, 'good', 'connected']).sort((a, b) => a[0]!.localeCompare(b[0]!)));
    await until(async () => JSON.stringify((await wrong.workspaces()).map((w) => [w.teamId, w.owner, w.state])) === expected, 15_000, 'the fleet listed by the wrong instance');
    expect(fleet.watch.doubled()).toEqual([]);
  });
});
