import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sql } from 'kysely';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { Fleet, mention, repliesByChannel, settledReplies, type Instance } from '../support/fleet.js';
import { until } from '../support/until.js';

// Real daemons on a shared machine: each step waits on conditions, bounded by its own `until`.
jest.setTimeout(180_000);

const TEAMS = 30;

describe('kill -9 of one instance under load', () => {
  let fleet: Fleet;
  let teams: EmulatedWorkspace[];

  beforeAll(async () => {
    // Slack redelivers what was not acked: to the dead socket's successor once it says hello.
    fleet = await Fleet.start({ emulator: { redeliverUnackedAfterMs: 1_000 } });
    teams = await fleet.teams(TEAMS);
    await Promise.all(['k1', 'k2', 'k3'].map((id) => fleet.start(id)));
    await until(async () => JSON.stringify(await fleet.shares()) === JSON.stringify({ k1: 10, k2: 10, k3: 10 }), 60_000, 'ten each');
    await until(() => teams.every((t) => fleet.slack.openSockets({ appId: t.appId }) === 1), 20_000, 'all connected');
  }, 180_000);
  afterAll(async () => fleet?.stop());

  it('is taken over within the TTL plus the time to connect: no reply twice, redeliveries handled once', async () => {
    const victim = fleet.instances.get('k3') as Instance;
    const list = await victim.workspaces();
    const theirs = teams.filter((t) => list.find((w) => w.teamId === t.teamId)?.owner === 'k3');
    expect(theirs).toHaveLength(10);

    // Handled by the victim before it dies, and recorded in processed_events (batched, within a second).
    const before = theirs.map((t) => mention(fleet.slack, t));
    await until(() => [...repliesByChannel(fleet.slack, before.map((m) => m.channel)).values()].every((n) => n === 1), 10_000, 'answered by the victim');
    const keys = before.length;
    await until(async () => {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from processed_events where team_id in (${sql.join(theirs.map((t) => t.teamId))})`.execute(fleet.handle.kysely);
      return (rows[0]?.n ?? 0) >= keys;
    }, 10_000, 'recorded as processed');

    // Load on every workspace, before, during and after the kill.
    const sent: Array<{ channel: string; at: number; team: EmulatedWorkspace }> = [];
    let isLoading = true;
    const load = (async () => {
      for (let i = 0; isLoading; i++) {
        const team = teams[i % teams.length] as EmulatedWorkspace;
        sent.push({ ...mention(fleet.slack, team), at: Date.now(), team });
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    await until(() => sent.length >= 60, 10_000, 'load running');
    const killedAt = Date.now();
    victim.process.child.kill('SIGKILL');
    // Slack redelivers what the victim had handled: the new owners must not answer again.
    for (const { eventIds } of before) for (const eventId of eventIds) fleet.slack.redeliver(eventId, { retryAttempt: 1, retryReason: 'timeout' });

    await until(() => theirs.every((t) => (fleet.watch.opens.get(`app:${t.appId}`) ?? []).some((at) => at > killedAt)), fleet.ttlMs + 10_000, 'taken over (TTL + connect)');
    const takenAfterMs = Math.max(...theirs.map((t) => ((fleet.watch.opens.get(`app:${t.appId}`) ?? []).find((at) => at > killedAt) as number) - killedAt));
    expect(takenAfterMs).toBeGreaterThan(0);
    await until(() => sent.filter((s) => s.at > killedAt + takenAfterMs).length >= 60, 10_000, 'load after the takeover');
    isLoading = false;
    await load;

    const afterKill = sent.filter((s) => s.at > killedAt).map((s) => s.channel);
    await settledReplies(fleet.slack, afterKill);
    const replies = repliesByChannel(fleet.slack, [...sent.map((s) => s.channel), ...before.map((m) => m.channel)]);
    expect([...replies.values()].filter((n) => n > 1)).toEqual([]); // never an answer twice
    for (const { channel } of before) expect(replies.get(channel)).toBe(1);
    // Only what the victim had taken (acked) when it died can go unanswered.
    const missing = sent.filter((s) => replies.get(s.channel) === 0);
    for (const m of missing) {
      expect(theirs).toContain(m.team);
      expect(m.at).toBeLessThanOrEqual(killedAt);
    }
    expect(fleet.watch.doubled()).toEqual([]);
    const shares = await fleet.shares();
    expect(shares).toEqual({ k1: 15, k2: 15 });
    const survivors = ['k1', 'k2'].map((id) => fleet.instances.get(id) as Instance);
    const takeovers = await Promise.all(survivors.map((i) => i.metric('flotilla_lease_takeovers_total', { from: 'expired' })));
    expect(takeovers.reduce((a, b) => a + b, 0)).toBe(10);
  });
});
