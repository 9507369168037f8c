import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { echoCommand } from '../support/commands.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

describe('dedupe across a restart', () => {
  let h: Harness;
  let team: EmulatedWorkspace;

  beforeAll(async () => {
    h = await startHarness({ extraCommands: [echoCommand] });
    team = h.slack.createWorkspace({ name: 'Durable' });
    await h.add(team);
  });
  afterAll(async () => h?.stop());

  it('does not answer again a Slack redelivery of a message handled before the restart', async () => {
    const sent = h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> echo before` });
    await h.slack.waitForPosted((m) => m.text === 'echo: before');
    await h.restartDaemon();
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'reconnected after restart');
    for (const eventId of sent.eventIds) h.slack.redeliver(eventId, { retryAttempt: 1, retryReason: 'timeout' });
    const fresh = h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> echo after` });
    h.slack.redeliver(fresh.eventIds[0]!, { retryAttempt: 1, retryReason: 'timeout' });
    await h.slack.waitForPosted((m) => m.text === 'echo: after');
    // The redeliveries were acked and dropped; the new message was answered once.
    await until(() => h.slack.acks().filter((a) => a.ackedAt === null).length === 0, 5_000, 'all acked');
    expect(h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === 'echo: before')).toHaveLength(1);
    expect(h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === 'echo: after')).toHaveLength(1);
  });
});
