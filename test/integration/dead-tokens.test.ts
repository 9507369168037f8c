import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

describe('dead tokens and transient failures', () => {
  let h: Harness;
  const mention = (team: EmulatedWorkspace, text: string) =>
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ${text}` });
  const isRemoved = async (teamId: string): Promise<boolean> =>
    h.daemon.supervisor.worker(teamId) === undefined && (await h.daemon.repo.get(teamId)) === undefined;
  const removalOf = async (teamId: string) => (await h.daemon.repo.listRemovals(teamId))[0];

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.stop());

  it.each(['invalid_auth', 'account_inactive', 'token_revoked'])(
    'removes a Socket Mode workspace whose replies answer %s, records why, and retries nothing', async (slackError) => {
      const team = h.slack.createWorkspace({ name: `Dead ${slackError}` });
      await h.add(team);
      h.slack.failToken(team.botToken, slackError);
      mention(team, 'ping');
      await until(() => isRemoved(team.teamId), 10_000, 'workspace removed');
      expect(await removalOf(team.teamId)).toMatchObject({ teamId: team.teamId, teamName: team.teamName, reason: slackError, actor: 'flotilla' });
      const callsAfter = h.slack.calls().filter((c) => c.teamId === team.teamId).length;
      await until(() => h.slack.openSockets({ appId: team.appId }) === 0, 5_000, 'socket closed');
      mention(team, 'ping');
      // Nothing listens any more: no further call is made with the dead token.
      const other = h.slack.createWorkspace({ name: 'Witness' });
      await h.add(other);
      expect(h.slack.calls().filter((c) => c.teamId === team.teamId).length).toBe(callsAfter);
    });

  it('removes an RTM workspace whose reconnect answers invalid_auth', async () => {
    const team = h.slack.createWorkspace({ name: 'Dead RTM' });
    await h.add(team, 'rtm');
    h.slack.failToken(team.botToken, 'invalid_auth'); // also drops its RTM socket
    await until(() => isRemoved(team.teamId), 15_000, 'workspace removed');
    expect(await removalOf(team.teamId)).toMatchObject({ reason: 'invalid_auth' });
  });

  it('removes every workspace of an app whose app token is revoked', async () => {
    const app = h.slack.createApp({ name: 'Revoked app' });
    const team = h.slack.createWorkspace({ name: 'On revoked app', app });
    await h.add(team);
    h.slack.failToken(app.appToken, 'token_revoked'); // drops the socket; the reopen is refused
    await until(() => isRemoved(team.teamId), 15_000, 'workspace removed');
    expect((await removalOf(team.teamId))?.reason).toContain('token_revoked');
  });

  it('removes a workspace on tokens_revoked once auth.test confirms it', async () => {
    const team = h.slack.createWorkspace({ name: 'Uninstalled' });
    await h.add(team);
    h.slack.sendEvent(team.teamId, { type: 'tokens_revoked', tokens: { bot: [team.botUserId] } });
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    expect(h.daemon.supervisor.worker(team.teamId)).toBeDefined(); // auth.test still works: a stale event is not enough
    h.slack.failToken(team.botToken, 'token_revoked');
    h.slack.sendEvent(team.teamId, { type: 'app_uninstalled' });
    await until(() => isRemoved(team.teamId), 10_000, 'workspace removed');
    expect((await removalOf(team.teamId))?.reason).toBe('app_uninstalled');
  });

  it('keeps a workspace through 429s on replies (Retry-After honoured)', async () => {
    const team = h.slack.createWorkspace({ name: 'Rate limited' });
    await h.add(team);
    h.slack.rateLimit('chat.postMessage', { retryAfterSec: 1, count: 1 });
    const sentAt = Date.now();
    mention(team, 'ping');
    const reply = await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong', 10_000);
    expect(reply.at - sentAt).toBeGreaterThanOrEqual(900);
    expect(h.slack.calls('chat.postMessage').some((c) => c.teamId === team.teamId && c.status === 429)).toBe(true);
    expect(await h.daemon.repo.get(team.teamId)).toBeDefined();
  });

  it('keeps a workspace through internal_error and 429 on connection opens, and reconnects', async () => {
    const team = h.slack.createWorkspace({ name: 'Flaky Slack' });
    await h.add(team);
    const restarts = h.restarts(team.teamId);
    h.slack.failMethod('apps.connections.open', 'internal_error', { count: 1 });
    h.slack.rateLimit('apps.connections.open', { retryAfterSec: 1, count: 1 });
    h.slack.dropConnections({ teamId: team.teamId });
    await until(() => h.restarts(team.teamId) > restarts && h.state(team.teamId) === 'connected', 20_000, 'reconnected');
    const opens = h.slack.calls('apps.connections.open').filter((c) => c.status === 429 || c.error === 'internal_error');
    expect(opens.length).toBeGreaterThanOrEqual(2);
    expect(await h.daemon.repo.get(team.teamId)).toBeDefined();
    expect(await h.daemon.repo.listRemovals(team.teamId)).toHaveLength(0);
  });

  it('retries auth.test on internal_error at start instead of removing', async () => {
    const team = h.slack.createWorkspace({ name: 'Slow start' });
    await h.daemon.workspaces.add({ botToken: team.botToken, appToken: team.appToken });
    h.slack.failMethod('auth.test', 'internal_error', { count: 1 });
    await h.daemon.workspaces.restart(team.teamId);
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'connected');
    expect(await h.daemon.repo.listRemovals(team.teamId)).toHaveLength(0);
  });
});
