import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { defineCommand } from '../../src/commands/index.js';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { buttons } from '../commands/people.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
// Wednesday 14 May 2025, 10:00 UTC: the leave form's dates are checked against this clock.
const NOW = new Date('2025-05-14T10:00:00Z');

/** The bound URL of the public listener, from its start-up log line (port 0 in tests). */
function publicUrlOf(h: Harness): string {
  const line = h.logs.map((l) => JSON.parse(l) as { msg?: string; url?: string }).find((l) => l.msg === 'public listener up');
  if (line?.url === undefined) throw new Error('no public listener in the logs');
  return line.url;
}

/** A request signed as Slack signs it (or not, or badly), sent straight to /slack/events. */
async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const response = await fetch(`${url}/slack/events`, { method: 'POST', body, headers });
  return { status: response.status, text: await response.text() };
}

function sign(body: string, secret = SIGNING_SECRET, ts = Math.floor(Date.now() / 1000)): Record<string, string> {
  return { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}` };
}

/** `slow`: answers only when the test releases it (after Slack's 3 s are over, the answer must go to response_url). */
let releaseSlow: (() => void) | undefined;
const slowCommand = defineCommand({
  name: 'slow', usage: 'slow', summary: 'Answer when the test says so (tests).',
  async run({ reply }) {
    await new Promise<void>((resolve) => { releaseSlow = resolve; });
    await reply('the slow answer');
  },
});

describe('HTTP events (POST /slack/events) against the emulator', () => {
  let h: Harness;
  let url: string;
  let team: EmulatedWorkspace;

  const isRemoved = async (teamId: string): Promise<boolean> =>
    h.daemon.supervisor.worker(teamId) === undefined && (await h.daemon.repo.get(teamId)) === undefined;
  const mention = (t: EmulatedWorkspace, text: string) =>
    h.slack.postUserMessage(t.teamId, { user: t.userId, channel: t.generalChannelId, text: `<@${t.botUserId}> ${text}` });
  const metric = async (outcome: string): Promise<number> => {
    const text = await h.daemon.metrics.render();
    const match = new RegExp(`^flotilla_http_events_requests_total\\{outcome="${outcome}"\\} (\\d+)`, 'm').exec(text);
    return Number(match?.[1] ?? 0);
  };

  /** An emulated team whose app delivers over HTTP to this daemon, added with `--transport http`. */
  async function httpTeam(name: string): Promise<EmulatedWorkspace> {
    const created = h.slack.createWorkspace({ name });
    h.slack.setRequestUrl(created.appId, { url: `${url}/slack/events`, signingSecret: SIGNING_SECRET });
    await h.daemon.workspaces.add({ botToken: created.botToken, transport: 'http' });
    await until(() => h.state(created.teamId) === 'connected', 10_000, `${name} connected`);
    return created;
  }

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW, extraCommands: [slowCommand], env: { FLOTILLA_PUBLIC_ADDR: '127.0.0.1:0', SLACK_SIGNING_SECRET: SIGNING_SECRET } });
    url = publicUrlOf(h);
    team = await httpTeam('Http Acme');
  });
  afterAll(async () => h?.stop());

  it('workspace add --transport http: no socket, connected after auth.test, listed as http, and a mention answered over HTTP', async () => {
    expect(h.daemon.supervisor.worker(team.teamId)?.status()).toMatchObject({ transport: 'http', state: 'connected' });
    const listed = (await h.daemon.workspaces.list()).find((w) => w.teamId === team.teamId);
    expect(listed).toMatchObject({ transport: 'http', state: 'connected', owner: h.daemon.instanceId, connectedSince: expect.any(String) });
    expect(h.slack.openSockets({ appId: team.appId })).toBe(0);
    expect(h.slack.calls('apps.connections.open').filter((c) => c.teamId === team.teamId)).toHaveLength(0);
    const { eventIds } = mention(team, 'ping');
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong' && m.method === 'chat.postMessage', 10_000);
    await until(() => h.slack.acks().filter((a) => eventIds.includes(a.eventId ?? '') && a.ackedAt !== null).length === 2, 5_000, 'both events acked');
    expect(h.slack.acks().find((a) => a.eventId === eventIds[0])).toMatchObject({ transport: 'http', status: 200 });
  });

  it('workspace restart of an http workspace checks its token again and counts a restart', async () => {
    const authTests = h.slack.calls('auth.test').filter((c) => c.teamId === team.teamId).length;
    expect(await h.daemon.workspaces.restart(team.teamId)).toBe(1);
    await until(() => h.restarts(team.teamId) === 1 && h.state(team.teamId) === 'connected', 10_000, 'restarted');
    expect(h.slack.calls('auth.test').filter((c) => c.teamId === team.teamId).length).toBe(authTests + 1);
    expect(h.daemon.supervisor.worker(team.teamId)?.restartHistory).toEqual([expect.objectContaining({ reason: 'operator' })]);
    mention(team, 'ping');
    await until(() => h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === 'pong').length === 2, 10_000, 'still answering');
  });

  it('answers url_verification with its challenge', async () => {
    const verified = await h.slack.verifyRequestUrl(team.appId);
    expect(verified.isVerified).toBe(true);
    expect(JSON.parse(verified.body)).toEqual({ challenge: verified.challenge });
  });

  it('refuses forged, stale, unsigned and altered requests with 401: nothing handled, the body never logged', async () => {
    const marker = `forged-${Date.now()}`;
    const body = JSON.stringify({
      type: 'event_callback', team_id: team.teamId, api_app_id: team.appId, event_id: `Ev${marker}`,
      event: { type: 'app_mention', user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> task add ${marker}`, ts: '1747216800.000100' },
    });
    const json = { 'content-type': 'application/json' };
    const refusedBefore = await metric('refused');
    const logsBefore = h.logs.length;
    const attempts = [
      post(url, body, { ...json, ...sign(body, 'not-the-secret') }), // forged
      post(url, body, { ...json, ...sign(body, SIGNING_SECRET, Math.floor(Date.now() / 1000) - 6 * 60) }), // stale
      post(url, body, { ...json, ...sign(body, SIGNING_SECRET, Math.floor(Date.now() / 1000) + 6 * 60) }), // from the future
      post(url, body, json), // unsigned
      post(url, body, { ...json, 'x-slack-signature': sign(body)['x-slack-signature']! }), // no timestamp
      post(url, body.replace('task add', 'task ADD'), { ...json, ...sign(body) }), // altered after signing
      post(url, body, { ...json, ...sign(body), 'x-slack-signature': 'v0=00' }), // wrong length
    ];
    for (const result of await Promise.all(attempts)) expect(result).toEqual({ status: 401, text: 'Unauthorized' });
    expect(await metric('refused')).toBe(refusedBefore + attempts.length);
    const refusalLogs = h.logs.slice(logsBefore);
    expect(refusalLogs.filter((l) => l.includes('refused a request to /slack/events'))).toHaveLength(attempts.length);
    expect(refusalLogs.filter((l) => l.includes(marker))).toEqual([]); // neither the body nor anything from it
    expect(h.slack.posted({ teamId: team.teamId }).filter((m) => m.text.includes(marker))).toHaveLength(0);
    // The same request, signed, is handled: proof the refusals were the signature's doing.
    const good = await post(url, body, { ...json, ...sign(body) });
    expect(good.status).toBe(200);
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes(marker), 10_000);
    expect(h.slack.posted({ teamId: team.teamId }).filter((m) => m.text.includes(marker))).toHaveLength(1);
    const tasks = await h.daemon.db.kysely.selectFrom('tasks').select('title').where('team_id', '=', team.teamId).execute();
    expect(tasks.filter((t) => t.title.includes(marker))).toHaveLength(1);
    expect(h.logs.join('\n')).not.toContain(SIGNING_SECRET);
  });

  it('a signed but unreadable request gets 400; a signed ssl_check gets 200', async () => {
    const body = '{"type":"event_callback",';
    expect((await post(url, body, { 'content-type': 'application/json', ...sign(body) })).status).toBe(400);
    const check = 'ssl_check=1&token=emulator-verification-token';
    expect((await post(url, check, { 'content-type': 'application/x-www-form-urlencoded', ...sign(check) })).status).toBe(200);
    expect((await post(url, check, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(401);
  });

  it('deduplicates a redelivery carrying X-Slack-Retry-Num: answered once', async () => {
    const { eventIds } = mention(team, 'task add retried once');
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes('retried once'), 10_000);
    for (const eventId of eventIds) h.slack.redeliver(eventId);
    await until(() => h.slack.acks().filter((a) => eventIds.includes(a.eventId ?? '') && a.retryAttempt === 1 && a.ackedAt !== null).length === 2, 10_000, 'the retries acked');
    // A later request is answered: by then a second answer to the retried one would have come.
    const pongs = h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === 'pong').length;
    mention(team, 'ping');
    await until(() => h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === 'pong').length === pongs + 1, 10_000, 'one more pong');
    expect(h.slack.posted({ teamId: team.teamId }).filter((m) => m.text.includes('retried once'))).toHaveLength(1);
    const tasks = await h.daemon.db.kysely.selectFrom('tasks').select('title').where('team_id', '=', team.teamId).where('title', 'like', '%retried once%').execute();
    expect(tasks).toHaveLength(1);
  });

  it('answers a slash command in the response body', async () => {
    h.slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'ping' });
    const answer = await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.method === 'ack_payload' && m.text === 'pong', 10_000);
    expect(answer).toMatchObject({ responseType: 'ephemeral', user: team.userId });
  });

  it('answers a slow slash command through response_url once the HTTP response went out empty', async () => {
    const { envelopeId, responseUrl } = h.slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'slow' });
    await until(() => h.slack.acks().some((a) => a.envelopeId === envelopeId && a.ackedAt !== null), 10_000, 'the empty answer');
    const ack = h.slack.acks().find((a) => a.envelopeId === envelopeId)!;
    expect(ack).toMatchObject({ transport: 'http', status: 200 });
    expect(ack.payload).toBeUndefined();
    expect(ack.ackedAt! - ack.sentAt).toBeLessThan(3_000);
    releaseSlow!();
    const answer = await h.slack.waitForPosted((m) => m.method === 'response_url' && m.text === 'the slow answer', 10_000);
    expect(answer).toMatchObject({ teamId: team.teamId, user: team.userId });
    expect(responseUrl).toContain('/hooks/');
    expect(h.slack.posted({ method: 'ack_payload' }).filter((m) => m.text === 'the slow answer')).toHaveLength(0);
  });

  it('runs the leave form over HTTP: /flotilla leave opens it, a bad submission is answered in the body, a good one is stored, Approve decides', async () => {
    h.slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'leave' });
    await until(() => h.slack.openViews(team.teamId).some((v) => v.userId === team.userId), 10_000, 'the form to open');
    expect(h.slack.openViews(team.teamId)[0]?.view).toMatchObject({ callback_id: 'leave_request', title: { text: 'Apply for leave' } });
    const reversed = await h.slack.submitView(team.teamId, { user: team.userId, values: { type: 'sick', from: '2025-05-20', to: '2025-05-18' } });
    expect(reversed.response).toEqual({ response_action: 'errors', errors: { to: 'Your leave ends (2025-05-18) before it starts (2025-05-20).' } });
    expect(h.slack.openViews(team.teamId)).toHaveLength(1);
    const sent = await h.slack.submitView(team.teamId, { user: team.userId, values: { type: 'sick', from: '2025-05-19', to: '2025-05-20', reason: 'Flu' } });
    expect(sent.response).toBeUndefined();
    expect(h.slack.openViews(team.teamId)).toHaveLength(0);
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.startsWith('Leave request #1: sick'), 10_000);
    const rows = await h.daemon.db.kysely.selectFrom('leave_requests').select(['number', 'status']).where('team_id', '=', team.teamId).execute();
    expect(rows).toEqual([{ number: 1, status: 'pending' }]);
    // The approver's Approve button, clicked: a block_actions payload over HTTP.
    await until(() => h.slack.posted({ teamId: team.teamId }).some((m) => buttons(m).includes('leave_approve')), 10_000, 'the approver\'s note');
    const note = h.slack.posted({ teamId: team.teamId }).find((m) => buttons(m).includes('leave_approve'))!;
    h.slack.clickButton(team.teamId, { user: team.adminUserId, channel: note.channel, ts: note.ts, actionId: 'leave_approve' });
    await until(async () => (await h.daemon.db.kysely.selectFrom('leave_requests').select('status').where('team_id', '=', team.teamId).executeTakeFirst())?.status === 'approved', 10_000, 'approved');
    await until(() => h.slack.posted({ teamId: team.teamId, method: 'chat.update' }).some((m) => m.ts === note.ts && buttons(m).length === 0), 10_000, 'the note loses its buttons');
    const interactive = h.slack.acks().filter((a) => a.type === 'interactive' && a.teamId === team.teamId);
    expect(interactive).toHaveLength(3); // two submissions and one click
    expect(interactive.every((a) => a.transport === 'http' && a.status === 200 && a.ackedAt !== null)).toBe(true);
  });

  it('answers 200 to an event for a team not installed here, drops it and counts it', async () => {
    const app = h.slack.app(team.appId)!;
    const stranger = h.slack.createWorkspace({ name: 'Not installed', app });
    const before = await metric('unknown_team');
    const { eventIds } = mention(stranger, 'ping');
    await until(() => h.slack.acks().filter((a) => eventIds.includes(a.eventId ?? '') && a.ackedAt !== null).length === 2, 10_000, 'acked');
    expect(h.slack.acks().filter((a) => eventIds.includes(a.eventId ?? '')).every((a) => a.status === 200 && a.retryAttempt === undefined)).toBe(true);
    expect(await metric('unknown_team')).toBe(before + 2);
    expect(h.slack.posted({ teamId: stranger.teamId })).toHaveLength(0);
  });

  it('removes an HTTP workspace on app_uninstalled, once, with two instances serving it', async () => {
    const second = await h.startAnotherDaemon('second-instance');
    const gone = await httpTeam('Uninstalled over HTTP');
    await until(() => second.supervisor.worker(gone.teamId)?.status().state === 'connected', 10_000, 'the second instance serves it too');
    h.slack.uninstallApp(gone.teamId, gone.appId);
    await until(async () => (await isRemoved(gone.teamId)) && second.supervisor.worker(gone.teamId) === undefined, 15_000, 'removed everywhere');
    expect(await h.daemon.repo.listRemovals(gone.teamId)).toEqual([expect.objectContaining({ reason: 'app_uninstalled', actor: 'flotilla' })]);
    await second.stop();
  });

  it('removes a workspace on tokens_revoked naming its bot, over HTTP and over Socket Mode; user tokens alone change nothing', async () => {
    const overHttp = await httpTeam('Revoked over HTTP');
    const overSocket = h.slack.createWorkspace({ name: 'Revoked over Socket Mode' });
    await h.add(overSocket);
    h.slack.revokeTokens(overHttp.teamId, { bot: false, users: [overHttp.adminUserId] });
    mention(overHttp, 'ping');
    await h.slack.waitForPosted((m) => m.teamId === overHttp.teamId && m.text === 'pong', 10_000);
    expect(h.daemon.supervisor.worker(overHttp.teamId)).toBeDefined();
    h.slack.revokeTokens(overHttp.teamId);
    h.slack.revokeTokens(overSocket.teamId);
    await until(async () => (await isRemoved(overHttp.teamId)) && (await isRemoved(overSocket.teamId)), 15_000, 'both removed');
    for (const removed of [overHttp, overSocket]) {
      expect(await h.daemon.repo.listRemovals(removed.teamId)).toEqual([expect.objectContaining({ reason: 'tokens_revoked' })]);
    }
    const other = h.slack.createWorkspace({ name: 'Uninstalled over Socket Mode' });
    await h.add(other);
    h.slack.uninstallApp(other.teamId);
    await until(() => isRemoved(other.teamId), 15_000, 'removed');
    expect(await h.daemon.repo.listRemovals(other.teamId)).toEqual([expect.objectContaining({ reason: 'app_uninstalled' })]);
  });

  it('removes an HTTP workspace whose reply is refused with a dead token', async () => {
    const dead = await httpTeam('Dead token over HTTP');
    h.slack.failToken(dead.botToken, 'invalid_auth');
    mention(dead, 'ping');
    await until(() => isRemoved(dead.teamId), 15_000, 'removed');
    expect(await h.daemon.repo.listRemovals(dead.teamId)).toEqual([expect.objectContaining({ reason: 'invalid_auth' })]);
  });
});
