import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SocketModeClient } from '@slack/socket-mode';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { quietLogger, until } from './helpers.js';

interface Request { readonly headers: IncomingHttpHeaders; readonly body: string; readonly at: number }
type Answer = (request: Request, res: ServerResponse) => void;

const SECRET = 'emulator-test-signing-secret';

/** A bare HTTP app: records every request and answers with `answer` (200 empty by default). */
async function startApp(): Promise<{ url: string; requests: Request[]; answer: { current: Answer }; close(): Promise<void> }> {
  const requests: Request[] = [];
  const answer = { current: ((_request, res) => res.end()) as Answer };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      requests.push(request);
      answer.current(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slack/events`, requests, answer,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Checks the signature as Slack documents it, independently of the emulator's code. */
function isSigned(request: Request): boolean {
  const ts = String(request.headers['x-slack-request-timestamp']);
  const expected = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${request.body}`).digest('hex')}`;
  return request.headers['x-slack-signature'] === expected && Math.abs(Date.now() / 1000 - Number(ts)) < 60;
}

describe('emulator: events, commands and interactivity over HTTP (Request URL)', () => {
  let slack: SlackEmulator;
  let app: Awaited<ReturnType<typeof startApp>>;
  let team: EmulatedWorkspace;

  beforeEach(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 0, httpTimeoutMs: 400, httpRetryDelayScale: 0.001 });
    app = await startApp();
    team = slack.createWorkspace({ name: 'Http Co' });
    slack.setRequestUrl(team.appId, { url: app.url, signingSecret: SECRET });
  });

  afterEach(async () => {
    await slack.stop();
    await app.close();
  });

  it('POSTs an event_callback as signed JSON with Slack\'s outer fields, and records the 2xx as the ack', async () => {
    const { eventIds } = slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> hi` });
    await until(() => app.requests.length === 2, 'two events');
    const [message, mention] = app.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(app.requests.every(isSigned)).toBe(true);
    expect(app.requests[0]?.headers['content-type']).toBe('application/json');
    expect(app.requests[0]?.headers['x-slack-retry-num']).toBeUndefined();
    expect(message).toMatchObject({
      type: 'event_callback', team_id: team.teamId, api_app_id: team.appId, event_id: eventIds[0],
      event_time: expect.any(Number), authorizations: [expect.objectContaining({ team_id: team.teamId, user_id: team.botUserId })],
      event: { type: 'message', text: `<@${team.botUserId}> hi` },
    });
    expect(mention).toMatchObject({ event_id: eventIds[1], event: { type: 'app_mention' } });
    await until(() => slack.acks().filter((a) => a.ackedAt !== null).length === 2, 'acks');
    expect(slack.acks()[0]).toMatchObject({ transport: 'http', type: 'events_api', teamId: team.teamId, status: 200 });
    expect(slack.openSockets()).toBe(0);
    expect(slack.pendingDeliveries()).toBe(0); // delivered, not queued for a socket
  });

  it('retries an event answered with a non-2xx (http_error) and one not answered in time (http_timeout), at most 3 times', async () => {
    app.answer.current = (_request, res) => res.writeHead(500).end();
    const { eventId } = slack.sendEvent(team.teamId, { type: 'reaction_added' });
    await until(() => app.requests.length === 4, 'the first try and 3 retries');
    expect(app.requests.map((r) => [r.headers['x-slack-retry-num'], r.headers['x-slack-retry-reason']]))
      .toEqual([[undefined, undefined], ['1', 'http_error'], ['2', 'http_error'], ['3', 'http_error']]);
    expect(app.requests.map((r) => (JSON.parse(r.body) as { event_id: string }).event_id)).toEqual([eventId, eventId, eventId, eventId]);
    expect(app.requests.every(isSigned)).toBe(true);

    app.requests.length = 0;
    const late: ServerResponse[] = [];
    app.answer.current = (request, res) => (request.headers['x-slack-retry-num'] === undefined ? late.push(res) : res.end());
    slack.sendEvent(team.teamId, { type: 'reaction_added' });
    await until(() => app.requests.length === 2, 'a retry after the timeout');
    expect(app.requests[1]?.headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
    late[0]?.end(); // the late answer changes nothing
    await until(() => slack.acks().some((a) => a.retryAttempt === 1 && a.ackedAt !== null), 'the retry acked');
  });

  it('sends what waited for a socket once the app gets a Request URL', async () => {
    const later = slack.createWorkspace({ name: 'Queued' });
    const { eventId } = slack.sendEvent(later.teamId, { type: 'reaction_added' });
    expect(slack.pendingDeliveries()).toBe(1);
    slack.setRequestUrl(later.appId, { url: app.url, signingSecret: SECRET });
    await until(() => app.requests.length === 1, 'the queued event');
    expect(JSON.parse(app.requests[0]!.body)).toMatchObject({ event_id: eventId, team_id: later.teamId });
    expect(slack.pendingDeliveries()).toBe(0);
  });

  it('does not retry when the app answers X-Slack-No-Retry: 1', async () => {
    app.answer.current = (_request, res) => res.writeHead(503, { 'x-slack-no-retry': '1' }).end();
    slack.sendEvent(team.teamId, { type: 'reaction_added' });
    const witness = slack.sendEvent(team.teamId, { type: 'reaction_removed' });
    await until(() => slack.acks().filter((a) => a.status === 503).length === 2, 'both answered');
    app.answer.current = (_request, res) => res.end();
    const later = slack.sendEvent(team.teamId, { type: 'reaction_added' });
    await until(() => slack.acks().some((a) => a.eventId === later.eventId && a.ackedAt !== null), 'a later event acked');
    expect(app.requests).toHaveLength(3); // the refused two were not sent again
    expect(slack.acks().find((a) => a.eventId === witness.eventId)).toMatchObject({ ackedAt: null, failure: 'http_error' });
  });

  it('POSTs a slash command as a signed form with response_url and trigger_id; the answer in the body is recorded as ack_payload', async () => {
    app.answer.current = (_request, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'ephemeral', text: 'pong' }));
    const { responseUrl } = slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'ping' });
    await slack.waitForPosted((m) => m.method === 'ack_payload' && m.text === 'pong');
    const request = app.requests[0]!;
    expect(isSigned(request)).toBe(true);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = Object.fromEntries(new URLSearchParams(request.body));
    expect(form).toMatchObject({ command: '/flotilla', text: 'ping', team_id: team.teamId, user_id: team.userId, response_url: responseUrl });
    expect(form['trigger_id']).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);

    app.answer.current = (_request, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('plain answer');
    slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'again' });
    await slack.waitForPosted((m) => m.method === 'ack_payload' && m.text === 'plain answer');
    app.answer.current = (_request, res) => res.writeHead(500).end();
    slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'fails' });
    await until(() => slack.acks().some((a) => a.type === 'slash_commands' && a.failure === 'http_error'), 'the failed command');
    expect(app.requests).toHaveLength(3); // commands are not retried
  });

  it('POSTs interactivity as payload=; a view_submission answer in the body is applied like a Socket Mode ack', async () => {
    const views: Array<Record<string, unknown>> = [];
    app.answer.current = (request, res) => {
      const form = new URLSearchParams(request.body);
      if (form.has('command')) return void res.end();
      const payload = JSON.parse(form.get('payload') ?? '{}') as Record<string, unknown>;
      views.push(payload);
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(views.length === 1 ? JSON.stringify({ response_action: 'errors', errors: { name: 'Too short' } }) : '');
    };
    slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'form' });
    await until(() => app.requests.length === 1, 'the command');
    const triggerId = new URLSearchParams(app.requests[0]!.body).get('trigger_id');
    const opened = await fetch(`${slack.apiUrl}views.open`, {
      method: 'POST', headers: { authorization: `Bearer ${team.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ trigger_id: triggerId, view: { type: 'modal', title: { type: 'plain_text', text: 'Form' }, submit: { type: 'plain_text', text: 'Send' },
        callback_id: 'form', blocks: [{ type: 'input', block_id: 'name', label: { type: 'plain_text', text: 'Name' }, element: { type: 'plain_text_input', action_id: 'v' } }] } }),
    }).then((r) => r.json()) as { ok: boolean };
    expect(opened.ok).toBe(true);
    const refused = await slack.submitView(team.teamId, { user: team.userId, values: { name: 'x' } });
    expect(refused.response).toEqual({ response_action: 'errors', errors: { name: 'Too short' } });
    expect(slack.openViews(team.teamId)).toHaveLength(1);
    expect(views[0]).toMatchObject({ type: 'view_submission', team: { id: team.teamId }, view: { callback_id: 'form', state: { values: { name: { v: { value: 'x' } } } } } });
    const accepted = await slack.submitView(team.teamId, { user: team.userId, values: { name: 'Long enough' } });
    expect(accepted.response).toBeUndefined();
    expect(slack.openViews(team.teamId)).toHaveLength(0);
  });

  it('sends url_verification and checks the challenge comes back', async () => {
    app.answer.current = (request, res) => {
      const { challenge } = JSON.parse(request.body) as { challenge: string };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ challenge }));
    };
    const verified = await slack.verifyRequestUrl(team.appId);
    expect(verified).toMatchObject({ isVerified: true, status: 200 });
    expect(isSigned(app.requests[0]!)).toBe(true);
    expect(JSON.parse(app.requests[0]!.body)).toMatchObject({ type: 'url_verification', challenge: verified.challenge });
    app.answer.current = (_request, res) => res.end('wrong');
    expect((await slack.verifyRequestUrl(team.appId)).isVerified).toBe(false);
  });

  it('uninstallApp revokes the bot token and sends app_uninstalled to the Request URL', async () => {
    slack.uninstallApp(team.teamId, team.appId);
    await until(() => app.requests.length === 1, 'the event');
    expect(JSON.parse(app.requests[0]!.body)).toMatchObject({ type: 'event_callback', team_id: team.teamId, event: { type: 'app_uninstalled' } });
    const auth = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${team.botToken}` } }).then((r) => r.json());
    expect(auth).toEqual({ ok: false, error: 'token_revoked' });
    expect(() => slack.uninstallApp(team.teamId, 'A0NOTTHERE')).toThrow(/not installed/);
  });
});

