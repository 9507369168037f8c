import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator, type EmulatedWorkspace } from '../../../src/emulator/index.js';
import { postReply } from '../../../src/fleet/replies.js';
import { SlackWeb } from '../../../src/slack/web-client.js';
import { until } from '../../support/until.js';

describe('postReply against the emulator', () => {
  let slack: SlackEmulator;
  let team: EmulatedWorkspace;
  let web: SlackWeb;
  const signal = new AbortController().signal;
  const count = (text: string) => slack.posted({ teamId: team.teamId }).filter((m) => m.text === text).length;

  beforeAll(async () => {
    slack = await SlackEmulator.start();
    team = slack.createWorkspace({ name: 'Replies' });
    // undici checks its timeouts about every half second: a 1 s timeout against 3 s of latency.
    web = new SlackWeb({ slackApiUrl: slack.apiUrl, timeoutMs: 1_000 });
  });
  afterAll(async () => {
    await web.close();
    await slack.stop();
  });

  it('repeats a rate-limited post after Retry-After and posts once', async () => {
    slack.rateLimit('chat.postMessage', { retryAfterSec: 1, count: 1 });
    await postReply(web.caller(team.botToken), { channel: team.generalChannelId, threadTs: '1.5' }, { text: 'after 429' }, signal);
    expect(count('after 429')).toBe(1);
    expect(slack.posted({ teamId: team.teamId }).at(-1)?.threadTs).toBe('1.5');
  });

  it('repeats a post that failed with internal_error', async () => {
    slack.failMethod('chat.postMessage', 'internal_error', { count: 1 });
    await postReply(web.caller(team.botToken), { channel: team.generalChannelId, threadTs: undefined }, { text: 'after 500' }, signal);
    expect(count('after 500')).toBe(1);
  });

  it('does not repeat a post that timed out (Slack may have posted it): never two answers', async () => {
    slack.setLatency('chat.postMessage', 3_000);
    await expect(postReply(web.caller(team.botToken), { channel: team.generalChannelId, threadTs: undefined }, { text: 'slow' }, signal))
      .rejects.toThrow(/chat.postMessage: timed out after 1000 ms/);
    await until(() => count('slow') === 1, 6_000, 'the slow post to land');
    slack.setLatency('chat.postMessage', 0);
    expect(count('slow')).toBe(1);
  }, 10_000);

  it('gives up at once on a refusal', async () => {
    await expect(postReply(web.caller(team.botToken), { channel: 'CNOPE', threadTs: undefined }, { text: 'x' }, signal))
      .rejects.toThrow(/channel_not_found/);
    expect(slack.calls('chat.postMessage').filter((c) => c.error === 'channel_not_found')).toHaveLength(1);
  });
});
