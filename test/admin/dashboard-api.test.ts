import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { openStream } from '../support/stream.js';
import { until } from '../support/until.js';

describe('dashboard routes of the admin API', () => {
  let h: Harness;
  let token: string;
  let team: EmulatedWorkspace;
  const get = (path: string, headers: Record<string, string> = { authorization: `Bearer ${token}` }) =>
    fetch(`${h.daemon.adminUrl}${path}`, { headers });

  beforeAll(async () => {
    h = await startHarness();
    token = (await readFile(join(h.db.dataDir, 'admin-token'), 'utf8')).trim();
    team = h.slack.createWorkspace({ name: 'Acme' });
    await h.add(team);
  });
  afterAll(async () => h?.stop());

  it('serves the page and its files without a token, and nothing else of the folder or the API', async () => {
    const page = await get('/', {});
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect((await get('/dashboard/app.js', {})).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/dashboard/style.css', {})).status).toBe(200);
    for (const path of ['/dashboard/nothing.js', '/dashboard/..%2f..%2fserver.ts', '/dashboard/%2e%2e%2fdashboard.ts']) {
      const answer = await get(path, {});
      expect([401, 404]).toContain(answer.status);
      expect(await answer.text()).not.toMatch(/import |export /);
    }
    expect((await fetch(`${h.daemon.adminUrl}/`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    const api = await get('/v1/workspaces', {});
    expect(api.status).toBe(401);
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it.each(['/v1/stats', '/v1/stream'])('refuses %s without the bearer token, cookie or no cookie', async (path) => {
    const attempts: Record<string, string>[] = [{}, { cookie: `token=${token}; flotilla=${token}` }, { authorization: 'Bearer wrong' }];
    for (const headers of attempts) {
      const answer = await get(path, headers);
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe('flotilla_unauthorized');
    }
  });

  it('counts events and replies per second in GET /v1/stats', async () => {
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId);
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    let stats: { events: number[]; replies: number[]; instance: string; reconnects: { lastHour: number; perMinute: number[] } } | undefined;
    await until(async () => {
      stats = await (await get('/v1/stats')).json() as typeof stats;
      return sum(stats!.replies) === 1;
    }, 5_000, 'the reply counted');
    expect(stats!.instance).toBe(h.daemon.instanceId);
    expect(stats!.events).toHaveLength(600);
    expect(sum(stats!.events)).toBe(2); // the message and its app_mention
    expect(stats!.reconnects).toMatchObject({ lastHour: 0, perMinute: expect.any(Array) });
  });

  it('streams stats every second, the rows that change, and removals', async () => {
    const stream = await openStream(h.daemon.adminUrl, token);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await until(() => stream.events.some((e) => e.name === 'stats'), 5_000, 'a stats tick');
    expect(stream.events[0]).toEqual({ name: 'hello', data: { instance: h.daemon.instanceId } });
    const before = h.restarts(team.teamId);
    h.slack.dropConnections(team.teamId);
    await until(() => stream.events.some((e) => e.name === 'workspaces'
      && e.data.rows.some((r: { teamId: string; restarts: number }) => r.teamId === team.teamId && r.restarts === before + 1)), 10_000, 'the reconnected row');
    await until(() => stream.events.some((e) => e.name === 'stats' && e.data.reconnects.lastHour >= 1), 5_000, 'the reconnect in a tick');
    const other = h.slack.createWorkspace({ name: 'Leaving' });
    await h.add(other);
    const removed = await fetch(`${h.daemon.adminUrl}/v1/workspaces/${other.teamId}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(removed.status).toBe(200);
    await until(() => stream.events.some((e) => e.name === 'removed' && e.data.teamIds.includes(other.teamId)), 5_000, 'the removal');
    stream.close();
    await stream.ended;
  });

  it('keeps each worker\'s restart history: when the connection was lost and why', async () => {
    const before = h.restarts(team.teamId);
    const restart = await fetch(`${h.daemon.adminUrl}/v1/workspaces/${team.teamId}/restart`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(restart.status).toBe(202);
    await until(() => h.restarts(team.teamId) === before + 1, 10_000, 'restarted');
    const { workspace } = await (await get(`/v1/workspaces/${team.teamId}`)).json() as { workspace: { restartHistory: { at: string; reason: string }[]; restarts: number } };
    expect(workspace.restartHistory.map((r) => r.reason)).toEqual(['socket_lost', 'operator']);
    for (const entry of workspace.restartHistory) expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('ends open streams when the daemon stops, instead of waiting on them', async () => {
    const stream = await openStream(h.daemon.adminUrl, token);
    await until(() => stream.events.length > 0, 5_000, 'hello');
    await h.daemon.stop();
    await stream.ended;
    expect(h.logs.some((line) => line.includes('"stopped"'))).toBe(true);
  });
});
