import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { boomCommand, echoCommand } from '../support/commands.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('message path (Socket Mode)', () => {
  let h: Harness;
  let team: EmulatedWorkspace;
  const mention = (text: string): string => `<@${team.botUserId}> ${text}`;
  const say = (text: string, extra: { threadTs?: string; channel?: string; user?: string } = {}) =>
    h.slack.postUserMessage(team.teamId, { user: extra.user ?? team.userId, channel: extra.channel ?? team.generalChannelId, text, ...(extra.threadTs ? { threadTs: extra.threadTs } : {}) });
  const replies = (text: string) => h.slack.posted({ teamId: team.teamId }).filter((m) => m.text === text);
  /** Sends a marker and waits for its answer: everything sent before it has been handled by then. */
  const settle = async (marker: string): Promise<void> => {
    say(mention(`echo ${marker}`));
    await h.slack.waitForPosted((m) => m.text === `echo: ${marker}`);
  };

  beforeAll(async () => {
    h = await startHarness({ extraCommands: [echoCommand, boomCommand] });
    team = h.slack.createWorkspace({ name: 'Acme' });
    await h.add(team);
  });
  afterAll(async () => h?.stop());

  it('answers a mention in the channel, unthreaded', async () => {
    say(mention('ping'));
    const reply = await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    expect(reply).toMatchObject({ method: 'chat.postMessage', channel: team.generalChannelId });
    expect(reply.threadTs).toBeUndefined();
  });

  it('answers a mention inside a thread in that thread', async () => {
    const parent = say('a thread starter');
    say(mention('echo in-thread'), { threadTs: parent.ts });
    const reply = await h.slack.waitForPosted((m) => m.text === 'echo: in-thread');
    expect(reply.threadTs).toBe(parent.ts);
  });

  it('answers a DM without a mention', async () => {
    const { channelId } = h.slack.createChannel(team.teamId, { isIm: true });
    say('echo direct', { channel: channelId });
    const reply = await h.slack.waitForPosted((m) => m.text === 'echo: direct');
    expect(reply.channel).toBe(channelId);
  });

  it('ignores a channel message that does not start with the mention', async () => {
    say(`hello <@${team.botUserId}> echo not-first`);
    say('echo no-mention');
    await settle('after-unaddressed');
    expect(replies('echo: not-first')).toHaveLength(0);
    expect(replies('echo: no-mention')).toHaveLength(0);
  });

  it('handles once an edit whose new text mentions the bot, and never an unfurl-only edit', async () => {
    const original = say('echo edited-later');
    h.slack.editUserMessage(team.teamId, { channel: team.generalChannelId, ts: original.ts, text: mention('echo edited') });
    await h.slack.waitForPosted((m) => m.text === 'echo: edited');
    const answered = say(mention('echo unfurl'));
    await h.slack.waitForPosted((m) => m.text === 'echo: unfurl');
    h.slack.editUserMessage(team.teamId, { channel: team.generalChannelId, ts: answered.ts, attachments: [{ title: 'a link preview' }] });
    await settle('after-edits');
    expect(replies('echo: edited')).toHaveLength(1);
    expect(replies('echo: unfurl')).toHaveLength(1);
  });

  it('ignores its own messages and other bots', async () => {
    h.slack.postUserMessage(team.teamId, { user: team.botUserId, channel: team.generalChannelId, text: mention('echo own') });
    h.slack.postUserMessage(team.teamId, { user: 'UOTHERBOT', botId: 'BOTHER', channel: team.generalChannelId, text: mention('echo other-bot') });
    h.slack.postUserMessage(team.teamId, { user: 'UOTHERBOT', subtype: 'bot_message', botId: 'BOTHER', channel: team.generalChannelId, text: mention('echo bot-subtype') });
    await settle('after-bots');
    expect(replies('echo: own')).toHaveLength(0);
    expect(replies('echo: other-bot')).toHaveLength(0);
    expect(replies('echo: bot-subtype')).toHaveLength(0);
  });

  it('handles a retried envelope and the message/app_mention pair once', async () => {
    const sent = say(mention('echo once'));
    expect(sent.eventIds).toHaveLength(2); // message + app_mention, as Slack sends them
    for (const eventId of sent.eventIds) h.slack.redeliver(eventId, { retryAttempt: 1, retryReason: 'timeout' });
    await h.slack.waitForPosted((m) => m.text === 'echo: once');
    await settle('after-retries');
    expect(replies('echo: once')).toHaveLength(1);
  });

  it('acks every envelope', async () => {
    await settle('ack-check');
    const acks = h.slack.acks().filter((a) => a.type === 'events_api');
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.every((a) => a.ackedAt !== null)).toBe(true);
  });

  it('answers a throwing handler with a reference that is in the log, and serves the next message', async () => {
    say(mention('boom'));
    const error = await h.slack.waitForPosted((m) => /went wrong.*ref [0-9a-f]{8}/.test(m.text));
    const ref = /ref ([0-9a-f]{8})/.exec(error.text)![1]!;
    expect(h.logs.some((line) => line.includes(ref) && line.includes('kaboom'))).toBe(true);
    say(mention('ping'));
    await h.slack.waitForPosted((m) => m.text === 'pong' && m.at > error.at);
    expect(h.state(team.teamId)).toBe('connected');
  });

  it('answers an unknown command with a suggestion', async () => {
    say(mention('pnig'));
    const reply = await h.slack.waitForPosted((m) => m.text.includes("don't know `pnig`"));
    expect(reply.text).toContain('Did you mean `ping`?');
  });
});
