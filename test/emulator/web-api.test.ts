import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ErrorCode, WebClient } from '@slack/web-api';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { quietLogger } from './helpers.js';

describe('emulator with @slack/web-api WebClient', () => {
  let slack: SlackEmulator;
  let team: EmulatedWorkspace;
  let web: WebClient;

  beforeEach(async () => {
    slack = await SlackEmulator.start();
    team = slack.createWorkspace({ name: 'Acme Corp', timeZone: 'Europe/Paris' });
    web = new WebClient(team.botToken, {
      slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: quietLogger(),
    });
  });

  afterEach(async () => {
    await slack.stop();
  });

  it('answers auth.test, users.info, conversations.info and team.info', async () => {
    expect(await web.auth.test()).toMatchObject({
      ok: true, team: 'Acme Corp', team_id: team.teamId, user_id: team.botUserId, bot_id: team.botId, is_enterprise_install: false,
    });
    const { user } = await web.users.info({ user: team.adminUserId });
    expect(user).toMatchObject({ id: team.adminUserId, is_admin: true, is_owner: true, is_bot: false, tz: 'Europe/Paris' });
    await expect(web.users.info({ user: 'UNOPE' })).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'user_not_found' } });
    expect((await web.conversations.info({ channel: team.generalChannelId })).channel).toMatchObject({ name: 'general' });
    expect((await web.team.info()).team).toMatchObject({ id: team.teamId, domain: team.domain });
    expect(slack.calls('auth.test')).toEqual([expect.objectContaining({ tokenKind: 'bot', teamId: team.teamId, status: 200 })]);
  });

  it('records chat.postMessage, chat.update and chat.postEphemeral', async () => {
    const posted = await web.chat.postMessage({
      channel: team.generalChannelId, text: 'hi', thread_ts: '1.000001',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }],
    });
    expect(posted).toMatchObject({ ok: true, channel: team.generalChannelId, message: { text: 'hi' } });
    await web.chat.update({ channel: team.generalChannelId, ts: posted.ts as string, text: 'edited' });
    const ephemeral = await web.chat.postEphemeral({ channel: team.generalChannelId, user: team.userId, text: 'psst' });
    expect(ephemeral.message_ts).toEqual(expect.any(String));
    expect(slack.posted({ teamId: team.teamId })).toEqual([
      expect.objectContaining({ method: 'chat.postMessage', text: 'hi', threadTs: '1.000001', blocks: [expect.objectContaining({ type: 'section' })] }),
      expect.objectContaining({ method: 'chat.update', text: 'edited', ts: posted.ts }),
      expect.objectContaining({ method: 'chat.postEphemeral', text: 'psst', user: team.userId }),
    ]);
    await expect(web.chat.postMessage({ channel: 'CNOPE', text: 'x' })).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    const dm = await web.chat.postMessage({ channel: team.userId, text: 'dm' });
    expect(dm.channel).toMatch(/^D/);
  });

  it('fails a token with invalid_auth, and auth.revoke kills the token', async () => {
    slack.failToken(team.botToken, 'invalid_auth');
    await expect(web.auth.test()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'invalid_auth' } });
    slack.restoreToken(team.botToken);
    expect(await web.auth.revoke()).toMatchObject({ ok: true, revoked: true });
    await expect(web.auth.test()).rejects.toMatchObject({ data: { error: 'token_revoked' } });
    slack.clearFaults();
    await expect(web.auth.test()).rejects.toMatchObject({ data: { error: 'token_revoked' } });
  });

  it('rate limits with HTTP 429 and Retry-After, for a number of calls', async () => {
    slack.rateLimit('chat.postMessage', { retryAfterSec: 7, count: 1 });
    await expect(web.chat.postMessage({ channel: team.generalChannelId, text: 'x' }))
      .rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 7 });
    expect(slack.calls('chat.postMessage')[0]).toMatchObject({ status: 429, error: 'ratelimited' });
    await expect(web.chat.postMessage({ channel: team.generalChannelId, text: 'x' })).resolves.toMatchObject({ ok: true });
  });

  it('fails methods with internal_error (200 or HTTP 5xx), answers unknown_method and not_authed', async () => {
    slack.failMethod('auth.test', 'internal_error', { count: 1 });
    await expect(web.auth.test()).rejects.toMatchObject({ code: ErrorCode.PlatformError, data: { error: 'internal_error' } });
    await expect(web.auth.test()).resolves.toMatchObject({ ok: true });
    slack.failMethod('auth.test', 'fatal_error', { status: 503 });
    await expect(web.auth.test()).rejects.toMatchObject({ code: ErrorCode.HTTPError, statusCode: 503 });
    slack.clearFaults();
    await expect(web.apiCall('nope.nothing')).rejects.toMatchObject({ data: { error: 'unknown_method' } });
    const anonymous = new WebClient(undefined, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: quietLogger() });
    await expect(anonymous.auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
    expect(slack.calls('auth.test').at(-1)).toMatchObject({ tokenKind: 'none', error: 'not_authed' });
  });

  it('checks token kinds on apps.connections.open and limits it per minute', async () => {
    await expect(web.apps.connections.open()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
    const app = new WebClient(team.appToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, logger: quietLogger() });
    slack.setConnectionsOpenLimit({ perMinute: 2 });
    expect((await app.apps.connections.open()).url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\//);
    await app.apps.connections.open();
    await expect(app.apps.connections.open()).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    await expect(app.auth.test()).rejects.toMatchObject({ data: { error: 'not_allowed_token_type' } });
  });

  it('slows a method with setLatency', async () => {
    slack.setLatency('auth.test', 150);
    const startedAt = Date.now();
    await web.auth.test();
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(140);
  });
});
