import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

describe('fleet', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { FLOTILLA_POLL_INTERVAL_MS: '300' } });
  });
  afterAll(async () => h?.stop());

  it('serves three workspaces of one app over one shared socket, each answered with its own bot token', async () => {
    const app = h.slack.createApp({ name: 'Distributed' });
    const teams = [1, 2, 3].map((i) => h.slack.createWorkspace({ name: `Shared ${i}`, app }));
    for (const team of teams) await h.add(team);
    expect(h.slack.openSockets({ appId: app.appId })).toBe(1); // never one socket per workspace on a shared token
    for (const team of teams) {
      h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    }
    for (const team of teams) {
      const reply = await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
      expect(reply.channel).toBe(team.generalChannelId);
    }
    for (const team of teams) {
      const posts = h.slack.calls('chat.postMessage').filter((c) => c.teamId === team.teamId);
      expect(posts).toHaveLength(1); // the emulator knows the team by the token the call carried
    }
  });

  it('keeps the shared socket while one of its workspaces is removed', async () => {
    const app = h.slack.createApp({ name: 'Shared 2' });
    const [a, b] = [h.slack.createWorkspace({ name: 'A', app }), h.slack.createWorkspace({ name: 'B', app })];
    await h.add(a);
    await h.add(b);
    await h.daemon.workspaces.remove(a.teamId, { revoke: false, actor: 'test' });
    await until(() => h.daemon.supervisor.worker(a.teamId) === undefined, 5_000, 'A stopped');
    expect(h.slack.openSockets({ appId: app.appId })).toBe(1);
    h.slack.postUserMessage(b.teamId, { user: b.userId, channel: b.generalChannelId, text: `<@${b.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === b.teamId && m.text === 'pong');
  });

  it('picks up a workspace written straight into the table, by the poll alone', async () => {
    const team = h.slack.createWorkspace({ name: 'Inserted' });
    // No NOTIFY (as behind a pooler that drops it): only the 300 ms poll can find the row.
    await sql`alter table workspaces disable trigger workspaces_notify`.execute(h.daemon.db.kysely);
    const reconciledBefore = h.daemon.supervisor.lastReconcileAt!;
    await h.daemon.repo.upsert({
      teamId: team.teamId, teamName: team.teamName, connection: { transport: 'socket-mode', appToken: team.appToken },
      botToken: team.botToken, botUserId: team.botUserId,
    });
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'picked up and connected');
    expect(h.daemon.supervisor.lastReconcileAt!.getTime()).toBeGreaterThan(reconciledBefore.getTime());
    await sql`alter table workspaces enable trigger workspaces_notify`.execute(h.daemon.db.kysely);
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
  });

  it('stops a workspace whose row is deleted', async () => {
    const team = h.slack.createWorkspace({ name: 'Deleted' });
    await h.add(team);
    await h.daemon.repo.remove(team.teamId, { reason: 'test', actor: 'test' });
    await until(() => h.daemon.supervisor.worker(team.teamId) === undefined, 5_000, 'stopped');
    await until(() => h.slack.openSockets({ appId: team.appId }) === 0, 5_000, 'socket closed');
  });

  it('stops a disabled workspace and starts it again, with its new tokens, when it changes', async () => {
    const team = h.slack.createWorkspace({ name: 'Toggled' });
    await h.add(team);
    await h.daemon.repo.setEnabled(team.teamId, false);
    await until(() => h.daemon.supervisor.worker(team.teamId) === undefined, 5_000, 'stopped when disabled');
    await h.daemon.repo.setEnabled(team.teamId, true);
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'started when enabled');
    const before = h.daemon.supervisor.worker(team.teamId);
    await h.daemon.workspaces.add({ botToken: team.botToken, appToken: team.appToken }); // re-added: a changed row
    await until(() => h.daemon.supervisor.worker(team.teamId) !== before && h.state(team.teamId) === 'connected', 10_000, 'restarted');
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
  });

  it('restarts once on a restart request written to the table (as another replica or tool would)', async () => {
    const team = h.slack.createWorkspace({ name: 'Row restart' });
    await h.add(team);
    await h.daemon.repo.requestRestart(team.teamId);
    await until(() => h.restarts(team.teamId) === 1 && h.state(team.teamId) === 'connected', 10_000, 'restarted');
    await h.daemon.supervisor.reconcile(); // reading the row again does not restart it again
    expect(h.restarts(team.teamId)).toBe(1);
    await h.daemon.workspaces.restart(team.teamId); // a direct restart records the request too...
    await until(() => h.restarts(team.teamId) === 2 && h.state(team.teamId) === 'connected', 10_000, 'restarted again');
    await h.daemon.supervisor.reconcile(); // ...and the reconcile its NOTIFY triggers absorbs it
    // A second restart there would have dropped the socket at once: this answer would come after it.
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    expect(h.restarts(team.teamId)).toBe(2);
  });

  it('lists every workspace with its state and counters', async () => {
    const statuses = await h.daemon.workspaces.list();
    expect(statuses.length).toBeGreaterThanOrEqual(4);
    for (const s of statuses) {
      expect(s).toEqual(expect.objectContaining({
        teamId: expect.any(String), teamName: expect.any(String), transport: 'socket-mode', state: 'connected',
        restarts: expect.any(Number), owner: h.daemon.instanceId,
      }));
      expect(new Date(s.connectedSince!).toISOString()).toBe(s.connectedSince);
    }
  });
});
