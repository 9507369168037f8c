import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SocketModeClient } from '@slack/socket-mode';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { once, quietLogger, until } from './helpers.js';

interface Received { body: { team_id: string; event_id: string; event: { type: string; text?: string } }; ack: (r?: unknown) => Promise<void>; retry_num?: number; retry_reason?: string }

describe('emulator with @slack/socket-mode SocketModeClient', () => {
  let slack: SlackEmulator;
  const clients: SocketModeClient[] = [];

  function client(appToken: string, options: { autoReconnectEnabled?: boolean; clientPingTimeout?: number } = {}): SocketModeClient {
    const created = new SocketModeClient({
      appToken, logger: quietLogger(), autoReconnectEnabled: options.autoReconnectEnabled ?? false,
      clientPingTimeout: options.clientPingTimeout ?? 1000,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    clients.push(created);
    return created;
  }

  beforeEach(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 200 });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.disconnect()));
    await slack.stop();
  });

  it('connects, says hello with connection info, delivers an events_api envelope and tracks its ack', async () => {
    const team: EmulatedWorkspace = slack.createWorkspace({ name: 'Acme' });
    const sm = client(team.appToken);
    const hellos: unknown[] = [];
    sm.on('ws_message', (data: string) => hellos.push(JSON.parse(data)));
    await sm.start();
    expect(slack.openSockets({ appId: team.appId })).toBe(1);
    expect(slack.openSockets(team.teamId)).toBe(1);
    expect(hellos[0]).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: team.appId } });

    const received: Received[] = [];
    sm.on('message', async (args: Received) => { received.push(args); await args.ack(); });
    const mentions: Received[] = [];
    sm.on('app_mention', async (args: Received) => { mentions.push(args); await args.ack(); });
    const { eventIds } = slack.postUserMessage(team.teamId, {
      user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> hello`,
    });
    expect(eventIds).toHaveLength(2);
    await until(() => received.length === 1 && mentions.length === 1, 'message and app_mention');
    expect(received[0]?.body).toMatchObject({ type: 'event_callback', team_id: team.teamId, api_app_id: team.appId, event_id: eventIds[0] });
    expect(received[0]?.body.event).toMatchObject({ type: 'message', text: `<@${team.botUserId}> hello`, channel_type: 'channel' });
    await until(() => slack.acks().filter((a) => a.ackedAt !== null).length === 2, 'two acks');
    expect(slack.acks()[0]).toMatchObject({ type: 'events_api', eventId: eventIds[0] });
  });

  it('queues events while no socket is open and delivers them on hello', async () => {
    const team = slack.createWorkspace();
    slack.sendEvent(team.teamId, { type: 'member_joined_channel', user: team.userId, channel: team.generalChannelId });
    expect(slack.pendingDeliveries()).toBe(1);
    const sm = client(team.appToken);
    const got = once<Received>(sm, 'member_joined_channel');
    await sm.start();
    expect((await got).body.event.type).toBe('member_joined_channel');
    expect(slack.pendingDeliveries()).toBe(0);
  });

  it('redelivers with the same event_id, a new envelope_id and retry fields', async () => {
    const team = slack.createWorkspace();
    const sm = client(team.appToken);
    await sm.start();
    const seen: Received[] = [];
    sm.on('message', (args: Received) => { seen.push(args); });
    const { eventIds } = slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'hi' });
    await until(() => seen.length === 1);
    slack.redeliver(eventIds[0] as string, { retryReason: 'http_timeout' });
    await until(() => seen.length === 2);
    expect(seen[1]?.body.event_id).toBe(eventIds[0]);
    expect(seen[1]?.retry_num).toBe(1);
    expect(seen[1]?.retry_reason).toBe('http_timeout');
    expect(slack.acks()[0]?.envelopeId).not.toBe(slack.acks()[1]?.envelopeId);
  });

  it('redelivers unacked envelopes automatically when configured', async () => {
    await slack.stop();
    slack = await SlackEmulator.start({ redeliverUnackedAfterMs: 100 });
    const team = slack.createWorkspace();
    const sm = client(team.appToken);
    await sm.start();
    const seen: Received[] = [];
    sm.on('message', (args: Received) => {
      seen.push(args);
      if (seen.length === 2) void args.ack();
    });
    slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'hi' });
    await until(() => seen.length === 2 && slack.acks()[1]?.ackedAt != null, 'one retry, then ack');
    expect(seen[1]?.retry_num).toBe(1);
    expect(slack.acks()[0]?.ackedAt).toBeNull();
  });

  it.each(['warning', 'refresh_requested', 'too_many_websockets', 'link_disabled'] as const)(
    'sends disconnect (%s); the client closes and reconnects', async (reason) => {
      const team = slack.createWorkspace();
      const sm = client(team.appToken, { autoReconnectEnabled: true, clientPingTimeout: 200 });
      const messages: Array<{ type: string; reason?: string }> = [];
      sm.on('ws_message', (data: string) => messages.push(JSON.parse(data)));
      let connects = 0;
      sm.on('connected', () => { connects += 1; });
      await sm.start();
      expect(slack.sendDisconnect(team.teamId, reason)).toBe(1);
      // Wait for the client's own 'connected': disconnect() during its reconnect rejects an unhandled promise.
      await until(() => connects === 2 && slack.openSockets(team.teamId) === 1, 'a reconnect');
      expect(messages.find((m) => m.type === 'disconnect')).toMatchObject({ type: 'disconnect', reason });
    });

  it('delivers events of three teams sharing one app over that app\'s socket', async () => {
    const app = slack.createApp({ name: 'shared' });
    const teams = [1, 2, 3].map((n) => slack.createWorkspace({ name: `T${n}`, app }));
    expect(new Set(teams.map((t) => t.appToken))).toEqual(new Set([app.appToken]));
    const sm = client(app.appToken);
    await sm.start();
    const byTeam = new Map<string, string>();
    sm.on('message', async ({ body, ack }: Received) => { byTeam.set(body.team_id, body.event.text ?? ''); await ack(); });
    for (const team of teams) slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: team.teamName });
    await until(() => byTeam.size === 3, 'three teams');
    for (const team of teams) expect(byTeam.get(team.teamId)).toBe(team.teamName);
    expect(slack.openSockets(teams[2]?.teamId)).toBe(1);
  });

  it('allows at most 10 sockets per app: the 11th gets too_many_websockets instead of hello', async () => {
    const team = slack.createWorkspace();
    const first = Array.from({ length: 10 }, () => client(team.appToken));
    await Promise.all(first.map((c) => c.start()));
    expect(slack.openSockets({ appId: team.appId })).toBe(10);
    const eleventh = client(team.appToken);
    const frames: Array<{ type: string; reason?: string }> = [];
    eleventh.on('ws_message', (data: string) => frames.push(JSON.parse(data)));
    await expect(eleventh.start()).rejects.toBeUndefined();
    expect(frames).toEqual([expect.objectContaining({ type: 'disconnect', reason: 'too_many_websockets' })]);
    expect(slack.openSockets({ appId: team.appId })).toBe(10);
    expect(slack.socketOpens({ appId: team.appId })).toBe(11);
  });

  it('silence stops pongs: the client declares the link dead', async () => {
    const team = slack.createWorkspace();
    const sm = client(team.appToken, { clientPingTimeout: 300 });
    await sm.start();
    const disconnected = once(sm, 'disconnected');
    expect(slack.silence(team.teamId)).toBe(1);
    await disconnected;
    await until(() => slack.openSockets(team.teamId) === 0, 'socket closed');
  });

  it('drop terminates the socket and the client reconnects', async () => {
    const team = slack.createWorkspace();
    const sm = client(team.appToken, { autoReconnectEnabled: true, clientPingTimeout: 200 });
    await sm.start();
    let connects = 1;
    sm.on('connected', () => { connects += 1; });
    const closes: number[] = [];
    slack.on('socket:close', ({ code }) => closes.push(code));
    expect(slack.dropConnections(team.teamId)).toBe(1);
    await until(() => connects === 2 && slack.openSockets(team.teamId) === 1, 'a reconnect');
    expect(closes[0]).toBe(1006);
  });

  it('records slash command ack payloads and response_url posts', async () => {
    const team = slack.createWorkspace();
    const sm = client(team.appToken);
    await sm.start();
    sm.on('slash_commands', async ({ ack, body }: { ack: (r: unknown) => Promise<void>; body: { response_url: string } }) => {
      await ack({ text: 'working on it', response_type: 'ephemeral' });
      await fetch(body.response_url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'done', response_type: 'in_channel' }) });
    });
    const { envelopeId } = slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'task list' });
    const done = await slack.waitForPosted((m) => m.method === 'response_url');
    expect(done).toMatchObject({ text: 'done', responseType: 'in_channel', teamId: team.teamId, channel: team.generalChannelId });
    expect(slack.posted({ method: 'ack_payload' })[0]).toMatchObject({ text: 'working on it', user: team.userId });
    expect(slack.acks().find((a) => a.envelopeId === envelopeId)).toMatchObject({ type: 'slash_commands', payload: { text: 'working on it' } });
  });

  it('fails apps.connections.open for a failed app token and closes its sockets', async () => {
    const team = slack.createWorkspace();
    const sm = client(team.appToken);
    await sm.start();
    const disconnected = once(sm, 'disconnected');
    slack.failToken(team.appToken, 'invalid_auth');
    await disconnected;
    await expect(sm.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    slack.restoreToken(team.appToken);
    await sm.start();
    expect(slack.openSockets(team.teamId)).toBe(1);
  });
});
