import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { EmulatedWorkspace, PostedMessage } from '../../src/emulator/index.js';
import { ask, type Member } from '../commands/ask.js';
import { person } from '../commands/people.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

interface SummaryTeam {
  readonly team: EmulatedWorkspace;
  readonly admin: Member;
  readonly channel: string;
}

describe('the daily "who is out" summary (an injected clock; no sleeping)', () => {
  let h: Harness;
  let clock = new Date('2025-05-11T00:00:00Z'); // a Sunday: nothing is due while workspaces are set up
  const setClock = (iso: string): void => { clock = new Date(iso); };
  const tickAt = async (iso: string): Promise<void> => {
    setClock(iso);
    await h.daemon.dailySummary.tick();
  };

  const posts = (s: SummaryTeam): PostedMessage[] => h.slack.posted({ teamId: s.team.teamId, channel: s.channel, method: 'chat.postMessage' });
  const claim = (s: SummaryTeam, day: string) => h.daemon.db.kysely.selectFrom('daily_summaries').selectAll()
    .where('team_id', '=', s.team.teamId).where('day', '=', day).executeTakeFirst();

  /** A workspace with its summary going to a channel of its own (so command replies in #general never mix with it). */
  async function summaryTeam(name: string, options: { teamZone?: string; settings?: readonly string[] } = {}): Promise<SummaryTeam> {
    const team = h.slack.createWorkspace({ name, ...(options.teamZone ? { timeZone: options.teamZone } : {}) });
    await h.add(team);
    const admin = await person(h, team, 'admin', { userId: team.adminUserId });
    const channel = h.slack.createChannel(team.teamId, { name: 'who-is-out' }).channelId;
    for (const setting of options.settings ?? []) expect((await ask(h, admin, `settings ${setting}`)).text).not.toMatch(/^Sorry|Usage/);
    expect((await ask(h, admin, `settings summary-channel <#${channel}|who-is-out>`)).text).toBe(`The daily summary goes to <#${channel}>.`);
    return { team, admin, channel };
  }

  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
  });
  afterAll(async () => h?.stop());

  it('posts at the summary time in each workspace\'s own time zone, once, with who is out', async () => {
    const paris = await summaryTeam('Paris', { settings: ['timezone Europe/Paris'] });
    const tokyo = await summaryTeam('Tokyo', { teamZone: 'Asia/Tokyo' });
    setClock('2025-05-09T12:00:00Z'); // Friday: ask for leave and approve it
    const alice = await person(h, paris.team, 'alice', { userId: paris.team.userId });
    const bob = await person(h, paris.team, 'bob');
    await ask(h, alice, 'leave 2025-05-12 to 2025-05-14');
    await ask(h, bob, 'leave 2025-05-12 half am');
    await ask(h, paris.admin, 'leave approve 1');
    await ask(h, paris.admin, 'leave approve 2');
    await tickAt('2025-05-11T23:59:00Z'); // Tokyo 08:59 Monday
    expect(posts(tokyo)).toHaveLength(0);
    await tickAt('2025-05-12T00:00:00Z'); // Tokyo 09:00
    expect(posts(tokyo).map((p) => p.text)).toEqual(['No one is out today (Mon 12 May).']);
    expect(posts(paris)).toHaveLength(0); // Paris: 02:00
    await tickAt('2025-05-12T06:59:59Z'); // Paris 08:59:59 (CEST, UTC+2)
    expect(posts(paris)).toHaveLength(0);
    await tickAt('2025-05-12T07:00:00Z');
    expect(posts(paris).map((p) => p.text)).toEqual(['Who is out today (Mon 12 May): 2 people\nFull day: alice (until Wed 14 May)\nHalf day, morning: bob']);
    expect(posts(paris)[0]!.metadata).toEqual({ event_type: 'flotilla_daily_summary', event_payload: { team_id: paris.team.teamId, day: '2025-05-12' } });
    await tickAt('2025-05-12T07:00:40Z');
    await tickAt('2025-05-12T15:00:00Z');
    expect([posts(paris).length, posts(tokyo).length]).toEqual([1, 1]);
    expect(await claim(paris, '2025-05-12')).toMatchObject({ ts: posts(paris)[0]!.ts, channel_id: paris.channel, claimed_by: h.daemon.instanceId });
    await tickAt('2025-05-13T07:00:00Z');
    expect(posts(paris).map((p) => p.text)).toEqual([expect.any(String), 'Who is out today (Tue 13 May): 1 person\nFull day: alice (until Wed 14 May)']);
  });

  it('posts nothing on a weekend or a holiday, and does when summaries are switched back on', async () => {
    setClock('2025-05-11T00:00:00Z');
    const oslo = await summaryTeam('Oslo', { teamZone: 'Europe/Oslo' });
    await ask(h, oslo.admin, 'holiday add 2025-05-19 Whit Monday');
    await tickAt('2025-05-17T10:00:00Z'); // Saturday
    await tickAt('2025-05-18T10:00:00Z'); // Sunday
    await tickAt('2025-05-19T10:00:00Z'); // the holiday
    expect(posts(oslo)).toHaveLength(0);
    await ask(h, oslo.admin, 'settings summary off');
    await tickAt('2025-05-20T10:00:00Z');
    expect(posts(oslo)).toHaveLength(0);
    await ask(h, oslo.admin, 'settings summary on');
    await tickAt('2025-05-20T10:00:30Z');
    expect(posts(oslo).map((p) => p.text)).toEqual(['No one is out today (Tue 20 May).']);
  });

  it('follows the clock across a daylight-saving change, including a summary time the jump skips', async () => {
    setClock('2025-03-28T23:00:00Z'); // Saturday 00:00 in Paris
    const lyon = await summaryTeam('Lyon', { teamZone: 'Europe/Paris', settings: ['workdays mon-sun'] });
    const nice = await summaryTeam('Nice', { teamZone: 'Europe/Paris', settings: ['workdays mon-sun', 'summary-time 02:30'] });
    await tickAt('2025-03-29T07:59:00Z'); // Saturday 08:59 CET (UTC+1)
    expect(posts(lyon)).toHaveLength(0);
    await tickAt('2025-03-29T08:00:00Z'); // 09:00 CET
    expect(posts(lyon)).toHaveLength(1);
    await tickAt('2025-03-30T00:59:00Z'); // Sunday 01:59 CET: the clocks jump to 03:00 next minute
    expect(posts(nice).map((p) => p.text)).toEqual(['No one is out today (Sat 29 Mar).']);
    await tickAt('2025-03-30T01:00:00Z'); // 03:00 CEST: 02:30 never happened today; post now
    expect(posts(nice).map((p) => p.text)).toEqual(['No one is out today (Sat 29 Mar).', 'No one is out today (Sun 30 Mar).']);
    await tickAt('2025-03-30T06:59:00Z'); // 08:59 CEST (UTC+2): an hour later in UTC than yesterday's 09:00
    expect(posts(lyon)).toHaveLength(1);
    await tickAt('2025-03-30T07:00:00Z');
    expect(posts(lyon)).toHaveLength(2);
  });

  it('posts on its way up when the daemon was down at the minute, and not again after a restart', async () => {
    setClock('2025-05-11T00:00:00Z');
    const rome = await summaryTeam('Rome', { settings: ['summary-time 09:00'] });
    await tickAt('2025-05-12T08:59:30Z');
    expect(posts(rome)).toHaveLength(0);
    setClock('2025-05-12T11:15:00Z'); // down from before 09:00 until now
    await h.restartDaemon();
    await until(() => posts(rome).length === 1, 10_000, 'the summary posted on the way up');
    setClock('2025-05-12T11:15:30Z');
    await h.restartDaemon();
    await h.daemon.dailySummary.tick();
    expect(posts(rome)).toHaveLength(1);
  });

  it('posts exactly once after a crash between posting and storing the ts (found again by its metadata)', async () => {
    setClock('2025-05-11T00:00:00Z');
    const bern = await summaryTeam('Bern');
    const db = h.daemon.db.kysely;
    await sql.raw(`create function flotilla_test_crash() returns trigger language plpgsql as $$
      begin if new.ts is not null and new.team_id = '${bern.team.teamId}' then raise exception 'simulated crash before the ts was stored'; end if; return new; end $$`).execute(db);
    await sql.raw('create trigger flotilla_test_crash before update on daily_summaries for each row execute function flotilla_test_crash()').execute(db);
    try {
      await tickAt('2025-05-12T09:00:05Z');
      expect(posts(bern)).toHaveLength(1);
      expect(await claim(bern, '2025-05-12')).toMatchObject({ ts: null });
    } finally {
      await sql.raw('drop trigger flotilla_test_crash on daily_summaries').execute(db);
      await sql.raw('drop function flotilla_test_crash()').execute(db);
    }
    setClock('2025-05-12T09:00:30Z');
    await h.restartDaemon(); // the crashed instance's memory is gone
    await h.daemon.dailySummary.tick();
    expect(posts(bern)).toHaveLength(1); // the claim is fresh: its holder may still be posting
    await tickAt('2025-05-12T09:01:10Z'); // the claim is stale now: look, find, store
    expect(posts(bern)).toHaveLength(1);
    expect(await claim(bern, '2025-05-12')).toMatchObject({ ts: posts(bern)[0]!.ts });
    expect(h.logs.some((line) => line.includes('daily summary was already posted; stored its ts'))).toBe(true);
  });

  it('posts exactly once with two daemons on one database', async () => {
    setClock('2025-05-11T00:00:00Z');
    const oslo2 = await summaryTeam('Bergen');
    const other = await h.startAnotherDaemon('second-instance');
    setClock('2025-05-12T09:00:00Z');
    await Promise.all([h.daemon.dailySummary.tick(), other.dailySummary.tick(), h.daemon.dailySummary.tick(), other.dailySummary.tick()]);
    setClock('2025-05-12T09:02:00Z');
    await Promise.all([h.daemon.dailySummary.tick(), other.dailySummary.tick()]);
    expect(posts(oslo2)).toHaveLength(1);
    expect((await claim(oslo2, '2025-05-12'))?.claimed_by).toMatch(new RegExp(`^(${h.daemon.instanceId}|second-instance)$`));
    await other.stop();
  });

  it('updates the posted summary when leave for today is approved or withdrawn after it', async () => {
    setClock('2025-05-11T00:00:00Z');
    const kyiv = await summaryTeam('Kyiv');
    const alice = await person(h, kyiv.team, 'alice', { userId: kyiv.team.userId });
    await tickAt('2025-05-12T09:00:00Z');
    expect(posts(kyiv).map((p) => p.text)).toEqual(['No one is out today (Mon 12 May).']);
    const summaryTs = posts(kyiv)[0]!.ts;
    const updates = (): PostedMessage[] => h.slack.posted({ teamId: kyiv.team.teamId, channel: kyiv.channel, method: 'chat.update' });
    setClock('2025-05-12T09:30:00Z');
    await ask(h, alice, 'leave today sick');
    expect(updates()).toHaveLength(0); // pending leave is not out
    await ask(h, kyiv.admin, 'leave approve 1');
    await until(() => updates().length === 1, 10_000, 'the summary updated');
    expect(updates()[0]).toMatchObject({ ts: summaryTs, text: 'Who is out today (Mon 12 May): 1 person\nFull day: alice' });
    await ask(h, alice, 'leave cancel 1');
    await until(() => updates().length === 2, 10_000, 'the summary updated again');
    expect(updates()[1]).toMatchObject({ ts: summaryTs, text: 'No one is out today (Mon 12 May).' });
    await ask(h, alice, 'leave tomorrow');
    await ask(h, kyiv.admin, 'leave approve 2');
    expect(updates()).toHaveLength(2); // tomorrow's leave leaves today's message alone
    expect(posts(kyiv)).toHaveLength(1);
  });
});