describe('emulator control API: Request URLs and uninstall', () => {
  it('sets a Request URL, verifies it, uninstalls and revokes through /_emulator/', async () => {
    const slack = await SlackEmulator.start({ serverPingIntervalMs: 0 });
    const app = await startApp();
    const control = async (route: string, body: unknown): Promise<Record<string, unknown>> =>
      fetch(`${slack.controlUrl}${route}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
        .then((r) => r.json() as Promise<Record<string, unknown>>);
    try {
      const team = slack.createWorkspace();
      app.answer.current = (request, res) => res.end((JSON.parse(request.body) as { challenge?: string }).challenge ?? '');
      expect(await control('apps/request-url', { appId: team.appId, url: app.url, signingSecret: SECRET })).toEqual({ ok: true });
      expect(await control('apps/verify-url', { appId: team.appId })).toMatchObject({ isVerified: true });
      expect(await control('tokens/revoke', { teamId: team.teamId, bot: false, users: [team.userId] })).toMatchObject({ eventId: expect.any(String) });
      expect(await control('uninstall', { teamId: team.teamId })).toMatchObject({ eventId: expect.any(String) });
      await until(() => app.requests.length === 3, 'the two events');
      expect(app.requests.slice(1).map((r) => (JSON.parse(r.body) as { event: unknown }).event))
        .toEqual([{ type: 'tokens_revoked', tokens: { oauth: [team.userId], bot: [] } }, { type: 'app_uninstalled' }]);
      expect(await control('apps/request-url', { appId: team.appId })).toEqual({ ok: true });
      expect(await control('apps/request-url', { appId: 'A0NOSUCHAPP', url: app.url, signingSecret: SECRET })).toMatchObject({ ok: false, error: expect.stringMatching(/unknown app/) });
    } finally {
      await slack.stop();
      await app.close();
    }
  });
});

describe('emulator: uninstall events over Socket Mode', () => {
  it('revokeTokens sends tokens_revoked naming the bot (and user tokens) over the app\'s socket', async () => {
    const slack = await SlackEmulator.start({ serverPingIntervalMs: 0 });
    const team = slack.createWorkspace();
    const client = new SocketModeClient({ appToken: team.appToken, logger: quietLogger(), autoReconnectEnabled: false, clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } } });
    const seen: unknown[] = [];
    client.on('slack_event', async ({ ack, body }: { ack: () => Promise<void>; body: { event: unknown } }) => {
      seen.push(body.event);
      await ack();
    });
    try {
      await client.start();
      slack.revokeTokens(team.teamId, { users: [team.adminUserId] });
      await until(() => seen.length === 1, 'tokens_revoked');
      expect(seen[0]).toEqual({ type: 'tokens_revoked', tokens: { oauth: [team.adminUserId], bot: [team.botUserId] } });
      expect(slack.calls().length).toBeGreaterThan(0);
      const auth = await fetch(`${slack.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${team.botToken}` } }).then((r) => r.json());
      expect(auth).toMatchObject({ ok: false, error: 'token_revoked' });
      slack.uninstallApp(team.teamId);
      await until(() => seen.length === 2, 'app_uninstalled');
      expect(seen[1]).toEqual({ type: 'app_uninstalled' });
    } finally {
      await client.disconnect();
      await slack.stop();
    }
  });
});
