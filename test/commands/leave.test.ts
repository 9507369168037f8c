import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import { ask, blockText, type Member } from './ask.js';
import { acmeAndGlobex, buttons, dmsTo, nextDm, person } from './people.js';

// Wednesday 14 May 2025, 10:00 UTC: every date below is relative to it.
const NOW = new Date('2025-05-14T10:00:00Z');
const USAGE = 'Usage: `leave <from> [to <to>] [half am|pm] [<type>] [reason…]`';

describe('leave requests and decisions (mention, DM and /flotilla)', () => {
  let h: Harness;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  let alice: Member;
  let admin: Member;
  let bob: Member;
  let carol: Member;
  let dave: Member;

  const rows = (teamId: string) => h.daemon.db.kysely.selectFrom('leave_requests').select(['number', 'user_id', 'status', 'leave_type', 'half_day', 'reason', 'decided_by'])
    .where('team_id', '=', teamId).orderBy('number').execute();
  const history = (teamId: string, number: number) => h.daemon.db.kysely.selectFrom('leave_history').select(['status', 'actor', 'note'])
    .where('team_id', '=', teamId).where('number', '=', number).orderBy('id').execute();

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    ({ acme, globex, alice, admin } = await acmeAndGlobex(h));
    bob = await person(h, acme, 'bob');
    carol = await person(h, acme, 'carol');
    dave = await person(h, acme, 'dave');
  });
  afterAll(async () => h?.stop());

  it('sends a request to the workspace admins when no approvers are set; the admin decides and everyone is told', async () => {
    const reply = await ask(h, alice, 'leave tomorrow');
    expect(reply.text).toBe(`Leave request #1: vacation, Thu 15 May (1 working day). Sent to <@${admin.userId}> for approval (workspace admins: no approvers are set). Withdraw it with \`leave cancel 1\`.`);
    const note = await nextDm(h, admin, 0, 'the approver\'s DM');
    expect(note.text).toContain(`<@${alice.userId}> asks for leave #1: vacation, Thu 15 May (1 working day)`);
    expect(buttons(note)).toEqual(['leave_approve', 'leave_reject']);
    expect((await nextDm(h, alice, 0, 'the requester\'s DM')).text).toBe(reply.text);
    expect(await rows(acme.teamId)).toEqual([expect.objectContaining({ number: 1, user_id: alice.userId, status: 'pending', leave_type: 'vacation' })]);

    expect((await ask(h, admin, 'leave approve 1')).text).toBe(`Approved leave #1 of <@${alice.userId}> (vacation, Thu 15 May). I told them.`);
    const updated = dmsTo(h, admin, 'chat.update');
    expect(updated).toEqual([expect.objectContaining({ ts: note.ts })]);
    expect(blockText(updated[0]!)).toContain(`Approved by <@${admin.userId}> on Wed 14 May at 10:00`);
    expect(buttons(updated[0])).toEqual([]);
    expect((await nextDm(h, alice, 1, 'the decision DM')).text).toBe(`Your leave #1 (vacation, Thu 15 May (1 working day)) was approved by <@${admin.userId}>.`);
    expect(await history(acme.teamId, 1)).toEqual([
      { status: 'pending', actor: alice.userId, note: null }, { status: 'approved', actor: admin.userId, note: null },
    ]);
  });

  it('sends to every approver; the first decision wins, a second is refused naming it, every approver message loses its buttons', async () => {
    expect((await ask(h, admin, `settings approvers <@${carol.userId}> <@${dave.userId}>`)).text).toBe(`Approvers: <@${carol.userId}>, <@${dave.userId}>.`);
    expect((await ask(h, alice, `settings approvers <@${alice.userId}>`)).text).toBe('Sorry, only workspace admins and owners can change settings.');
    const reply = await ask(h, bob, 'leave 2025-05-19 to 2025-05-23 sick Flu', 'slash');
    expect(reply).toMatchObject({ method: 'ack_payload', responseType: 'ephemeral' });
    const approvers = [carol.userId, dave.userId].sort().map((id) => `<@${id}>`).join(', ');
    expect(reply.text).toBe(`Leave request #2: sick, Mon 19 May – Fri 23 May (5 working days). Sent to ${approvers} for approval. Withdraw it with \`leave cancel 2\`.`);
    const [toCarol, toDave] = [await nextDm(h, carol, 0), await nextDm(h, dave, 0)];
    expect([buttons(toCarol), buttons(toDave)]).toEqual([['leave_approve', 'leave_reject'], ['leave_approve', 'leave_reject']]);
    expect(blockText(toDave)).toContain('Flu');
    expect((await nextDm(h, bob, 0, 'bob\'s confirmation')).text).toBe(reply.text);

    expect((await ask(h, carol, 'leave reject 2 Not enough cover')).text).toBe(`Rejected leave #2 of <@${bob.userId}> (sick, Mon 19 May – Fri 23 May). I told them.`);
    expect((await ask(h, dave, 'leave approve 2', 'slash')).text).toBe(`Leave #2 was already rejected by <@${carol.userId}> on Wed 14 May at 10:00.`);
    for (const approver of [carol, dave]) {
      const [update] = dmsTo(h, approver, 'chat.update');
      expect(update?.ts).toBe(dmsTo(h, approver)[0]!.ts);
      expect(blockText(update!)).toContain(`Rejected by <@${carol.userId}> on Wed 14 May at 10:00: "Not enough cover"`);
      expect(buttons(update)).toEqual([]);
    }
    expect((await nextDm(h, bob, 1)).text).toBe(`Your leave #2 (sick, Mon 19 May – Fri 23 May (5 working days)) was rejected by <@${carol.userId}>: "Not enough cover".`);
    expect(await history(acme.teamId, 2)).toEqual([
      { status: 'pending', actor: bob.userId, note: null }, { status: 'rejected', actor: carol.userId, note: 'Not enough cover' },
    ]);
  });

  it('sends an approver\'s request to the other approvers; no one decides their own, nor without being a decider', async () => {
    const daveNotes = dmsTo(h, dave).length;
    const carolNotes = dmsTo(h, carol).length;
    expect((await ask(h, carol, 'leave fri')).text).toBe(`Leave request #3: vacation, Fri 16 May (1 working day). Sent to <@${dave.userId}> for approval. Withdraw it with \`leave cancel 3\`.`);
    await nextDm(h, dave, daveNotes, 'dave\'s note');
    await until(() => dmsTo(h, carol).length === carolNotes + 1, 10_000, 'carol\'s own confirmation');
    expect(buttons(dmsTo(h, carol).at(-1))).toEqual([]); // her confirmation, not an approver note
    expect((await ask(h, carol, 'leave approve 3')).text).toBe(`You can't decide your own leave #3; it is for <@${dave.userId}>.`);
    expect((await ask(h, alice, 'leave approve 3', 'dm')).text).toBe(`Sorry, only <@${dave.userId}> can decide leave #3.`);
    expect((await ask(h, admin, 'leave reject 3 nope', 'slash')).text).toBe(`Sorry, only <@${dave.userId}> can decide leave #3.`);
    expect((await rows(acme.teamId))[2]).toMatchObject({ number: 3, status: 'pending', decided_by: null });
  });

  it('checks dates: order, 30 days back, a year ahead, half days, overlaps with one\'s own leave; a refusal stores nothing', async () => {
    const before = await rows(acme.teamId);
    const refused: Array<[string, string]> = [
      ['leave 2025-05-20 to 2025-05-18', 'Your leave ends (2025-05-18) before it starts (2025-05-20).'],
      ['leave 2025-04-13', '2025-04-13 is more than 30 days ago; ask an approver to record older leave.'],
      ['leave 2026-06-01', '2026-06-01 is more than a year ahead.'],
      ['leave 2025-05-22 to 2025-05-23 half am', 'A half day is a single day: ask for the half day and the other days separately.'],
      ['leave 2025-05-22 half', 'Say which half: `half am` (morning) or `half pm` (afternoon).'],
      ['leave 99/99', 'I can\'t read the date `99/99`. Dates: `today`, `tomorrow`, `yesterday`, a weekday (`fri`), `2025-05-16`, or `16/05`.'],
      ['leave 2025-05-15 half pm', 'Those days overlap your leave #1 (vacation, Thu 15 May, approved). Pick other days, or withdraw it first with `leave cancel 1`.'],
    ];
    for (const [text, problem] of refused) expect((await ask(h, alice, text)).text).toBe(`${problem}${problem.startsWith('Those days') ? '' : `\n${USAGE}`}`);
    expect(await rows(acme.teamId)).toEqual(before);

    expect((await ask(h, alice, 'leave 2025-04-14 sick')).text).toMatch(/^Leave request #4: sick, Mon 14 Apr \(1 working day\)\./);
    expect((await ask(h, alice, 'leave 2025-05-21 half am', 'dm')).text).toMatch(/^Leave request #5: vacation, Wed 21 May \(morning\) \(half a working day\)\./);
    expect((await ask(h, alice, 'leave 2025-05-21 pm personal Dentist at 14:00')).text).toMatch(/^Leave request #6: personal, Wed 21 May \(afternoon\) \(half a working day\)\./);
    expect((await ask(h, alice, 'leave 2025-05-21')).text).toMatch(/^Those days overlap your leave #5 \(vacation, Wed 21 May \(morning\), pending\)/);
    expect((await rows(acme.teamId)).slice(4)).toEqual([
      expect.objectContaining({ number: 5, half_day: 'am', reason: null }),
      expect.objectContaining({ number: 6, half_day: 'pm', leave_type: 'personal', reason: 'Dentist at 14:00' }),
    ]);
  });

  it('lists mine, pending, all and someone\'s requests; reasons only for the requester and the deciders', async () => {
    const mine = await ask(h, alice, 'leave list');
    expect(mine.text).toMatch(/^Your leave \(4\):\n#6 .*\n#5 .*\n#1 .*\n#4 /);
    expect(mine.text).toContain('#1 alice · Thu 15 May · vacation · approved');
    expect(mine.text).toContain('#6 alice · Wed 21 May (afternoon) · personal · pending · "Dentist at 14:00"');
    const all = await ask(h, alice, 'leave list all', 'slash');
    expect(all.text).toContain('#2 bob · Mon 19 May – Fri 23 May · sick · rejected');
    expect(all.text).not.toContain('Flu');
    expect((await ask(h, carol, 'leave list all')).text).toContain('#2 bob · Mon 19 May – Fri 23 May · sick · rejected · "Flu"');
    const pending = await ask(h, alice, 'leave list pending');
    expect(pending.text.split('\n').slice(1).map((line) => line.split(' ')[0])).toEqual(['#4', '#3', '#5', '#6']);
    expect((await ask(h, alice, `leave list <@${bob.userId}>`)).text).toMatch(/^Leave of bob \(1\):\n#2 bob/);
    expect((await ask(h, alice, 'leave list everything now')).text).toBe('Usage: `leave list [mine|pending|all|@user]`');
  });

  it('lets the requester alone withdraw pending leave or approved leave that is not over', async () => {
    expect((await ask(h, bob, 'leave cancel 1')).text).toBe(`Sorry, only <@${alice.userId}> can withdraw leave #1.`);
    const adminUpdates = dmsTo(h, admin, 'chat.update').length;
    expect((await ask(h, alice, 'leave cancel 1')).text).toBe('Withdrew leave #1 (vacation, Thu 15 May).');
    await until(() => dmsTo(h, admin, 'chat.update').length === adminUpdates + 1, 10_000, 'the admin\'s note updated');
    expect(blockText(dmsTo(h, admin, 'chat.update').at(-1)!)).toContain(`Cancelled by <@${alice.userId}> on Wed 14 May at 10:00`);
    expect((await ask(h, alice, 'leave cancel 1')).text).toBe('Leave #1 cannot be withdrawn: it is already cancelled.');
    expect((await ask(h, bob, 'leave cancel 2', 'dm')).text).toBe(`Leave #2 cannot be withdrawn: Leave #2 was already rejected by <@${carol.userId}> on Wed 14 May at 10:00.`);
    expect((await ask(h, alice, 'leave cancel #4', 'slash')).text).toBe('Withdrew leave #4 (sick, Mon 14 Apr).');
    expect((await ask(h, alice, 'leave yesterday sick')).text).toMatch(/^Leave request #7: sick, Tue 13 May/);
    expect((await ask(h, dave, 'leave approve 7')).text).toMatch(/^Approved leave #7/);
    expect((await ask(h, alice, 'leave cancel 7')).text).toBe('Leave #7 cannot be withdrawn: it is over.');
    expect((await ask(h, alice, 'leave cancel 999')).text).toBe('There is no leave request #999. See yours with `leave list`.');
    expect((await history(acme.teamId, 1)).map((e) => e.status)).toEqual(['pending', 'approved', 'cancelled']);
  });

  it('answers typos, missing numbers and `leave` alone the way the other commands do', async () => {
    expect((await ask(h, alice, 'leave lst')).text).toBe('I don\'t know `leave lst`. Did you mean `leave list`? Try `help leave`.');
    expect((await ask(h, alice, 'leave approve')).text).toBe('Usage: `leave approve <n>`');
    expect((await ask(h, alice, 'leave reject x')).text).toBe('Usage: `leave reject <n> [reason]`');
    expect((await ask(h, alice, 'leve tomorrow')).text).toBe('I don\'t know `leve`. Did you mean `leave`? Try `help`.');
    for (const via of ['mention', 'dm'] as const) {
      const offer = await ask(h, alice, 'leave', via);
      expect(offer.text).toMatch(/^Apply for leave with the form, or type `leave <from>/);
      expect(buttons(offer)).toEqual(['leave_open_form']);
    }
    const help = await ask(h, alice, 'help');
    for (const usage of ['leave <from> [to <to>]', 'out [date]', 'settings', 'holiday add <date> <name>']) expect(help.text).toContain(usage);
    expect((await ask(h, alice, 'help leave')).text).toContain('`leave reject <n> [reason]`');
  });

  it('logs a DM that fails with a reference and still lets the others decide', async () => {
    h.slack.updateUser(acme.teamId, dave.userId, { isDeleted: true });
    const reply = await ask(h, alice, 'leave 2025-06-02');
    const ref = /I could not reach <@\w+> \(ref ([0-9a-f]{8})\); they can still decide with `leave approve 8`\./.exec(reply.text)?.[1];
    expect(reply.text).toContain(`I could not reach <@${dave.userId}>`);
    expect(ref).toBeDefined();
    expect(h.logs.some((line) => line.includes(ref!) && line.includes('could not DM an approver') && line.includes('user_disabled'))).toBe(true);
    expect((await ask(h, carol, 'leave approve 8')).text).toMatch(/^Approved leave #8/);
  });

  it('keeps each workspace\'s leave apart, numbered on its own', async () => {
    const gina = await person(h, globex, 'gina', { userId: globex.userId });
    expect((await ask(h, gina, 'leave list all')).text).toBe('No leave yet. Ask for some with `leave <from> [to <to>] [half am|pm] [<type>] [reason…]`.');
    expect((await ask(h, gina, 'leave approve 1')).text).toBe('There is no leave request #1. See them with `leave list all`.');
    expect((await ask(h, gina, 'leave tomorrow')).text).toMatch(new RegExp(`^Leave request #1: vacation, Thu 15 May .*<@${globex.adminUserId}>`));
    expect((await ask(h, alice, 'leave list all')).text).not.toContain('gina');
    expect(await rows(globex.teamId)).toEqual([expect.objectContaining({ number: 1, user_id: gina.userId })]);
  });

  it('serves the text forms over RTM, which has no buttons or forms', async () => {
    const initech = h.slack.createWorkspace({ name: 'Initech' });
    await h.add(initech, 'rtm');
    const ivan = await person(h, initech, 'ivan', { userId: initech.userId });
    expect((await ask(h, ivan, 'leave tomorrow')).text).toMatch(/^Leave request #1: vacation, Thu 15 May/);
    expect((await ask(h, ivan, 'leave', 'dm')).text).toMatch(/or type `leave <from>/);
    expect((await ask(h, ivan, 'leave cancel 1')).text).toBe('Withdrew leave #1 (vacation, Thu 15 May).');
  });
});
