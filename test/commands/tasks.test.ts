import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addDays, formatDate, todayIn } from '../../src/commands/parse.js';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import { ask, blockText, EVERY_WAY, member, type Member } from './ask.js';

describe('task commands (mention, DM and /flotilla)', () => {
  let h: Harness;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  let alice: Member; // ordinary member of Acme
  let bob: Member; // another ordinary member of Acme
  let admin: Member; // Acme's workspace admin
  let gina: Member; // member of Globex
  const today = (): string => todayIn({ now: new Date(), timeZone: 'UTC' });

  const rows = (teamId: string) =>
    h.daemon.db.kysely.selectFrom('tasks').selectAll().where('team_id', '=', teamId).orderBy('number').execute();

  beforeAll(async () => {
    h = await startHarness();
    acme = h.slack.createWorkspace({ name: 'Acme' });
    globex = h.slack.createWorkspace({ name: 'Globex' });
    await h.add(acme);
    await h.add(globex);
    alice = member(h, acme);
    bob = member(h, acme, h.slack.createUser(acme.teamId, { name: 'bob' }).userId);
    admin = member(h, acme, acme.adminUserId);
    gina = member(h, globex);
  });
  afterAll(async () => h?.stop());

  it('adds tasks numbered per workspace, with assignee and due date, every way', async () => {
    const replies = [];
    for (const via of EVERY_WAY) replies.push(await ask(h, alice, `task add "Write notes ${via}" for <@${bob.userId}> due tomorrow`, via));
    const due = addDays(today(), 1);
    expect(replies.map((r) => r.text)).toEqual(EVERY_WAY.map((via, i) =>
      `Added task #${i + 1} Write notes ${via} · for <@${bob.userId}> · due ${formatDate(due, today())}`));
    expect(replies[0]!.blocks?.length).toBeGreaterThan(0);
    expect(replies[2]).toMatchObject({ method: 'ack_payload', responseType: 'ephemeral', user: alice.userId });
    expect(await rows(acme.teamId)).toMatchObject(EVERY_WAY.map((via, i) => ({
      number: i + 1, title: `Write notes ${via}`, created_by: alice.userId, assignee: bob.userId, done_at: null,
    })));
  });

  it('numbers each workspace on its own and never shows one team the other\'s tasks', async () => {
    const reply = await ask(h, gina, 'task add Globex secret plan');
    expect(reply.text).toBe('Added task #1 Globex secret plan');
    const list = await ask(h, gina, 'task list all', 'slash');
    expect(list.text).toContain('Globex secret plan');
    expect(list.text).not.toContain('Write notes');
    expect((await ask(h, alice, 'task list all')).text).not.toContain('Globex');
    expect((await ask(h, gina, 'task done 2')).text).toBe('There is no task #2. See them with `task list`.');
    expect(await rows(globex.teamId)).toHaveLength(1);
  });

  it('numbers concurrent adds uniquely', async () => {
    const teamId = acme.teamId;
    const before = (await rows(teamId)).length;
    for (let i = 0; i < 5; i++) h.slack.postUserMessage(teamId, { user: bob.userId, channel: bob.dmChannel, text: `task add burst ${i}` });
    await until(() => h.slack.posted({ teamId, channel: bob.dmChannel }).filter((m) => m.text.includes('burst')).length === 5);
    const numbers = (await rows(teamId)).map((r) => r.number);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Math.max(...numbers)).toBe(before + 5);
    for (const n of numbers.slice(before)) await ask(h, bob, `task delete ${n}`, 'dm');
  });

  it('lists open, mine, someone\'s, all and done tasks with assignee names and overdue marks', async () => {
    await ask(h, alice, 'task add Overdue thing due yesterday for me');
    await ask(h, bob, 'task add Bob own task');
    const open = await ask(h, alice, 'task list');
    expect(open.text).toMatch(/^Open tasks \(5, 1 overdue\):/);
    expect(open.text).toContain(`#1 Write notes mention · for bob · due ${formatDate(addDays(today(), 1), today())}`);
    expect(open.text).toContain(`Overdue thing · for alice · due ${formatDate(addDays(today(), -1), today())} (OVERDUE)`);
    expect(blockText(open)).toContain(':warning:');
    expect(open.text.indexOf('Overdue thing')).toBeLessThan(open.text.indexOf('Write notes'));
    const mine = await ask(h, alice, 'task list mine', 'dm');
    expect(mine.text).toMatch(/^Open tasks for you \(1, 1 overdue\):\n#\d+ Overdue thing/);
    const bobs = await ask(h, alice, `task list <@${bob.userId}>`);
    expect(bobs.text.split('\n')).toHaveLength(5); // heading + 3 assigned + 1 created unassigned
    expect(bobs.text).toMatch(/^Open tasks for bob \(4\):/);
    expect((await ask(h, alice, 'task list done')).text).toBe('No finished tasks yet. Add one with `task add <title>`.');
  });

  it('lets anyone mark a task done or reopen it, once', async () => {
    const done = await ask(h, admin, 'task done #1', 'slash');
    expect(done.text).toMatch(/^Finished task #1 Write notes mention .* · done$/);
    expect((await rows(acme.teamId))[0]).toMatchObject({ done_by: acme.adminUserId, done_at: expect.any(Date) });
    expect((await ask(h, alice, 'task done 1')).text).toBe('Task #1 is already done.');
    const list = await ask(h, alice, 'task list done');
    expect(list.text).toContain('#1 Write notes mention');
    expect(blockText(list)).toContain('~#1 Write notes mention~');
    expect((await ask(h, alice, 'task list')).text).not.toContain('#1 Write');
    expect((await ask(h, bob, 'task reopen 1', 'dm')).text).toMatch(/^Reopened task #1/);
    expect((await ask(h, bob, 'task reopen 1', 'dm')).text).toBe('Task #1 is not done, so there is nothing to reopen.');
    expect((await rows(acme.teamId))[0]).toMatchObject({ done_by: null, done_at: null });
  });

  it('lets the creator and the assignee edit, reschedule and reassign', async () => {
    expect((await ask(h, alice, 'task edit 2 “Write the real notes”')).text).toMatch(/^Renamed task #2 Write the real notes/);
    expect((await ask(h, bob, 'task due 2 2031-01-02', 'dm')).text).toContain('due Thu 2 Jan 2031');
    expect((await ask(h, bob, 'task due 2 none', 'slash')).text).toBe(`Rescheduled task #2 Write the real notes · for <@${bob.userId}>`);
    expect((await ask(h, bob, 'task assign 2 me')).text).toBe(`Assigned task #2 Write the real notes · for <@${bob.userId}>`);
    expect((await ask(h, alice, `task assign 2 <@${alice.userId}>`)).text).toContain(`for <@${alice.userId}>`);
    expect((await ask(h, alice, 'task assign 2 nobody')).text).toBe('Unassigned task #2 Write the real notes');
    expect((await rows(acme.teamId))[1]).toMatchObject({ title: 'Write the real notes', assignee: null, due_on: null });
  });

  it('politely refuses others, and writes nothing', async () => {
    const carol = member(h, acme, h.slack.createUser(acme.teamId, { name: 'carol' }).userId);
    const before = await rows(acme.teamId);
    const attempts = ['task edit 3 Hijacked', `task assign 3 <@${carol.userId}>`, 'task due 3 tomorrow', 'task delete 3'];
    for (const [i, text] of attempts.entries()) {
      const reply = await ask(h, carol, text, EVERY_WAY[i % 3]);
      expect(reply.text).toMatch(/^Sorry, only the person who created task #3, its assignee or a workspace admin can \w+ it\.$/);
    }
    expect(await rows(acme.teamId)).toEqual(before);
  });

  it('lets a workspace admin change and delete anyone\'s task', async () => {
    expect((await ask(h, admin, 'task edit 3 Admin renamed', 'dm')).text).toMatch(/^Renamed task #3 Admin renamed/);
    expect((await ask(h, admin, 'task delete 3')).text).toBe('Deleted task #3: Admin renamed');
    expect((await rows(acme.teamId)).map((r) => r.number)).not.toContain(3);
    expect((await ask(h, alice, 'task done 3')).text).toBe('There is no task #3. See them with `task list`.');
    // Numbers are never reused: #1–#3, the five deleted burst tasks #4–#8, then #9 and #10.
    expect((await ask(h, alice, 'task add After the delete')).text).toBe('Added task #11 After the delete');
  });

  it('answers wrong arguments with the usage line and writes nothing', async () => {
    const before = await rows(acme.teamId);
    const cases: Array<[string, string]> = [
      ['task add', 'Usage: `task add <title> [for @user] [due <date>]`'],
      ['task add Report due 31/02', 'I can\'t read the date `31/02`.'],
      ['task done', 'Usage: `task done <n>`'],
      ['task done first', 'Usage: `task done <n>`'],
      ['task edit 2', 'Usage: `task edit <n> <title>`'],
      ['task assign 2 bob', 'Usage: `task assign <n> @user|me|nobody`'],
      ['task due 2 someday', 'Usage: `task due <n> <date>|none`'],
      ['task delete', 'Usage: `task delete <n>`'],
      ['task list everything', 'Usage: `task list [mine | @user | all | done]`'],
      ['task', 'Usage:\n`task add'],
    ];
    for (const [text, expected] of cases) expect((await ask(h, alice, text, 'slash')).text).toContain(expected);
    expect(await rows(acme.teamId)).toEqual(before);
  });

  it('names the closest command for a typo', async () => {
    expect((await ask(h, alice, 'task lst')).text).toBe('I don\'t know `task lst`. Did you mean `task list`? Try `help task`.');
    expect((await ask(h, alice, 'tsk lst', 'dm')).text).toBe('I don\'t know `tsk`. Did you mean `task list`? Try `help`.');
    expect((await ask(h, alice, 'standpu', 'slash')).text).toBe('I don\'t know `standpu`. Did you mean `standup`? Try `help`.');
  });

  it('answers in the thread of a threaded request', async () => {
    const parent = h.slack.postUserMessage(acme.teamId, { user: alice.userId, channel: acme.generalChannelId, text: 'a thread' });
    const reply = await ask(h, alice, 'task list', 'mention', parent.ts);
    expect(reply.threadTs).toBe(parent.ts);
    expect((await ask(h, alice, 'task list')).threadTs).toBeUndefined();
  });

  it('keeps crowd pings in titles from pinging', async () => {
    const reply = await ask(h, alice, 'task add Tell <!channel> about it');
    expect(reply.text).toMatch(/^Added task #\d+ Tell @channel about it$/);
  });
});
