import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, formatDate, todayIn } from '../../src/commands/parse.js';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { ask, blockText, member, type Member } from './ask.js';

// UTC+14 and UTC-12: 26 hours apart, so their calendar days always differ.
const EAST = 'Pacific/Kiritimati';
const WEST = 'Etc/GMT+12';

describe('daily plan commands (mention, DM and /flotilla)', () => {
  let h: Harness;
  let east: EmulatedWorkspace;
  let west: EmulatedWorkspace;
  let alice: Member;
  let bob: Member;
  let wes: Member;
  const eastToday = (): string => todayIn({ now: new Date(), timeZone: EAST });
  const when = (day: string, today = eastToday()): string => (day === today ? `today (${formatDate(day, today)})` : formatDate(day, today));

  const entries = (teamId: string) => h.daemon.db.kysely.selectFrom('plan_entries')
    .select(['user_id', 'kind', 'text', 'channel_id', (eb) => eb.cast<string>('day', 'text').as('day'), (eb) => eb.cast<string>('meeting_at', 'text').as('meeting_at')])
    .where('team_id', '=', teamId).orderBy('id').execute();

  beforeAll(async () => {
    h = await startHarness();
    east = h.slack.createWorkspace({ name: 'East', timeZone: EAST });
    west = h.slack.createWorkspace({ name: 'West', timeZone: WEST });
    await h.add(east);
    await h.add(west);
    alice = member(h, east);
    bob = member(h, east, h.slack.createUser(east.teamId, { name: 'bob' }).userId);
    wes = member(h, west);
  });
  afterAll(async () => h?.stop());

  it('records plan, did, blocked and meeting entries for today in the workspace time zone', async () => {
    expect((await ask(h, alice, 'plan Review the API changes')).text).toBe('Added to your plan for today:\n• Review the API changes');
    expect((await ask(h, alice, 'did Shipped the login fix', 'dm')).text).toBe('Noted what you got done today:\n• Shipped the login fix');
    expect((await ask(h, alice, 'blocked Waiting for staging access', 'slash')).text)
      .toBe('Noted: you need help today (it shows in `standup`):\n• Waiting for staging access');
    expect((await ask(h, alice, 'meeting 9:30 “Sprint review”')).text).toBe('Added to your meetings today:\n• 09:30 Sprint review');
    expect(await entries(east.teamId)).toEqual([
      { user_id: alice.userId, kind: 'plan', text: 'Review the API changes', channel_id: east.generalChannelId, day: eastToday(), meeting_at: null },
      { user_id: alice.userId, kind: 'did', text: 'Shipped the login fix', channel_id: alice.dmChannel, day: eastToday(), meeting_at: null },
      { user_id: alice.userId, kind: 'blocked', text: 'Waiting for staging access', channel_id: east.generalChannelId, day: eastToday(), meeting_at: null },
      { user_id: alice.userId, kind: 'meeting', text: 'Sprint review', channel_id: east.generalChannelId, day: eastToday(), meeting_at: '09:30:00' },
    ]);
  });

  it('takes one entry per line', async () => {
    const reply = await ask(h, bob, 'plan\n- Write tests\n- Pair with alice on \'the\' bug\n\n', 'dm');
    expect(reply.text).toBe("Added to your plan for today (2 items):\n• Write tests\n• Pair with alice on 'the' bug");
    expect((await ask(h, bob, 'meeting 14:00 Design review\n08:15 Standup', 'slash')).text)
      .toBe('Added to your meetings today (2 meetings):\n• 14:00 Design review\n• 08:15 Standup');
    expect((await entries(east.teamId)).filter((e) => e.user_id === bob.userId)).toHaveLength(4);
  });

  it('shows my day, someone else\'s, and another date', async () => {
    const mine = await ask(h, alice, 'plan show', 'slash');
    expect(mine.text).toBe([
      `Plan for ${when(eastToday())}`, 'You', '  plan: Review the API changes', '  did: Shipped the login fix',
      '  blocked: Waiting for staging access', '  meeting 09:30: Sprint review',
    ].join('\n'));
    expect(blockText(mine)).toContain(':construction: Waiting for staging access');
    const bobs = await ask(h, alice, `plan show <@${bob.userId}>`);
    expect(bobs.text.split('\n').slice(1)).toEqual(['bob', '  plan: Write tests', "  plan: Pair with alice on 'the' bug",
      '  meeting 08:15: Standup', '  meeting 14:00: Design review']);
    const yesterday = addDays(eastToday(), -1);
    expect((await ask(h, alice, `plan show yesterday <@${bob.userId}>`, 'dm')).text)
      .toBe(`bob has nothing for ${when(yesterday)} yet. Add to it with \`plan <text>\`, \`did <text>\`, \`blocked <text>\` or \`meeting <HH:MM> <text>\`.`);
    expect((await ask(h, alice, `plan show ${eastToday()}`)).text).toContain('Review the API changes');
  });

  it('reads the stand-up: everyone\'s day grouped by person', async () => {
    const standup = await ask(h, bob, 'standup');
    expect(standup.text.split('\n')[0]).toBe(`Stand-up for ${when(eastToday())} (2 people · 1 blocker)`);
    expect(standup.text).toContain('alice\n  plan: Review the API changes\n  did: Shipped the login fix\n  blocked: Waiting for staging access\n  meeting 09:30: Sprint review');
    expect(standup.text).toContain('bob\n  plan: Write tests');
    expect(blockText(standup)).toContain('*alice*');
    expect((await ask(h, bob, 'standup yesterday', 'slash')).text).toBe(`Nobody has posted anything for ${when(addDays(eastToday(), -1))} yet. Start with \`plan <what you will do>\`.`);
  });

  it('keeps each workspace to its own day and its own data', async () => {
    expect((await ask(h, wes, 'standup')).text).toMatch(/^Nobody has posted anything/);
    await ask(h, wes, 'plan West coast work', 'dm');
    const westDay = todayIn({ now: new Date(), timeZone: WEST });
    expect(westDay).not.toBe(eastToday());
    expect(await entries(west.teamId)).toEqual([
      { user_id: wes.userId, kind: 'plan', text: 'West coast work', channel_id: wes.dmChannel, day: westDay, meeting_at: null },
    ]);
    const westStandup = await ask(h, wes, 'standup', 'slash');
    expect(westStandup.text).toContain('West coast work');
    expect(westStandup.text).not.toContain('Review the API changes');
    expect((await ask(h, alice, 'standup')).text).not.toContain('West coast');
    // One team.info per workspace, however many commands ran.
    expect(h.slack.calls('team.info').filter((c) => c.teamId === east.teamId)).toHaveLength(1);
  });

  it('answers malformed requests with the usage line and writes nothing', async () => {
    const before = await entries(east.teamId);
    const cases: Array<[string, string]> = [
      ['plan', 'Usage: `plan <what you will do today>` (one per line)'],
      ['did', 'Usage: `did <what you got done>` (one per line)'],
      ['blocked   ', 'Usage: `blocked <what you need help with>` (one per line)'],
      ['meeting Lunch with the team', 'Usage: `meeting <HH:MM> <what>` (one per line)'],
      ['meeting 25:00 Late', 'Usage: `meeting <HH:MM> <what>`'],
      ['meeting 10:00 Fine\nno time here', 'Usage: `meeting <HH:MM> <what>`'],
      ['plan show someday', 'Usage: `plan show [@user] [date]`'],
      [`plan show <@${bob.userId}> <@${alice.userId}>`, 'Usage: `plan show [@user] [date]`'],
      ['standup 31/02', 'Usage: `standup [date]`'],
      ['standup today tomorrow', 'Usage: `standup [date]`'],
      [`did ${'x'.repeat(1001)}`, 'That is too long: at most 1000 characters per line.'],
    ];
    for (const [text, expected] of cases) expect((await ask(h, alice, text, 'dm')).text).toContain(expected);
    expect(await entries(east.teamId)).toEqual(before);
  });

  it('explains every command through help, generated from the definitions', async () => {
    const overview = await ask(h, alice, 'help', 'slash');
    for (const usage of ['task add <title> [for @user] [due <date>]', 'plan <what you will do today>', 'did <what you got done>',
      'blocked <what you need help with>', 'meeting <HH:MM> <what>', 'standup [date]', 'help [command]']) {
      expect(overview.text).toContain(`\`${usage}\``);
    }
    const task = await ask(h, alice, 'help task');
    expect(task.text).toContain('• `task assign <n> @user|me|nobody`');
    expect(task.text).toContain('Examples: `task add "Write the release notes" for @alice due fri`');
    expect((await ask(h, alice, 'help standup', 'dm')).text).toContain('`standup yesterday`');
    expect((await ask(h, alice, 'help nothing')).text).toBe('There is no `nothing` command. Try `help`.');
  });

  it('answers a slow /flotilla through response_url, still only to the caller', async () => {
    const slow = h.slack.createWorkspace({ name: 'Slow', timeZone: 'Europe/Paris' });
    await h.add(slow);
    h.slack.setLatency('team.info', 2_500); // a cold time-zone look-up outlasts the ack budget
    try {
      const reply = await ask(h, member(h, slow), 'plan show', 'slash');
      expect(reply).toMatchObject({ method: 'response_url', responseType: 'ephemeral', user: slow.userId });
      expect(reply.text).toMatch(/^You have nothing for today/);
      const ack = h.slack.acks().filter((a) => a.teamId === slow.teamId && a.type === 'slash_commands').at(-1)!;
      expect(ack.ackedAt! - ack.sentAt).toBeLessThan(3_000);
    } finally {
      h.slack.setLatency('team.info', 0);
    }
  });
});
