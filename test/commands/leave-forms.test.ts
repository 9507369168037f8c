import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace, OpenView } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import { ask, blockText, type Member } from './ask.js';
import { buttons, dmsTo, nextDm, person } from './people.js';

// Wednesday 14 May 2025, 10:00 UTC.
const NOW = new Date('2025-05-14T10:00:00Z');

describe('the leave form and the Approve / Reject buttons (Socket Mode interactivity)', () => {
  let h: Harness;
  let acme: EmulatedWorkspace;
  let alice: Member;
  let admin: Member;
  let bob: Member;

  const rows = () => h.daemon.db.kysely.selectFrom('leave_requests').select(['number', 'status', 'leave_type', 'reason', 'decided_by'])
    .where('team_id', '=', acme.teamId).orderBy('number').execute();
  const viewOf = (userId: string): OpenView | undefined => h.slack.openViews(acme.teamId).find((v) => v.userId === userId);
  const responses = (who: Member) => h.slack.posted({ teamId: acme.teamId, method: 'response_url' }).filter((m) => m.user === who.userId);

  async function openFormBySlash(who: Member): Promise<OpenView> {
    h.slack.sendSlashCommand(acme.teamId, { user: who.userId, channel: acme.generalChannelId, text: 'leave' });
    await until(() => viewOf(who.userId) !== undefined, 10_000, 'the form to open');
    return viewOf(who.userId)!;
  }

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    acme = h.slack.createWorkspace({ name: 'Acme' });
    await h.add(acme);
    alice = await person(h, acme, 'alice', { userId: acme.userId });
    admin = await person(h, acme, 'admin', { userId: acme.adminUserId });
    bob = await person(h, acme, 'bob');
  });
  afterAll(async () => h?.stop());

  it('opens the form at once from /flotilla leave, with the trigger of the command', async () => {
    const acksBefore = h.slack.posted({ method: 'ack_payload' }).length;
    const { view } = await openFormBySlash(alice);
    expect(view).toMatchObject({ callback_id: 'leave_request', title: { text: 'Apply for leave' } });
    const blocks = view['blocks'] as Array<{ block_id: string; optional?: boolean; element: Record<string, unknown> }>;
    expect(blocks.map((b) => [b.block_id, b.optional ?? false])).toEqual([['type', false], ['from', false], ['to', true], ['half', true], ['reason', true]]);
    expect(blocks[1]!.element).toMatchObject({ type: 'datepicker', initial_date: '2025-05-14' });
    expect((blocks[0]!.element['options'] as Array<{ value: string }>).map((o) => o.value)).toEqual(['vacation', 'sick', 'personal']);
    expect(h.slack.posted({ method: 'ack_payload' })).toHaveLength(acksBefore); // the command is answered by the form alone
  });

  it('shows a bad field\'s problem beside it and stores nothing; a valid form closes and sends the request', async () => {
    const reversed = await h.slack.submitView(acme.teamId, { user: alice.userId, values: { type: 'sick', from: '2025-05-20', to: '2025-05-18' } });
    expect(reversed.response).toEqual({ response_action: 'errors', errors: { to: 'Your leave ends (2025-05-18) before it starts (2025-05-20).' } });
    const old = await h.slack.submitView(acme.teamId, { user: alice.userId, values: { type: 'sick', from: '2025-04-01' } });
    expect(old.response).toEqual({ response_action: 'errors', errors: { from: '2025-04-01 is more than 30 days ago; ask an approver to record older leave.' } });
    const halves = await h.slack.submitView(acme.teamId, { user: alice.userId, values: { type: 'sick', from: '2025-05-19', to: '2025-05-20', half: 'am' } });
    expect(halves.response).toMatchObject({ response_action: 'errors', errors: { half: expect.stringMatching(/^A half day is a single day/) } });
    expect(viewOf(alice.userId)).toBeDefined();
    expect(await rows()).toEqual([]);

    const sent = await h.slack.submitView(acme.teamId, { user: alice.userId, values: { type: 'sick', from: '2025-05-19', to: '2025-05-20', reason: 'Flu' } });
    expect(sent.response).toBeUndefined();
    expect(viewOf(alice.userId)).toBeUndefined();
    expect((await nextDm(h, alice, 0, 'the confirmation DM')).text)
      .toBe(`Leave request #1: sick, Mon 19 May – Tue 20 May (2 working days). Sent to <@${admin.userId}> for approval (workspace admins: no approvers are set). Withdraw it with \`leave cancel 1\`.`);
    const note = await nextDm(h, admin, 0, 'the admin\'s note');
    expect(buttons(note)).toEqual(['leave_approve', 'leave_reject']);
    expect(await rows()).toEqual([{ number: 1, status: 'pending', leave_type: 'sick', reason: 'Flu', decided_by: null }]);

    await openFormBySlash(alice);
    const overlap = await h.slack.submitView(acme.teamId, { user: alice.userId, values: { type: 'vacation', from: '2025-05-20' } });
    expect(overlap.response).toEqual({ response_action: 'errors', errors: { from: expect.stringMatching(/^Those days overlap your leave #1 \(sick, Mon 19 May – Tue 20 May, pending\)/) } });
    expect(await rows()).toHaveLength(1);
  });

  it('opens the form from the "Apply for leave" button that `leave` answers with', async () => {
    const offer = await ask(h, bob, 'leave', 'dm');
    h.slack.clickButton(acme.teamId, { user: bob.userId, channel: offer.channel, ts: offer.ts, actionId: 'leave_open_form' });
    await until(() => viewOf(bob.userId) !== undefined, 10_000, 'bob\'s form');
    expect(viewOf(bob.userId)!.view['callback_id']).toBe('leave_request');
    const sent = await h.slack.submitView(acme.teamId, { user: bob.userId, values: { type: 'vacation', from: '2025-05-16' } });
    expect(sent.response).toBeUndefined(); // the form closes; the request is stored and sent right after the ack
    await until(async () => (await rows()).length === 2, 10_000, 'request #2 stored');
    expect((await rows()).at(-1)).toMatchObject({ number: 2, status: 'pending', leave_type: 'vacation' });
    await nextDm(h, admin, 1, 'the admin\'s note about #2');
  });

  it('says so when the form cannot be opened in time (the trigger expired)', async () => {
    h.slack.failMethod('views.open', 'expired_trigger_id', { count: 1 });
    const reply = await ask(h, alice, 'leave', 'slash');
    expect(reply.text).toMatch(/^I could not open the form in time\. Apply for leave with the form, or type `leave <from>/);
  });

  it('approves and rejects with the buttons; the message loses them; the requester is told', async () => {
    const notes = dmsTo(h, admin);
    const first = notes.find((m) => m.text.includes('leave #1'))!;
    h.slack.clickButton(acme.teamId, { user: admin.userId, channel: first.channel, ts: first.ts, actionId: 'leave_approve' });
    await until(async () => (await rows())[0]?.status === 'approved', 10_000, '#1 approved');
    await until(() => dmsTo(h, admin, 'chat.update').some((m) => m.ts === first.ts), 10_000, 'the note updated');
    const updated = dmsTo(h, admin, 'chat.update').find((m) => m.ts === first.ts)!;
    expect(blockText(updated)).toContain(`Approved by <@${admin.userId}> on Wed 14 May at 10:00`);
    expect(buttons(updated)).toEqual([]);
    expect((await nextDm(h, alice, 1, 'the decision')).text).toBe(`Your leave #1 (sick, Mon 19 May – Tue 20 May (2 working days)) was approved by <@${admin.userId}>.`);

    const second = notes.find((m) => m.text.includes('leave #2'))!;
    h.slack.clickButton(acme.teamId, { user: admin.userId, channel: second.channel, ts: second.ts, actionId: 'leave_reject' });
    await until(async () => (await rows())[1]?.status === 'rejected', 10_000, '#2 rejected');
    expect((await rows())[1]).toMatchObject({ decided_by: admin.userId });
    expect(h.slack.acks().filter((a) => a.type === 'interactive').every((a) => a.ackedAt !== null)).toBe(true);
  });

  it('refuses a click by someone who may not decide, in an ephemeral, and changes nothing', async () => {
    expect((await ask(h, bob, 'leave 2025-06-02')).text).toMatch(/^Leave request #3/);
    const note = await until(() => dmsTo(h, admin).some((m) => m.text.includes('leave #3')), 10_000, 'the note').then(() => dmsTo(h, admin).find((m) => m.text.includes('leave #3'))!);
    h.slack.clickButton(acme.teamId, { user: bob.userId, channel: note.channel, ts: note.ts, actionId: 'leave_approve' });
    await until(() => responses(bob).length === 1, 10_000, 'the ephemeral refusal');
    expect(responses(bob)[0]).toMatchObject({ text: `You can't decide your own leave #3; it is for <@${admin.userId}>.`, responseType: 'ephemeral' });
    h.slack.clickButton(acme.teamId, { user: alice.userId, channel: note.channel, ts: note.ts, actionId: 'leave_reject' });
    await until(() => responses(alice).length === 1, 10_000, 'the refusal to alice');
    expect(responses(alice)[0]!.text).toBe(`Sorry, only <@${admin.userId}> can decide leave #3.`);
    expect((await rows())[2]).toMatchObject({ status: 'pending', decided_by: null });
    expect(dmsTo(h, admin, 'chat.update').some((m) => m.ts === note.ts)).toBe(false);
  });

  it('refuses the second of two approvers clicking at once, naming the first decision', async () => {
    const carol = await person(h, acme, 'carol');
    const dave = await person(h, acme, 'dave');
    await ask(h, admin, `settings approvers <@${carol.userId}> <@${dave.userId}>`);
    expect((await ask(h, alice, 'leave 2025-06-09')).text).toMatch(/^Leave request #4/);
    const [toCarol, toDave] = [await nextDm(h, carol, 0), await nextDm(h, dave, 0)];
    h.slack.clickButton(acme.teamId, { user: carol.userId, channel: toCarol.channel, ts: toCarol.ts, actionId: 'leave_approve' });
    h.slack.clickButton(acme.teamId, { user: dave.userId, channel: toDave.channel, ts: toDave.ts, actionId: 'leave_reject' });
    await until(() => responses(carol).length + responses(dave).length === 1, 10_000, 'one refusal');
    const [row] = (await rows()).slice(3);
    const winner = row!.decided_by === carol.userId ? carol : dave;
    const loser = winner === carol ? dave : carol;
    expect(row!.status).toBe(winner === carol ? 'approved' : 'rejected');
    expect(responses(loser)[0]!.text).toBe(`Leave #4 was already ${row!.status} by <@${winner.userId}> on Wed 14 May at 10:00.`);
    for (const approver of [carol, dave]) {
      await until(() => dmsTo(h, approver, 'chat.update').length === 1, 10_000, 'both notes updated');
      expect(buttons(dmsTo(h, approver, 'chat.update')[0])).toEqual([]);
    }
  });
});
