import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SocketModeClient } from '@slack/socket-mode';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { quietLogger, until } from './helpers.js';

type Event = Record<string, unknown> & { type: string };

describe('emulator events', () => {
  let slack: SlackEmulator;
  let team: EmulatedWorkspace;
  let sm: SocketModeClient;
  const events: Event[] = [];

  beforeEach(async () => {
    slack = await SlackEmulator.start();
    team = slack.createWorkspace();
    sm = new SocketModeClient({
      appToken: team.appToken, logger: quietLogger(), autoReconnectEnabled: false,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    sm.on('slack_event', async ({ ack, body }: { ack: () => Promise<void>; body: { event: Event } }) => {
      events.push(body.event);
      await ack();
    });
    await sm.start();
  });

  afterEach(async () => {
    events.length = 0;
    await sm.disconnect();
    await slack.stop();
  });

  it('sends message_changed with nested message and previous_message', async () => {
    const { ts } = slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'before' });
    slack.editUserMessage(team.teamId, { channel: team.generalChannelId, ts, text: 'after' });
    await until(() => events.length === 2);
    expect(events[1]).toMatchObject({
      type: 'message', subtype: 'message_changed', channel: team.generalChannelId,
      message: { user: team.userId, text: 'after', ts }, previous_message: { text: 'before', ts },
    });
  });

  it('marks DMs as im, mentions with a label as app_mention, and passes raw events', async () => {
    const { channelId } = slack.createChannel(team.teamId, { isIm: true });
    expect(channelId).toMatch(/^D/);
    slack.postUserMessage(team.teamId, { user: team.userId, channel: channelId, text: 'help' });
    slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}|bot> task list`, threadTs: '1.2' });
    slack.sendEvent(team.teamId, { type: 'tokens_revoked', tokens: { bot: [team.botUserId] } });
    await until(() => events.length === 4);
    expect(events.map((e) => e.type)).toEqual(['message', 'message', 'app_mention', 'tokens_revoked']);
    expect(events[0]).toMatchObject({ channel_type: 'im' });
    expect(events[2]).toMatchObject({ thread_ts: '1.2', user: team.userId });
  });

  it('waitForPosted rejects with what was posted', async () => {
    await expect(slack.waitForPosted(() => false, 50)).rejects.toThrow(/no matching message posted within 50 ms; posted \(0\)/);
  });
});
