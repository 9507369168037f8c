import type { LeaveRecord } from '../db/leave-repository.js';
import { defuse } from './blocks.js';
import type { Reply } from '../slack/types.js';
import { checkLeaveFields, type LeaveField, type LeaveFields } from './leave-args.js';
import { approverMessage, mention, requestSummary, whenText, workingDays } from './leave-view.js';
import { todayIn } from './parse.js';
import { bestEffort, teamCalendar, type Actor, type TeamCalendar } from './services.js';

/** Who decides a person's requests, and why them. */
export interface Deciders {
  readonly userIds: readonly string[];
  /** `approvers` (settings), `admins` (no other approver), or `self` (no one else could). */
  readonly via: 'approvers' | 'admins' | 'self';
}

/**
 * Who decides `requesterId`'s leave: the workspace's approvers other than the
 * requester; without any, the workspace admins and owners other than the
 * requester; when there is no one else at all, the requester alone.
 */
export async function decidersOf(actor: Actor, requesterId: string, calendar: TeamCalendar): Promise<Deciders> {
  const approvers = calendar.settings.approvers.filter((id) => id !== requesterId);
  if (approvers.length > 0) return { userIds: approvers, via: 'approvers' };
  const admins = (await actor.services.people.admins(actor.teamId, actor.slack)).map((p) => p.userId).filter((id) => id !== requesterId);
  return admins.length > 0 ? { userIds: admins, via: 'admins' } : { userIds: [requesterId], via: 'self' };
}

/** Opens the bot's DM with `userId` and posts there; resolves to where it went. */
export async function sendDm(actor: Actor, userId: string, reply: Reply): Promise<{ channel: string; ts: string }> {
  const opened = await actor.slack.call<{ channel?: { id?: string } }>('conversations.open', { users: userId });
  const channel = opened.channel?.id;
  if (!channel) throw new Error('conversations.open answered no channel');
  const posted = await actor.slack.call<{ ts?: string; channel?: string }>('chat.postMessage', {
    channel, text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}),
  });
  return { channel: posted.channel ?? channel, ts: posted.ts ?? '' };
}

async function daysOf(actor: Actor, request: LeaveRecord, calendar: TeamCalendar): Promise<number> {
  const holidays = await actor.services.settings.holidays(actor.teamId, { from: request.from, to: request.to });
  return workingDays(request, calendar.settings.workdays, new Set(holidays.map((h) => h.day)));
}

export type SubmitOutcome =
  | { readonly kind: 'created'; readonly request: LeaveRecord; readonly deciders: Deciders; readonly days: number; readonly unreachable: readonly string[] }
  | { readonly kind: 'overlap'; readonly existing: LeaveRecord }
  | { readonly kind: 'invalid'; readonly field: LeaveField; readonly problem: string };

/**
 * Stores a request (after the date checks and the overlap check) and tells
 * the deciders (a DM with Approve / Reject buttons each) and, unless the
 * answer already goes to their DM, the requester. A DM that fails is logged
 * with a reference (`unreachable` lists them) and blocks nothing.
 */
export async function submitLeave(actor: Actor, fields: LeaveFields, options: { readonly isAnsweredInDm: boolean }): Promise<SubmitOutcome> {
  const calendar = await teamCalendar(actor);
  const invalid = checkLeaveFields(fields, calendar.today);
  if (invalid) return { kind: 'invalid', field: invalid.field, problem: invalid.problem };
  if (!calendar.settings.leaveTypes.includes(fields.type)) {
    return { kind: 'invalid', field: 'type', problem: `\`${fields.type}\` is not a leave type here (${calendar.settings.leaveTypes.join(', ')}).` };
  }
  const created = await actor.services.leave.create({ teamId: actor.teamId, userId: actor.userId, ...fields, at: actor.services.now() });
  if (created.kind === 'overlap') return { kind: 'overlap', existing: created.existing };
  const request = created.request;
  const deciders = await decidersOf(actor, request.userId, calendar);
  const today = todayIn(calendar.today);
  const days = await daysOf(actor, request, calendar);
  const note = approverMessage(request, today, days, calendar.today.timeZone);
  const unreachable: string[] = [];
  for (const approverId of deciders.userIds) {
    const ref = await bestEffort(actor, 'DM an approver', async () => {
      const { channel, ts } = await sendDm(actor, approverId, note);
      await actor.services.leave.recordApproverMessage(actor.teamId, request.number, { approverId, channelId: channel, ts });
    }, { userId: approverId, leave: request.number });
    if (ref) unreachable.push(`${mention(approverId)} (ref ${ref})`);
  }
  if (!options.isAnsweredInDm) {
    const text = `${submittedText(request, today, days, deciders)}`;
    await bestEffort(actor, 'DM the requester', () => sendDm(actor, request.userId, { text }), { userId: request.userId, leave: request.number });
  }
  return { kind: 'created', request, deciders, days, unreachable };
}

/** `Leave request #3 (vacation, …) sent to @b and @c for approval. …` */
export function submittedText(request: LeaveRecord, today: string, days: number, deciders: Deciders): string {
  const who = deciders.via === 'self'
    ? 'No one else can approve it here, so it waits for you: `leave approve ' + request.number + '` (an admin can set approvers with `settings approvers`).'
    : `Sent to ${deciders.userIds.map(mention).join(', ')} for approval${deciders.via === 'admins' ? ' (workspace admins: no approvers are set)' : ''}.`;
  return `Leave request #${request.number}: ${requestSummary(request, today, days)}. ${who} Withdraw it with \`leave cancel ${request.number}\`.`;
}

