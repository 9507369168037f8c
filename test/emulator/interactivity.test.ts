import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { quietLogger, until } from './helpers.js';

interface Delivered { body: Record<string, any>; ack: (response?: unknown) => Promise<void> } // eslint-disable-line @typescript-eslint/no-explicit-any

const FORM = {
  type: 'modal', callback_id: 'leave_request', private_metadata: '{"c":1}',
  title: { type: 'plain_text', text: 'Apply for leave' }, submit: { type: 'plain_text', text: 'Send' },
  blocks: [
    { type: 'input', block_id: 'type', element: { type: 'static_select', action_id: 'value', options: [
      { text: { type: 'plain_text', text: 'Vacation' }, value: 'vacation' }, { text: { type: 'plain_text', text: 'Sick' }, value: 'sick' }] },
      label: { type: 'plain_text', text: 'Type' } },
    { type: 'input', block_id: 'from', element: { type: 'datepicker', action_id: 'value' }, label: { type: 'plain_text', text: 'From' } },
    { type: 'input', block_id: 'reason', optional: true, element: { type: 'plain_text_input', action_id: 'value' }, label: { type: 'plain_text', text: 'Reason' } },
  ],
};

describe('emulator interactivity: triggers, views, buttons, forms, directory', () => {
  let slack: SlackEmulator;
  let team: EmulatedWorkspace;
  let web: WebClient;
  let socket: SocketModeClient;
  const delivered: Delivered[] = [];

  beforeEach(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 0 });
    team = slack.createWorkspace({ name: 'Acme' });
    web = new WebClient(team.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: quietLogger() });
    socket = new SocketModeClient({ appToken: team.appToken, logger: quietLogger(), autoReconnectEnabled: false,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } } });
    delivered.length = 0;
    socket.on('slash_commands', (args: Delivered) => void delivered.push(args));
    socket.on('interactive', (args: Delivered) => void delivered.push(args));
    await socket.start();
  });

  afterEach(async () => {
    await socket.disconnect();
    await slack.stop();
  });

  async function slashTrigger(): Promise<string> {
    slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'leave' });
    await until(() => delivered.length > 0, 'the slash command');
    const { body, ack } = delivered.shift()!;
    await ack();
    return body['trigger_id'] as string;
  }

  it('opens a modal with a slash command trigger once; a second use, a late one and a made-up one are refused', async () => {
    const triggerId = await slashTrigger();
    expect(triggerId).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    const opened = await web.views.open({ trigger_id: triggerId, view: FORM as never });
    expect(opened.view).toMatchObject({ type: 'modal', callback_id: 'leave_request', private_metadata: '{"c":1}', root_view_id: opened.view?.id, app_id: team.appId });
    expect(slack.openViews(team.teamId)).toEqual([expect.objectContaining({ userId: team.userId })]);
    await expect(web.views.open({ trigger_id: triggerId, view: FORM as never })).rejects.toMatchObject({ data: { error: 'exchanged_trigger_id' } });
    await expect(web.views.open({ trigger_id: 'nope', view: FORM as never })).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    const late = await slashTrigger();
    slack.expireTriggers();
    await expect(web.views.open({ trigger_id: late, view: FORM as never })).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    const bad = await slashTrigger();
    await expect(web.views.open({ trigger_id: bad, view: { ...FORM, submit: undefined } as never })).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
  });

  it('updates (with hash checks) and pushes views, at most three deep', async () => {
    const opened = await web.views.open({ trigger_id: await slashTrigger(), view: FORM as never });
    const id = opened.view!.id!;
    await expect(web.views.update({ view_id: id, hash: 'stale.1', view: FORM as never })).rejects.toMatchObject({ data: { error: 'hash_conflict' } });
    const updated = await web.views.update({ view_id: id, hash: opened.view!.hash!, view: { ...FORM, callback_id: 'v2' } as never });
    expect(updated.view).toMatchObject({ id, callback_id: 'v2' });
    await expect(web.views.update({ view_id: 'VNOPE', view: FORM as never })).rejects.toMatchObject({ data: { error: 'not_found' } });
    await web.views.push({ trigger_id: await slashTrigger(), view: FORM as never });
    await web.views.push({ trigger_id: await slashTrigger(), view: FORM as never });
    await expect(web.views.push({ trigger_id: await slashTrigger(), view: FORM as never })).rejects.toMatchObject({ data: { error: 'push_limit_reached' } });
    expect(slack.openViews(team.teamId)).toHaveLength(3);
  });

  it('submits a form with typed state values and applies the answer: errors keep it open, an empty ack closes it', async () => {
    await web.views.open({ trigger_id: await slashTrigger(), view: FORM as never });
    expect(() => slack.submitView(team.teamId, { user: team.userId, values: { type: 'sick' } })).toThrow(/required field from/);
    const first = slack.submitView(team.teamId, { user: team.userId, values: { type: 'sick', from: '2025-05-16', reason: null } });
    await until(() => delivered.length > 0, 'the submission');
    const submission = delivered.shift()!;
    expect(submission.body).toMatchObject({
      type: 'view_submission', user: { id: team.userId }, team: { id: team.teamId },
      trigger_id: expect.stringMatching(/^\d+\.\d+\./),
      view: { callback_id: 'leave_request', state: { values: {
        type: { value: { type: 'static_select', selected_option: { value: 'sick' } } },
        from: { value: { type: 'datepicker', selected_date: '2025-05-16' } },
        reason: { value: { type: 'plain_text_input', value: null } },
      } } },
    });
    await submission.ack({ response_action: 'errors', errors: { from: 'Too far back' } });
    expect((await first).response).toEqual({ response_action: 'errors', errors: { from: 'Too far back' } });
    expect(slack.openViews(team.teamId)).toHaveLength(1);
    const second = slack.submitView(team.teamId, { user: team.userId, values: { type: 'vacation', from: '2025-05-20' } });
    await until(() => delivered.length > 0, 'the second submission');
    await delivered.shift()!.ack();
    expect((await second).response).toBeUndefined();
    expect(slack.openViews(team.teamId)).toHaveLength(0);
  });

  it('clicks a button on a posted message: block_actions with a trigger, a response_url and the message', async () => {
    const posted = await web.chat.postMessage({ channel: team.userId, text: 'Leave #1', blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: 'Leave #1' } },
      { type: 'actions', block_id: 'decide', elements: [{ type: 'button', action_id: 'leave_approve', value: '1', style: 'primary', text: { type: 'plain_text', text: 'Approve' } }] },
    ] });
    const click = slack.clickButton(team.teamId, { user: team.adminUserId, channel: posted.channel!, ts: posted.ts!, actionId: 'leave_approve' });
    await until(() => delivered.length > 0, 'the click');
    const { body, ack } = delivered.shift()!;
    await ack();
    expect(body).toMatchObject({
      type: 'block_actions', user: { id: team.adminUserId }, trigger_id: click.triggerId, response_url: click.responseUrl,
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel },
      message: { ts: posted.ts, text: 'Leave #1', blocks: expect.any(Array) },
      actions: [{ type: 'button', action_id: 'leave_approve', block_id: 'decide', value: '1', action_ts: expect.any(String) }],
    });
    expect((await web.views.open({ trigger_id: click.triggerId, view: FORM as never })).ok).toBe(true);
    await fetch(click.responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Not yours', response_type: 'ephemeral' }) });
    expect(slack.posted({ method: 'response_url' })).toEqual([expect.objectContaining({ text: 'Not yours', user: team.adminUserId, channel: posted.channel })]);
    expect(() => slack.clickButton(team.teamId, { user: team.userId, channel: posted.channel!, ts: posted.ts!, actionId: 'nope' })).toThrow(/no button/);
  });

  it('opens IMs, lists users in pages, keeps message metadata and reads history newest first', async () => {
    const opened = await web.conversations.open({ users: team.userId });
    expect(opened.channel?.id).toMatch(/^D/);
    expect((await web.conversations.open({ users: team.userId })).channel?.id).toBe(opened.channel?.id);
    slack.updateUser(team.teamId, team.userId, { isDeleted: true });
    await expect(web.conversations.open({ users: team.userId })).rejects.toMatchObject({ data: { error: 'user_disabled' } });
    await expect(web.conversations.open({ users: 'UNOPE' })).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    const first = await web.users.list({ limit: 2 });
    const second = await web.users.list({ limit: 2, cursor: first.response_metadata!.next_cursor! });
    expect([...first.members!, ...second.members!].map((m) => m.id)).toEqual(expect.arrayContaining([team.userId, team.adminUserId, team.botUserId]));
    expect(second.response_metadata?.next_cursor).toBe('');

    const metadata = { event_type: 'flotilla_daily_summary', event_payload: { day: '2025-05-16' } };
    const tagged = await web.chat.postMessage({ channel: team.generalChannelId, text: 'Who is out', metadata });
    await web.chat.postMessage({ channel: team.generalChannelId, text: 'later' });
    expect(slack.posted({ channel: team.generalChannelId })[0]?.metadata).toEqual(metadata);
    const plain = await web.conversations.history({ channel: team.generalChannelId });
    expect(plain.messages?.map((m) => m.text)).toEqual(['later', 'Who is out']);
    expect(plain.messages?.[1]).not.toHaveProperty('metadata');
    const withMeta = await web.conversations.history({ channel: team.generalChannelId, include_all_metadata: true, limit: 1, oldest: '0' });
    expect(withMeta).toMatchObject({ has_more: true, messages: [{ text: 'later' }] });
    const next = await web.conversations.history({ channel: team.generalChannelId, include_all_metadata: true, cursor: withMeta.response_metadata!.next_cursor! });
    expect(next.messages).toEqual([expect.objectContaining({ ts: tagged.ts, metadata, bot_id: team.botId })]);
  });
});
