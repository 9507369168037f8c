import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

describe('admin API', () => {
  let h: Harness;
  let token: string;
  const answers: string[] = [];

  const call = async (method: string, path: string, options: { token?: string | null; body?: string; type?: string; auth?: string } = {}) => {
    const headers: Record<string, string> = {};
    const bearer = options.token === undefined ? token : options.token;
    if (options.auth !== undefined) headers.authorization = options.auth;
    else if (bearer !== null) headers.authorization = `Bearer ${bearer}`;
    if (options.body !== undefined) headers['content-type'] = options.type ?? 'application/json';
    const response = await fetch(`${h.daemon.adminUrl}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
    const text = await response.text();
    answers.push(text);
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- answers are checked field by field
    try { json = JSON.parse(text); } catch { json = undefined; }
    return { status: response.status, json, text, headers: response.headers };
  };

  beforeAll(async () => {
    h = await startHarness();
    token = (await readFile(join(h.db.dataDir, 'admin-token'), 'utf8')).trim();
  });
  afterAll(async () => h?.stop());

  it('generates its token into the data dir with mode 0600 and writes the bound URL next to it', async () => {
    expect((await stat(join(h.db.dataDir, 'admin-token'))).mode & 0o777).toBe(0o600);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await readFile(join(h.db.dataDir, 'admin-url'), 'utf8')).trim()).toBe(h.daemon.adminUrl);
    expect(h.daemon.adminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(h.logs.some((line) => line.includes('admin API listening') && line.includes(h.daemon.adminUrl))).toBe(true);
  });

  it('answers /healthz and /readyz without a token', async () => {
    const health = await call('GET', '/healthz', { token: null });
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', instance: h.daemon.instanceId });
    const ready = await call('GET', '/readyz', { token: null });
    expect(ready).toMatchObject({ status: 200, json: { status: 'ready', checks: { database: 'ok', supervisor: 'ok' } } });
  });

  it.each([
    ['GET', '/metrics'], ['GET', '/v1/workspaces'], ['POST', '/v1/workspaces'],
    ['DELETE', '/v1/workspaces/T123'], ['POST', '/v1/workspaces/T123/restart'], ['GET', '/nowhere'],
  ])('refuses %s %s without the right token', async (method, path) => {
    for (const options of [{ token: null }, { token: 'wrong-token-of-some-length' }, { auth: `Basic ${token}` }, { token: `${token}x` }]) {
      const answer = await call(method, path, options);
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toContain('Bearer');
      expect(answer.json.error).toMatchObject({ code: 'flotilla_unauthorized', message: expect.any(String) });
    }
  });

  it.each([
    ['no body', undefined, undefined, 400, /JSON|body/],
    ['broken JSON', '{"botToken": "xoxb-1-2-secretpart', undefined, 400, /not valid JSON/],
    ['text instead of JSON', 'botToken=xoxb-1', 'text/plain', 415, /application\/json/],
    ['no botToken', '{"appToken":"xapp-1"}', undefined, 400, /botToken/],
    ['an unknown field', '{"botToken":"xoxb-1","colour":"red"}', undefined, 400, /colour/],
    ['a bad transport', '{"botToken":"xoxb-1","transport":"carrier-pigeon"}', undefined, 400, /socket-mode, rtm/],
    ['a number for a token', '{"botToken":42}', undefined, 400, /xoxb-/],
    ['a user token', '{"botToken":"xoxe-123","appToken":"xapp-1"}', undefined, 400, /xoxb-/],
    ['Socket Mode without an app token', '{"botToken":"xoxb-1-2-3"}', undefined, 400, /app-token|app-level/],
    ['an app token that is not one', '{"botToken":"xoxb-1-2-3","appToken":"xoxb-4"}', undefined, 400, /xapp-/],
  ])('refuses POST /v1/workspaces with %s (4xx, JSON saying what is wrong)', async (_what, body, type, status, message) => {
    const answer = await call('POST', '/v1/workspaces', { ...(body === undefined ? {} : { body }), ...(type === undefined ? {} : { type }) });
    expect(answer.status).toBe(status);
    expect(answer.json.error.message).toMatch(message);
    expect(answer.text).not.toContain('secretpart');
  });

  it('answers 422 naming Slack\'s answer when Slack refuses the token', async () => {
    const answer = await call('POST', '/v1/workspaces', { body: JSON.stringify({ botToken: 'xoxb-000-111-notknown', transport: 'rtm' }) });
    expect(answer.status).toBe(422);
    expect(answer.json.error).toEqual({ code: 'flotilla_slack_call', message: 'Slack auth.test failed: invalid_auth' });
  });

  it('answers 502 when Slack is unavailable', async () => {
    const team = h.slack.createWorkspace({ name: 'Busy' });
    h.slack.failMethod('auth.test', 'internal_error', { count: 1 });
    const answer = await call('POST', '/v1/workspaces', { body: JSON.stringify({ botToken: team.botToken, appToken: team.appToken }) });
    expect(answer.status).toBe(502);
    expect(answer.json.error.message).toMatch(/internal_error.*try again/);
  });

  it('adds, lists, restarts and removes a workspace', async () => {
    const team = h.slack.createWorkspace({ name: 'Via API' });
    const added = await call('POST', '/v1/workspaces', { body: JSON.stringify({ botToken: team.botToken, appToken: team.appToken }) });
    expect(added).toMatchObject({ status: 201, json: { teamId: team.teamId } });
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'connected');
    const list = await call('GET', '/v1/workspaces');
    expect(list.json.workspaces).toEqual([expect.objectContaining({
      teamId: team.teamId, teamName: 'Via API', transport: 'socket-mode', state: 'connected', restarts: 0,
      connectedSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), lastEventAt: null, lastError: null, owner: h.daemon.instanceId,
    })]);
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    const one = await call('GET', `/v1/workspaces/${team.teamId}`);
    expect(one.status).toBe(200);
    expect(one.json.workspace).toMatchObject({ teamId: team.teamId, state: 'connected', lastEventAt: expect.any(String) });
    expect(one.json.workspace.recentEvents).toEqual(expect.arrayContaining([
      { at: expect.stringMatching(/^\d{4}-/), kind: 'message', detail: '' }, expect.objectContaining({ kind: 'app_mention' }),
    ]));
    expect(one.text).not.toContain('ping'); // no message text reaches operators
    expect((await call('GET', '/v1/workspaces/TNOSUCH1')).status).toBe(404);
    const restart = await call('POST', `/v1/workspaces/${team.teamId}/restart`);
    expect(restart).toMatchObject({ status: 202, json: { restarted: 1 } });
    await until(() => h.restarts(team.teamId) === 1, 10_000, 'restarted');
    expect(await call('POST', '/v1/workspaces/all/restart')).toMatchObject({ status: 202, json: { restarted: 1 } });
    const removed = await call('DELETE', `/v1/workspaces/${team.teamId}?revoke=true&actor=test`);
    expect(removed).toMatchObject({ status: 200, json: { teamId: team.teamId, removed: true, revoked: true } });
    expect(h.slack.calls('auth.revoke')).toHaveLength(1);
    expect(await h.daemon.repo.listRemovals(team.teamId)).toEqual([expect.objectContaining({ reason: 'removed_and_revoked', actor: 'test' })]);
    expect((await call('GET', '/v1/workspaces')).json.workspaces).toEqual([]);
  });

  it.each([
    ['DELETE', '/v1/workspaces/TNOSUCH1', 404, /no workspace TNOSUCH1/],
    ['POST', '/v1/workspaces/TNOSUCH1/restart', 404, /no workspace TNOSUCH1/],
    ['DELETE', '/v1/workspaces/not-a-team', 400, /not a Slack team id/],
    ['POST', '/v1/workspaces/lower/restart', 400, /not a Slack team id.*"all"/],
    ['DELETE', '/v1/workspaces/T123?revoke=maybe', 400, /revoke/],
    ['DELETE', '/v1/workspaces/T123?force=1', 400, /unknown field "force"/],
    ['GET', '/v1/nothing-here', 404, /no route GET \/v1\/nothing-here/],
  ])('answers %s %s with %i', async (method, path, status, message) => {
    const answer = await call(method, path);
    expect(answer.status).toBe(status);
    expect(answer.json.error.message).toMatch(message);
  });

  it('never puts a token in an answer', () => {
    const everything = answers.join('\n');
    expect(everything).not.toContain(token);
    expect(everything).not.toMatch(/xox[bp]-\d|xapp-\d/);
  });

  it('bounds an import: rows and size checked before anything is looked at', async () => {
    const tooMany = await call('POST', '/v1/workspaces/import', { body: JSON.stringify({ rows: Array.from({ length: 10_001 }, () => ({ botToken: 'x' })) }) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toContain('10000');
    const empty = await call('POST', '/v1/workspaces/import', { body: JSON.stringify({ rows: [] }) });
    expect(empty.status).toBe(400);
    const unknownKey = await call('POST', '/v1/workspaces/import', { body: JSON.stringify({ rows: [{ botToken: 'xoxb-1', team: 'T1' }] }) });
    expect(unknownKey.status).toBe(400);
    const huge = await call('POST', '/v1/workspaces/import', { body: JSON.stringify({ rows: [{ botToken: 'x'.repeat(17 * 1024 * 1024) }] }) });
    expect(huge.status).toBe(413);
    const refused = await call('POST', '/v1/workspaces/import', { body: JSON.stringify({ rows: [{ botToken: 'xoxb-1-2-unknown', transport: 'rtm' }, { row: 7, botToken: 'hello' }] }) });
    expect(refused).toMatchObject({ status: 200, json: { results: [
      { row: 1, error: 'Slack auth.test failed: invalid_auth' },
      { row: 7, error: 'the bot token must start with xoxb- (or xoxp- for a legacy RTM bot)' },
    ] } });
  });
});
