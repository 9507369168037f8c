import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import { metricValue, parsePrometheus, type Sample } from './prometheus.js';

describe('metrics', () => {
  let h: Harness;
  let team: EmulatedWorkspace;
  let token: string;

  const scrape = async (): Promise<Sample[]> => {
    const response = await fetch(`${h.daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parsePrometheus(await response.text());
  };
  const value = async (name: string, labels: Record<string, string> = {}): Promise<number> => metricValue(await scrape(), name, labels);
  const say = (text: string, extra: { user?: string; botId?: string } = {}) =>
    h.slack.postUserMessage(team.teamId, { user: extra.user ?? team.userId, channel: team.generalChannelId, text, ...(extra.botId ? { botId: extra.botId } : {}) });

  beforeAll(async () => {
    h = await startHarness();
    token = (await readFile(join(h.db.dataDir, 'admin-token'), 'utf8')).trim();
    team = h.slack.createWorkspace({ name: 'Metered' });
    await h.add(team);
  });
  afterAll(async () => h?.stop());

  it('exports workspaces by state, version and process metrics from its own registry', async () => {
    const samples = await scrape();
    expect(metricValue(samples, 'flotilla_workspaces', { state: 'connected' })).toBe(1);
    expect(metricValue(samples, 'flotilla_workspaces', { state: 'backoff' })).toBe(0);
    expect(samples.some((s) => s.name === 'flotilla_info' && s.labels.instance === h.daemon.instanceId)).toBe(true);
    expect(metricValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metricValue(samples, 'flotilla_supervisor_last_reconcile_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(metricValue(samples, 'flotilla_slack_api_calls_total', { method: 'auth.test', outcome: 'ok' })).toBeGreaterThanOrEqual(2);
  });

  it('counts events received, handled and dropped, and times acks and handlers', async () => {
    const before = await scrape();
    say(`<@${team.botUserId}> ping`); // message + app_mention: one handled, one duplicate
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong');
    say('just chatting'); // not for the bot
    say('a bot speaks', { botId: 'B0OTHER' });
    say('we speak', { user: team.botUserId, botId: team.botId });
    const delta = async (name: string, labels: Record<string, string> = {}) => (await value(name, labels)) - metricValue(before, name, labels);
    await until(async () => (await delta('flotilla_events_received_total')) >= 5, 5_000, 'five events received');
    await until(async () => (await delta('flotilla_events_dropped_total', { reason: 'not_for_bot' })) === 1, 5_000, 'not_for_bot');
    expect(await delta('flotilla_events_received_total', { kind: 'app_mention' })).toBe(1);
    expect(await delta('flotilla_events_handled_total', { outcome: 'ok' })).toBe(1);
    expect(await delta('flotilla_events_dropped_total', { reason: 'duplicate' })).toBe(1);
    expect(await delta('flotilla_events_dropped_total', { reason: 'own_message' })).toBe(1);
    expect(await delta('flotilla_events_dropped_total', { reason: 'bot_message' })).toBe(1);
    expect(await delta('flotilla_events_dropped_total')).toBe(4);
    expect(await delta('flotilla_handler_duration_seconds_count', { outcome: 'ok' })).toBe(1);
    await until(async () => (await delta('flotilla_ack_latency_seconds_count')) === 5, 5_000, 'five acks timed');
    expect(await delta('flotilla_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(1);
    expect(await delta('flotilla_replies_total', { via: 'chat.postMessage' })).toBe(1);
  });

  it('counts a slash command answered in its ack as a reply', async () => {
    const before = await scrape();
    const delta = async (labels: Record<string, string>): Promise<number> =>
      metricValue(await scrape(), 'flotilla_replies_total', labels) - metricValue(before, 'flotilla_replies_total', labels);
    h.slack.sendSlashCommand(team.teamId, { user: team.userId, channel: team.generalChannelId, text: 'ping' });
    await h.slack.waitForPosted((m) => m.method === 'ack_payload' && m.teamId === team.teamId);
    await until(async () => (await delta({ via: 'ack' })) === 1, 5_000, 'the ack counted as a reply');
    expect(await delta({ via: 'chat.postMessage' })).toBe(0);
  });

  it('counts rate-limited Web API calls by method', async () => {
    h.slack.rateLimit('chat.postMessage', { retryAfterSec: 0, count: 1 });
    say(`<@${team.botUserId}> ping`);
    await until(async () => (await value('flotilla_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ratelimited' })) === 1, 10_000, 'a 429 counted');
  });

  it('counts reconnects by reason and removals by reason', async () => {
    h.slack.dropConnections(team.teamId);
    await until(async () => (await value('flotilla_reconnects_total', { reason: 'socket_lost' })) >= 1, 10_000, 'a reconnect counted');
    await until(() => h.state(team.teamId) === 'connected', 10_000, 'connected again');
    await h.daemon.workspaces.restart(team.teamId);
    await until(async () => (await value('flotilla_reconnects_total', { reason: 'operator' })) === 1, 10_000, 'an operator restart counted');

    const doomed = h.slack.createWorkspace({ name: 'Doomed' });
    await h.add(doomed);
    h.slack.failToken(doomed.botToken, 'account_inactive');
    h.slack.postUserMessage(doomed.teamId, { user: doomed.userId, channel: doomed.generalChannelId, text: `<@${doomed.botUserId}> ping` });
    await until(async () => (await value('flotilla_workspace_removals_total', { reason: 'account_inactive' })) === 1, 10_000, 'a dead-token removal');
    await h.daemon.workspaces.remove(team.teamId, { revoke: false, actor: 'test' });
    expect(await value('flotilla_workspace_removals_total', { reason: 'removed' })).toBe(1);
    await until(async () => (await value('flotilla_workspaces')) === 0, 10_000, 'no workspaces left');
  });

  it('keeps each daemon\'s metrics apart', async () => {
    const other = await startHarness();
    try {
      const otherToken = (await readFile(join(other.db.dataDir, 'admin-token'), 'utf8')).trim();
      const text = await (await fetch(`${other.daemon.adminUrl}/metrics`, { headers: { authorization: `Bearer ${otherToken}` } })).text();
      expect(metricValue(parsePrometheus(text), 'flotilla_events_received_total')).toBe(0);
      expect(await value('flotilla_events_received_total')).toBeGreaterThan(0);
    } finally {
      await other.stop();
    }
  });
});