export type DecideOutcome =
  | { readonly kind: 'missing'; readonly number: number }
  | { readonly kind: 'refused'; readonly request: LeaveRecord; readonly deciders: Deciders }
  | { readonly kind: 'already'; readonly request: LeaveRecord; readonly timeZone: string }
  | { readonly kind: 'decided'; readonly request: LeaveRecord };

/**
 * An approver's decision (command or button): only the request's deciders may
 * make it, and only on a pending request (a second decision is refused,
 * naming the first). Then every approver's message is updated, the requester
 * is told, and today's summary follows.
 */
export async function decideLeave(actor: Actor, number: number, status: 'approved' | 'rejected', note: string | null): Promise<DecideOutcome> {
  const request = await actor.services.leave.get(actor.teamId, number);
  if (!request) return { kind: 'missing', number };
  const calendar = await teamCalendar(actor);
  const deciders = await decidersOf(actor, request.userId, calendar);
  if (!deciders.userIds.includes(actor.userId)) return { kind: 'refused', request, deciders };
  const result = await actor.services.leave.decide(actor.teamId, number, { status, by: actor.userId, at: actor.services.now(), note });
  if (result.kind === 'missing') return { kind: 'missing', number };
  if (result.kind === 'unchanged') return { kind: 'already', request: result.request, timeZone: calendar.today.timeZone };
  await afterChange(actor, result.request, calendar);
  const today = todayIn(calendar.today);
  const why = status === 'rejected' && note ? `: "${defuse(note)}"` : '';
  const text = `Your leave #${number} (${requestSummary(result.request, today, await daysOf(actor, result.request, calendar))}) was ${status} by ${mention(actor.userId)}${why}.`;
  await bestEffort(actor, 'DM the requester', () => sendDm(actor, result.request.userId, { text }), { userId: result.request.userId, leave: number });
  return { kind: 'decided', request: result.request };
}

/** Why a decision could not be made, in words (command replies and ephemeral refusals alike). */
export function refusalText(outcome: Exclude<DecideOutcome, { kind: 'decided' }>, userId: string): string {
  if (outcome.kind === 'missing') return `There is no leave request #${outcome.number}. See them with \`leave list all\`.`;
  if (outcome.kind === 'already') return alreadyText(outcome.request, outcome.timeZone);
  const names = outcome.deciders.userIds.map(mention).join(' or ');
  if (outcome.request.userId === userId) return `You can't decide your own leave #${outcome.request.number}; it is for ${names}.`;
  return `Sorry, only ${names} can decide leave #${outcome.request.number}.`;
}

/** `Leave #3 was already approved by @b on Fri 16 May at 14:05.` */
export function alreadyText(request: LeaveRecord, timeZone: string): string {
  if (request.status === 'cancelled') return `Leave #${request.number} was cancelled by ${mention(request.userId)}; there is nothing to decide.`;
  const when = request.decidedAt ? ` ${whenText(request.decidedAt, timeZone)}` : '';
  return `Leave #${request.number} was already ${request.status} by ${mention(request.decidedBy ?? '')}${when}.`;
}

export type CancelOutcome =
  | { readonly kind: 'missing'; readonly number: number }
  | { readonly kind: 'not_yours'; readonly request: LeaveRecord }
  | { readonly kind: 'not_cancellable'; readonly request: LeaveRecord }
  | { readonly kind: 'cancelled'; readonly request: LeaveRecord };

/** The requester withdraws a pending request, or approved leave that is not over; the approvers' messages follow. */
export async function cancelLeave(actor: Actor, number: number): Promise<CancelOutcome> {
  const request = await actor.services.leave.get(actor.teamId, number);
  if (!request) return { kind: 'missing', number };
  if (request.userId !== actor.userId) return { kind: 'not_yours', request };
  const calendar = await teamCalendar(actor);
  const result = await actor.services.leave.cancel(actor.teamId, number, { by: actor.userId, at: actor.services.now(), today: todayIn(calendar.today) });
  if (result.kind === 'missing') return { kind: 'missing', number };
  if (result.kind === 'unchanged') return { kind: 'not_cancellable', request: result.request };
  await afterChange(actor, result.request, calendar);
  return { kind: 'cancelled', request: result.request };
}

/** Updates every approver's message about the request (no buttons left) and today's summary. Failures are logged, never thrown. */
async function afterChange(actor: Actor, request: LeaveRecord, calendar: TeamCalendar): Promise<void> {
  const today = todayIn(calendar.today);
  const updated = approverMessage(request, today, await daysOf(actor, request, calendar), calendar.today.timeZone, actor.services.now());
  for (const message of await actor.services.leave.approverMessages(actor.teamId, request.number)) {
    await bestEffort(actor, 'update an approver\'s message', () => actor.slack.call('chat.update', {
      channel: message.channelId, ts: message.ts, text: updated.text, blocks: updated.blocks ?? [],
    }), { userId: message.approverId, leave: request.number });
  }
  await actor.services.summary.leaveChanged(actor.teamId, request, actor.slack);
}
