import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator, type EmulatedWorkspace } from '../../../src/emulator/index.js';
import { classifySlackError } from '../../../src/slack/classify-error.js';
import { SlackHttp, type CallOutcome } from '../../../src/slack/slack-http.js';

describe('SlackHttp against the emulator', () => {
  let slack: SlackEmulator;
  let team: EmulatedWorkspace;
  let http: SlackHttp;
  const outcomes: Array<[string, CallOutcome]> = [];

  beforeAll(async () => {
    slack = await SlackEmulator.start();
    team = slack.createWorkspace({ name: 'HTTP' });
    http = new SlackHttp({ slackApiUrl: slack.apiUrl, onCall: (method, outcome) => outcomes.push([method, outcome]) });
  });
  afterAll(async () => {
    await http.close();
    await slack.stop();
  });

  it('posts form-encoded calls with the token and JSON-encoded blocks', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    const answer = await http.call<{ ok: boolean; ts: string }>('chat.postMessage', team.botToken, {
      channel: team.generalChannelId, text: 'hi', blocks, thread_ts: undefined,
    });
    expect(answer.ok).toBe(true);
    const posted = slack.posted({ teamId: team.teamId }).at(-1)!;
    expect(posted).toMatchObject({ text: 'hi', blocks });
    expect(posted.threadTs).toBeUndefined();
    expect(outcomes.at(-1)).toEqual(['chat.postMessage', 'ok']);
  });

  it('rejects a platform error with its Slack code', async () => {
    const error = await http.call('chat.postMessage', team.botToken, { channel: 'CNOPE', text: 'x' }).catch((e: unknown) => e);
    expect(classifySlackError(error)).toEqual({ kind: 'transient', slackError: 'channel_not_found' });
    slack.failToken(team.botToken, 'account_inactive');
    const dead = await http.call('auth.test', team.botToken).catch((e: unknown) => e);
    expect(classifySlackError(dead)).toEqual({ kind: 'dead', slackError: 'account_inactive' });
    slack.restoreToken(team.botToken);
  });

  it('rejects a 429 with Retry-After, and counts it as rate limited', async () => {
    slack.rateLimit('users.info', { retryAfterSec: 7, count: 1 });
    const error = await http.call('users.info', team.botToken, { user: team.userId }).catch((e: unknown) => e);
    expect(classifySlackError(error)).toEqual({ kind: 'transient', slackError: 'ratelimited', retryAfterMs: 7_000 });
    expect(outcomes.at(-1)).toEqual(['users.info', 'ratelimited']);
  });

  it('rejects an HTTP 5xx and a refused connection as transient', async () => {
    slack.failMethod('auth.test', 'internal_error', { count: 1, status: 503 });
    const error = await http.call('auth.test', team.botToken).catch((e: unknown) => e);
    expect(classifySlackError(error)).toEqual({ kind: 'transient', slackError: 'http_503' });
    const nowhere = new SlackHttp({ slackApiUrl: 'http://127.0.0.1:9/api/' });
    const refused = await nowhere.call('auth.test', team.botToken).catch((e: unknown) => e);
    expect(classifySlackError(refused)).toEqual({ kind: 'transient', slackError: 'request_error' });
    // Refused before anything was sent: a reply may be repeated safely.
    expect(refused).toMatchObject({ isUnsent: true });
    expect(String((refused as Error).message)).not.toContain(team.botToken);
    await nowhere.close();
  });
});
