import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import { ask, type Member } from './ask.js';
import { person } from './people.js';

// Wednesday 14 May 2025, 10:00 UTC.
const NOW = new Date('2025-05-14T10:00:00Z');
let clock = NOW;

describe('settings, holidays and out', () => {
  let h: Harness;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  let alice: Member;
  let admin: Member;
  let bob: Member;
  let carol: Member;
  let team: string; // the summary channel: its own, so a summary never lands among the replies in #general

  const settingsRow = (teamId: string) => h.daemon.db.kysely.selectFrom('workspace_settings').selectAll().where('team_id', '=', teamId).executeTakeFirst();

  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
    acme = h.slack.createWorkspace({ name: 'Acme' });
    globex = h.slack.createWorkspace({ name: 'Globex', timeZone: 'Asia/Tokyo' });
    await h.add(acme);
    await h.add(globex);
    alice = await person(h, acme, 'alice', { userId: acme.userId });
    admin = await person(h, acme, 'admin', { userId: acme.adminUserId });
    bob = await person(h, acme, 'bob');
    carol = await person(h, acme, 'carol');
    team = h.slack.createChannel(acme.teamId, { name: 'team' }).channelId;
  });
  afterAll(async () => h?.stop());

  it('shows the settings to anyone, with their defaults', async () => {
    expect((await ask(h, alice, 'settings')).text).toBe([
      'Settings of this workspace:',
      '• Time zone: UTC (from Slack)',
      '• Daily "who is out" summary: not set up (`settings summary-channel #channel`)',
      '• Workdays: mon, tue, wed, thu, fri',
      '• Approvers: none (workspace admins and owners decide)',
      '• Leave types: vacation, sick, personal (default vacation)',
      'Workspace admins change them: `help settings`. Holidays: `holiday list`.',
    ].join('\n'));
    expect((await ask(h, await person(h, globex, 'gina', { userId: globex.userId }), 'settings', 'slash')).text).toContain('• Time zone: Asia/Tokyo (from Slack)');
  });

  it('lets only workspace admins and owners change settings; a refusal writes nothing', async () => {
    const attempts = ['settings timezone Europe/Paris', `settings summary-channel <#${team}|team>`, 'settings summary-time 08:00',
      'settings workdays mon-sun', `settings approvers <@${alice.userId}>`, 'settings leave-types fun', 'settings summary off'];
    for (const text of attempts) expect((await ask(h, alice, text, 'dm')).text).toBe('Sorry, only workspace admins and owners can change settings.');
    expect(await settingsRow(acme.teamId)).toBeUndefined();
  });

  it('changes each setting, checking its value', async () => {
    const answers: Array<[string, string]> = [
      ['settings timezone europe/paris', 'Time zone set to Europe/Paris.'],
      ['settings timezone Mars/Olympus', '`Mars/Olympus` is not a time zone I know. Use an IANA name such as `Europe/Paris` or `America/New_York` (`slack` to follow Slack).\nUsage: `settings timezone <IANA zone, e.g. Europe/Paris>`'],
      [`settings summary-channel <#${team}|team>`, `The daily summary goes to <#${team}>.`],
      ['settings summary-channel <#CNOPE12345>', 'I can\'t see <#CNOPE12345>. Invite me there first (`/invite @flotilla`).\nUsage: `settings summary-channel <#channel>`'],
      ['settings summary-time 9:30', 'The daily summary is posted at 09:30.'],
      ['settings summary-time 25:00', 'Give a 24-hour time such as `09:00` or `13:30`.\nUsage: `settings summary-time <HH:MM>`'],
      ['settings workdays fri-mon', 'Workdays: sun, mon, fri, sat.'],
      ['settings workdays mon, wed,fri', 'Workdays: mon, wed, fri.'],
      ['settings workdays funday', 'Give a range such as `mon-fri` or `sun-thu`, or a list such as `mon,tue,thu`.\nUsage: `settings workdays <mon-fri | mon,tue,…>`'],
      ['settings workdays mon-fri', 'Workdays: mon, tue, wed, thu, fri.'],
      [`settings approvers <@${acme.botUserId}>`, `<@${acme.botUserId}> can't approve leave: not an active person.\nUsage: \`settings approvers <@user …> | none\``],
      ['settings approvers <@UNOPE12345>', '<@UNOPE12345> can\'t approve leave: I don\'t know them here.\nUsage: `settings approvers <@user …> | none`'],
      [`settings approvers <@${bob.userId}>`, `Approvers: <@${bob.userId}>.`],
      ['settings leave-types Vacation,sick,Parental', 'Leave types: vacation, sick, parental (default vacation).'],
      ['settings leave-types "fun!"', 'Give 1 to 20 names in lower case, separated by commas, e.g. `vacation,sick,parental`; the first is the default.\nUsage: `settings leave-types <a,b,…>`'],
      ['settings summary off', 'The daily summary is off.'],
      ['settings timzone UTC', 'I don\'t know `settings timzone`. Did you mean `settings timezone`? Try `help settings`.'],
    ];
    for (const [text, answer] of answers) expect((await ask(h, admin, text)).text).toBe(answer);
    const shown = (await ask(h, alice, 'settings')).text;
    expect(shown).toContain('• Time zone: Europe/Paris\n');
    expect(shown).toContain(`• Daily "who is out" summary: off: <#${team}> at 09:30 on workdays that are not holidays`);
    expect(shown).toContain(`• Approvers: <@${bob.userId}>`);
    expect(await settingsRow(acme.teamId)).toMatchObject({ time_zone: 'Europe/Paris', summary_time: '09:30', leave_types: ['vacation', 'sick', 'parental'], is_summary_enabled: false, updated_by: admin.userId });
    expect((await ask(h, alice, 'leave tomorrow parental Newborn')).text).toMatch(/^Leave request #1: parental, Thu 15 May/);
    expect(await settingsRow(globex.teamId)).toBeUndefined();
  });

  it('refreshes a cached member at once on user_change (a new admin may change settings)', async () => {
    expect((await ask(h, carol, 'settings summary on')).text).toBe('Sorry, only workspace admins and owners can change settings.');
    h.slack.updateUser(acme.teamId, carol.userId, { isAdmin: true, name: 'carol-admin' });
    await until(async () => (await h.daemon.db.kysely.selectFrom('users').select('is_admin').where('user_id', '=', carol.userId).executeTakeFirst())?.is_admin === true, 10_000, 'the cache refreshed');
    expect((await ask(h, carol, 'settings summary on')).text).toBe('The daily summary is on.');
  });

  it('asks Slack about a person again once the cached answer is a day old', async () => {
    const infoCalls = (): number => h.slack.calls('users.info').filter((c) => c.teamId === acme.teamId).length;
    await ask(h, admin, 'settings summary-time 09:30');
    const before = infoCalls();
    await ask(h, admin, 'settings summary-time 09:30');
    expect(infoCalls()).toBe(before);
    clock = new Date(NOW.getTime() + 25 * 60 * 60_000);
    try {
      await ask(h, admin, 'settings summary-time 09:30');
      expect(infoCalls()).toBe(before + 1);
    } finally {
      clock = NOW;
    }
  });

  it('keeps holidays (admins change them), skips them in working days, and names them in `out`', async () => {
    expect((await ask(h, alice, 'holiday add 2025-05-29 Ascension')).text).toBe('Sorry, only workspace admins and owners can change holidays.');
    expect((await ask(h, admin, 'holiday add 2025-05-29 Ascension Day')).text).toBe('Added the holiday on Thu 29 May: Ascension Day. No summary is posted that day.');
    expect((await ask(h, admin, 'holiday add 2025-05-29 Ascension')).text).toBe('Renamed the holiday on Thu 29 May: Ascension. No summary is posted that day.');
    expect((await ask(h, admin, 'holiday add 2025-12-25 Christmas')).text).toBe('Added the holiday on Thu 25 Dec: Christmas. No summary is posted that day.');
    expect((await ask(h, admin, 'holiday add 2025-12-26')).text).toBe('Give the holiday a name.\nUsage: `holiday add <date> <name>`');
    expect((await ask(h, admin, 'holiday add 31/02 Nope')).text).toMatch(/^I can't read the date `31\/02`/);
    expect((await ask(h, alice, 'holiday list', 'slash')).text).toBe('Holidays in the coming year (2):\n• Thu 29 May: Ascension\n• Thu 25 Dec: Christmas');
    expect((await ask(h, bob, 'leave 2025-05-26 to 2025-05-30')).text).toMatch(/^Leave request #2: vacation, Mon 26 May – Fri 30 May \(4 working days\)/);
    expect((await ask(h, alice, 'out 2025-05-29')).text).toBe('No one is out on Thu 29 May.\n(Thu 29 May is a holiday: Ascension.)');
    expect((await ask(h, alice, 'holiday remove 2025-12-25')).text).toBe('Sorry, only workspace admins and owners can change holidays.');
    expect((await ask(h, admin, 'holiday remove 2025-12-25')).text).toBe('Removed the holiday on Thu 25 Dec: Christmas.');
    expect((await ask(h, admin, 'holiday remove 2025-12-25')).text).toBe('There is no holiday on Thu 25 Dec. See them with `holiday list`.');
    expect((await ask(h, admin, 'holiday remov 2025-12-25')).text).toBe('I don\'t know `holiday remov`. Did you mean `holiday remove`? Try `help holiday`.');
  });

  it('shows who is out on a day: full days with "until", half days apart, a count', async () => {
    // alice #1 (parental, Thu 15 May) is pending; approve it, and add half days for bob and carol.
    expect((await ask(h, bob, 'leave approve 1')).text).toMatch(/^Approved leave #1/);
    expect((await ask(h, alice, 'leave 2025-05-16 sick')).text).toMatch(/^Leave request #3/);
    await ask(h, bob, 'leave approve 3');
    expect((await ask(h, carol, 'leave 2025-05-15 half pm')).text).toMatch(/^Leave request #4/);
    await ask(h, bob, 'leave approve 4');
    expect((await ask(h, admin, 'leave 2025-05-15 to 2025-05-20')).text).toMatch(/^Leave request #5/);
    await ask(h, bob, 'leave approve 5');
    expect((await ask(h, bob, 'leave 2025-05-15 am')).text).toMatch(/^Leave request #6/); // pending: not out
    expect((await ask(h, alice, 'out tomorrow')).text).toBe([
      'Who is out on Thu 15 May: 3 people',
      'Full day: alice, admin (until Tue 20 May)',
      'Half day, afternoon: carol-admin',
    ].join('\n'));
    expect((await ask(h, alice, 'out')).text).toBe('No one is out today (Wed 14 May).');
    expect((await ask(h, alice, 'out sat')).text).toBe('Who is out on Sat 17 May: 1 person\nFull day: admin (until Tue 20 May)\n(Sat 17 May is not a working day here.)');
    expect((await ask(h, alice, 'out someday')).text).toBe('Usage: `out [date]`\nDates: `today`, `tomorrow`, `yesterday`, a weekday (`fri`), `2025-05-16`, or `16/05`.');
  });
});
