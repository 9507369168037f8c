import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { RTMClient } from '@slack/rtm-api';
import { SlackEmulator } from '../../src/emulator/index.js';
import { compactRtmReplies, once, quietLogger, until } from './helpers.js';

describe('emulator with @slack/rtm-api RTMClient', () => {
  let slack: SlackEmulator;
  const clients: RTMClient[] = [];

  function client(botToken: string, options: { autoReconnect?: boolean } = {}): RTMClient {
    const created = new RTMClient(botToken, {
      slackApiUrl: slack.apiUrl, logger: quietLogger(), autoReconnect: options.autoReconnect ?? false,
      retryConfig: { retries: 0 }, replyAckOnReconnectTimeout: 50,
    });
    clients.push(created);
    return created;
  }

  beforeEach(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 200 });
  });

  afterEach(async () => {
    const open = clients.splice(0).filter((c) => c.connected);
    open.forEach(compactRtmReplies);
    await Promise.all(open.map((c) => c.disconnect()));
    await slack.stop();
  });

  it('connects with rtm.connect, receives a message event and sends one that is recorded', async () => {
    const team = slack.createWorkspace();
    const rtm = client(team.botToken);
    const ready = once(rtm, 'ready');
    const started = await rtm.start();
    expect(started).toMatchObject({ ok: true, self: { id: team.botUserId }, team: { id: team.teamId, domain: team.domain } });
    await ready;
    expect(slack.openSockets({ teamId: team.teamId, kind: 'rtm' })).toBe(1);

    const incoming = once<{ text: string; user: string }>(rtm, 'message');
    slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'hello bot' });
    expect(await incoming).toMatchObject({ type: 'message', text: 'hello bot', user: team.userId });

    const reply = await rtm.sendMessage('hello human', team.generalChannelId);
    expect(reply).toMatchObject({ ok: true, text: 'hello human' });
    expect(slack.posted({ teamId: team.teamId, method: 'rtm.send' })).toEqual([
      expect.objectContaining({ channel: team.generalChannelId, text: 'hello human', ts: reply.ts }),
    ]);
    expect(slack.calls('rtm.connect')).toEqual([expect.objectContaining({ tokenKind: 'bot', teamId: team.teamId, status: 200 })]);
  });

  it('answers RTM pings with pongs', async () => {
    const team = slack.createWorkspace();
    const rtm = client(team.botToken);
    const ready = once(rtm, 'ready');
    await rtm.start();
    await ready;
    const pong = once<{ type: string; reply_to: number }>(rtm, 'pong');
    const id = await rtm.send('ping');
    expect(await pong).toEqual({ type: 'pong', reply_to: id });
  });

  it('sends goodbye, closes the socket and the client reconnects', async () => {
    const team = slack.createWorkspace();
    const rtm = client(team.botToken, { autoReconnect: true });
    let readies = 0;
    rtm.on('ready', () => { readies += 1; });
    const goodbye = once(rtm, 'goodbye');
    await rtm.start();
    await until(() => readies === 1);
    expect(slack.sendDisconnect(team.teamId)).toBe(1);
    await goodbye;
    await until(() => readies === 2 && slack.socketOpens(team.teamId) === 2, 'a reconnect');
  });

  it('rejects start for a failed bot token', async () => {
    const team = slack.createWorkspace();
    slack.failToken(team.botToken, 'account_inactive');
    const rtm = client(team.botToken);
    await expect(rtm.start()).rejects.toMatchObject({ data: { error: 'account_inactive' } });
  });
});
