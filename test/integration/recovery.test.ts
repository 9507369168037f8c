import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

/** Proves a workspace still answers, with a fresh marker each time. */
async function answers(h: Harness, team: EmulatedWorkspace, marker: string): Promise<void> {
  h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> help ${marker}` });
  await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes(`no \`${marker}\``), 10_000);
}

describe.each(['socket-mode', 'rtm'] as const)('recovery over %s', (transport) => {
  let h: Harness;
  let team: EmulatedWorkspace;
  const kind = transport;
  const restartsNow = (): number => h.restarts(team.teamId);
  const reconnectsAfter = async (fault: () => void, label: string): Promise<void> => {
    const before = restartsNow();
    const opensBefore = h.slack.socketOpens({ teamId: team.teamId, kind });
    fault();
    await until(() => restartsNow() === before + 1 && h.state(team.teamId) === 'connected', 15_000, `${label}: reconnected`);
    expect(h.slack.socketOpens({ teamId: team.teamId, kind })).toBeGreaterThan(opensBefore);
    await answers(h, team, `${label}-${transport}`);
  };

  beforeAll(async () => {
    h = await startHarness({ pingTimeoutMs: 1_500 });
    team = h.slack.createWorkspace({ name: `Recover ${transport}` });
    await h.add(team, transport);
  });
  afterAll(async () => h?.stop());

  it('replaces a dropped socket and counts the restart', async () => {
    await reconnectsAfter(() => h.slack.dropConnections({ teamId: team.teamId, kind }), 'dropped');
    expect(h.daemon.supervisor.worker(team.teamId)!.status().connectedSince).not.toBeNull();
  });

  it('replaces a silent socket (no pongs)', async () => {
    await reconnectsAfter(() => h.slack.silence({ teamId: team.teamId, kind }), 'silent');
  });

  if (transport === 'socket-mode') {
    it.each(['warning', 'refresh_requested', 'too_many_websockets', 'link_disabled'] as const)(
      'opens a fresh connection after disconnect reason %s', async (reason) => {
        await reconnectsAfter(() => h.slack.sendDisconnect({ teamId: team.teamId, kind }, reason), reason);
      });
  } else {
    it('opens a fresh connection after goodbye', async () => {
      await reconnectsAfter(() => h.slack.sendDisconnect({ teamId: team.teamId, kind }, 'goodbye'), 'goodbye');
    });
  }

  it('restarts on request (operator restart)', async () => {
    await reconnectsAfter(() => void h.daemon.workspaces.restart(team.teamId), 'operator');
  });
});
