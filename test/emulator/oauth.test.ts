import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { SlackEmulator, type EmulatedApp, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { quietLogger, until } from './helpers.js';

const REDIRECT = 'https://flotilla.example/slack/oauth_redirect';

/** Visits the authorize URL as a browser would and returns where Slack sent it. */
async function authorize(slack: SlackEmulator, query: Record<string, string>): Promise<{ status: number; location: URL | null; body: string }> {
  const url = new URL('/oauth/v2/authorize', slack.origin);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  return { status: response.status, location: location === null ? null : new URL(location), body: await response.text() };
}

async function access(slack: SlackEmulator, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`${slack.apiUrl}oauth.v2.access`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form),
  });
  return await response.json() as Record<string, unknown>;
}

describe('emulator: OAuth v2 install of a distributed app', () => {
  let slack: SlackEmulator;
  let app: EmulatedApp;
  let team: EmulatedWorkspace;
  let clientId: string;
  let clientSecret: string;

  beforeEach(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 0 });
    app = slack.createApp({ name: 'fleet', oauth: { redirectUris: [REDIRECT] } });
    clientId = app.oauth!.clientId;
    clientSecret = app.oauth!.clientSecret;
    team = slack.createWorkspace({ name: 'Acme' });
  });

  afterEach(async () => {
    await slack.stop();
  });

  async function codeFor(teamId = team.teamId, userId?: string): Promise<string> {
    slack.setNextAuthorization({ teamId, ...(userId === undefined ? {} : { userId }) });
    const { status, location } = await authorize(slack, { client_id: clientId, scope: 'chat:write,commands', redirect_uri: REDIRECT, state: 's1' });
    expect(status).toBe(302);
    return location!.searchParams.get('code')!;
  }

  it('redirects with a code and the state; oauth.v2.access answers the v2 shape with a bot token of that app in that team', async () => {
    expect(clientId).toMatch(/^\d+\.\d+$/);
    slack.setNextAuthorization({ teamId: team.teamId, userId: team.userId });
    const { status, location } = await authorize(slack, { client_id: clientId, scope: 'chat:write,commands', redirect_uri: REDIRECT, state: 'xyz' });
    expect(status).toBe(302);
    expect(`${location!.origin}${location!.pathname}`).toBe(REDIRECT);
    expect(location!.searchParams.get('state')).toBe('xyz');
    const code = location!.searchParams.get('code')!;
    const web = new WebClient(undefined, { slackApiUrl: slack.apiUrl, logger: quietLogger(), retryConfig: { retries: 0 } });
    const answer = await web.oauth.v2.access({ client_id: clientId, client_secret: clientSecret, code, redirect_uri: REDIRECT });
    expect(answer).toMatchObject({
      ok: true, app_id: app.appId, token_type: 'bot', scope: 'chat:write,commands', authed_user: { id: team.userId },
      team: { id: team.teamId, name: 'Acme' }, enterprise: null, is_enterprise_install: false,
    });
    const botToken = answer.access_token as string;
    expect(botToken).toMatch(/^xoxb-/);
    expect(botToken).not.toBe(team.botToken);
    expect(answer.bot_user_id).not.toBe(team.botUserId);
    // The new bot is that app's, in that team.
    const bot = new WebClient(botToken, { slackApiUrl: slack.apiUrl, logger: quietLogger(), retryConfig: { retries: 0 } });
    expect(await bot.auth.test()).toMatchObject({ team_id: team.teamId, user_id: answer.bot_user_id, app_id: app.appId });
    expect(slack.installations(team.teamId)).toEqual([expect.objectContaining({ appId: app.appId, botToken, installedBy: team.userId })]);
    // Single use.
    await expect(web.oauth.v2.access({ client_id: clientId, client_secret: clientSecret, code, redirect_uri: REDIRECT }))
      .rejects.toMatchObject({ data: { error: 'invalid_code' } });
  });

  it('redirects with error=access_denied when the user cancels', async () => {
    slack.setNextAuthorization({ deny: true });
    const { status, location } = await authorize(slack, { client_id: clientId, scope: 'chat:write', redirect_uri: REDIRECT, state: 'abc' });
    expect(status).toBe(302);
    expect(location!.searchParams.get('error')).toBe('access_denied');
    expect(location!.searchParams.get('state')).toBe('abc');
    expect(location!.searchParams.has('code')).toBe(false);
    expect(slack.installations()).toEqual([]);
  });

  it('refuses an unknown client id or a redirect URI outside the configured ones with an error page', async () => {
    slack.setNextAuthorization({ teamId: team.teamId });
    expect(await authorize(slack, { client_id: '1.2', scope: 'chat:write', redirect_uri: REDIRECT })).toMatchObject({ status: 400, location: null });
    const outside = await authorize(slack, { client_id: clientId, scope: 'chat:write', redirect_uri: 'https://evil.example/slack/oauth_redirect' });
    expect(outside).toMatchObject({ status: 400, location: null });
    expect(outside.body).toContain('bad_redirect_uri');
    // A path under the configured URL is allowed, as on Slack.
    const under = await authorize(slack, { client_id: clientId, scope: 'chat:write', redirect_uri: `${REDIRECT}/more` });
    expect(under.status).toBe(302);
  });

  it("checks client id, secret, code and redirect URI with Slack's errors; accepts HTTP Basic auth", async () => {
    const code = await codeFor();
    expect(await access(slack, { client_id: '9.9', client_secret: clientSecret, code, redirect_uri: REDIRECT })).toEqual({ ok: false, error: 'invalid_client_id' });
    expect(await access(slack, { client_id: clientId, client_secret: 'wrong', code, redirect_uri: REDIRECT })).toEqual({ ok: false, error: 'bad_client_secret' });
    expect(await access(slack, { client_id: clientId, client_secret: clientSecret, code: 'nope', redirect_uri: REDIRECT })).toEqual({ ok: false, error: 'invalid_code' });
    expect(await access(slack, { client_id: clientId, client_secret: clientSecret, code, redirect_uri: `${REDIRECT}/other` })).toEqual({ ok: false, error: 'bad_redirect_uri' });
    // Failed attempts did not use the code up; Basic auth carries the credentials.
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    expect(await access(slack, { code, redirect_uri: REDIRECT }, { authorization: basic })).toMatchObject({ ok: true, team: { id: team.teamId } });
    expect(await access(slack, { code, redirect_uri: REDIRECT }, { authorization: basic })).toEqual({ ok: false, error: 'invalid_code' });
    // A code of another app is not this app's.
    const other = slack.createApp({ oauth: {} });
    const theirs = await access(slack, { client_id: other.oauth!.clientId, client_secret: other.oauth!.clientSecret, code: await codeFor(), redirect_uri: REDIRECT });
    expect(theirs).toEqual({ ok: false, error: 'invalid_code' });
    expect(slack.calls('oauth.v2.access').every((call) => call.tokenKind === 'none')).toBe(true);
  });

  it('keeps the bot user and token on a reinstall, records the new installer, and issues a new token after a revoke', async () => {
    const first = await access(slack, { client_id: clientId, client_secret: clientSecret, code: await codeFor(), redirect_uri: REDIRECT });
    const again = await access(slack, { client_id: clientId, client_secret: clientSecret, code: await codeFor(team.teamId, team.userId), redirect_uri: REDIRECT });
    expect(again).toMatchObject({ access_token: first.access_token, bot_user_id: first.bot_user_id, authed_user: { id: team.userId } });
    expect(slack.installations(team.teamId)).toHaveLength(1);
    const bot = new WebClient(first.access_token as string, { slackApiUrl: slack.apiUrl, logger: quietLogger(), retryConfig: { retries: 0 } });
    await bot.auth.revoke();
    const fresh = await access(slack, { client_id: clientId, client_secret: clientSecret, code: await codeFor(), redirect_uri: REDIRECT });
    expect(fresh.access_token).not.toBe(first.access_token);
    expect(fresh.bot_user_id).toBe(first.bot_user_id);
  });

  it("routes events for an installed app to that app's Socket Mode connection, as its bot", async () => {
    const installed = await access(slack, { client_id: clientId, client_secret: clientSecret, code: await codeFor(), redirect_uri: REDIRECT });
    const client = new SocketModeClient({ appToken: app.appToken, logger: quietLogger(), clientOptions: { slackApiUrl: slack.apiUrl } });
    const mentions: Array<Record<string, unknown>> = [];
    client.on('app_mention', ({ ack, body }: { ack: () => Promise<void>; body: Record<string, unknown> }) => {
      void ack();
      mentions.push(body);
    });
    await client.start();
    try {
      slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${String(installed.bot_user_id)}> help` });
      await until(() => mentions.length === 1, 'the installed app got the mention');
      expect(mentions[0]).toMatchObject({ team_id: team.teamId, api_app_id: app.appId, authorizations: [{ user_id: installed.bot_user_id }] });
      // The team's own app was not mentioned: it gets the message event only (queued: nobody listens for it).
      expect(slack.acks().filter((ack) => ack.teamId === team.teamId)).toHaveLength(2);
    } finally {
      await client.disconnect();
    }
  });

  it('is driven through the control API too', async () => {
    const post = (route: string, body: unknown): Promise<Response> => fetch(`${slack.controlUrl}${route}`, { method: 'POST', body: JSON.stringify(body) });
    const created = await (await post('apps', { name: 'ctl', oauth: { redirectUris: [REDIRECT] } })).json() as EmulatedApp;
    expect(created.oauth?.clientId).toMatch(/^\d+\.\d+$/);
    expect((await post('oauth/next-authorization', { deny: true })).status).toBe(200);
    const { location } = await authorize(slack, { client_id: created.oauth!.clientId, scope: 'chat:write', redirect_uri: REDIRECT });
    expect(location!.searchParams.get('error')).toBe('access_denied');
    expect((await post('oauth/next-authorization', { teamId: 'TNOPE' })).status).toBe(400);
    expect(await (await fetch(`${slack.controlUrl}installations`)).json()).toEqual([]);
  });
});
