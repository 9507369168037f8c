import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('message path (Socket Mode)', () => {
  let h: Harness;
  let team: EmulatedWorkspace;

  beforeAll(async () => {
    h = await startHarness();
    team = h.slack.createWorkspace({ name: 'Acme' });
    await h.add(team);
  });
  afterAll(async () => h?.stop());

  it('answers a mention in the channel', async () => {
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    const reply = await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    expect(reply).toMatchObject({ method: 'chat.postMessage', channel: team.generalChannelId });
    expect(reply.threadTs).toBeUndefined();
  });
});
