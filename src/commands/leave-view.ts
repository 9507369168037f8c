import type { LeaveRecord } from '../db/leave-repository.js';
import { timeIn, type Today } from '../lib/calendar.js';
import type { Reply } from '../slack/types.js';
import { contextLine, defuse, message, section, sectionsOf, type Block } from './blocks.js';
import { addDays, formatDate, todayIn, weekdayOf } from './parse.js';

/** How people are named: display names in lists, mentions in notifications. */
export type NameOf = (userId: string) => string;
export const mention: NameOf = (userId) => `<@${userId}>`;

/** Button action ids (the dispatcher routes clicks by them). */
export const ACTION_APPROVE = 'leave_approve';
export const ACTION_REJECT = 'leave_reject';
export const ACTION_OPEN_FORM = 'leave_open_form';

/** `Fri 16 May`, `Fri 16 May (morning)`, `Mon 2 Jun – Fri 6 Jun`. */
export function spanText(request: Pick<LeaveRecord, 'from' | 'to' | 'halfDay'>, today: string): string {
  if (request.from !== request.to) return `${formatDate(request.from, today)} – ${formatDate(request.to, today)}`;
  const half = request.halfDay === 'am' ? ' (morning)' : request.halfDay === 'pm' ? ' (afternoon)' : '';
  return `${formatDate(request.from, today)}${half}`;
}

/** Why an overlapping request was refused. */
export function overlapText(existing: LeaveRecord, today: string): string {
  return `Those days overlap your leave #${existing.number} (${existing.type}, ${spanText(existing, today)}, ${existing.status}). `
    + `Pick other days, or withdraw it first with \`leave cancel ${existing.number}\`.`;
}

/** Working days in a request: workdays that are not holidays; a half day counts ½. */
export function workingDays(request: Pick<LeaveRecord, 'from' | 'to' | 'halfDay'>, workdays: readonly number[], holidays: ReadonlySet<string>): number {
  let count = 0;
  for (let day = request.from; day <= request.to; day = addDays(day, 1)) {
    if (workdays.includes(weekdayOf(day)) && !holidays.has(day)) count += 1;
  }
  return request.halfDay === null ? count : count / 2;
}

/** `5 working days`, `1 working day`, `half a working day`, `no working days`. */
export function workingDaysText(days: number): string {
  if (days === 0) return 'no working days';
  if (days === 0.5) return 'half a working day';
  return `${days} working day${days === 1 ? '' : 's'}`;
}

const STATUS_MARK: Readonly<Record<LeaveRecord['status'], string>> = {
  pending: ':hourglass_flowing_sand: pending', approved: ':white_check_mark: approved', rejected: ':x: rejected', cancelled: ':wastebasket: cancelled',
};

/** One request in a list: `#3 alice · Mon 2 Jun – Fri 6 Jun · vacation · approved` (+ reason when shown). */
export function requestLine(request: LeaveRecord, nameOf: NameOf, today: string, showReason: boolean, isMarkdown = false): string {
  const reason = showReason && request.reason ? [`"${defuse(request.reason)}"`] : [];
  const status = isMarkdown ? STATUS_MARK[request.status] : request.status;
  const number = isMarkdown ? `*#${request.number}*` : `#${request.number}`;
  return [`${number} ${nameOf(request.userId)}`, spanText(request, today), request.type, status, ...reason].join(isMarkdown ? '  ·  ' : ' · ');
}

/** A list of requests under a title, with "showing N of M" when cut, or `empty`. */
export function requestListReply(title: string, list: { requests: readonly LeaveRecord[]; total: number }, nameOf: NameOf,
  today: string, mayReadReason: (r: LeaveRecord) => boolean, empty: string): Reply {
  if (list.requests.length === 0) return { text: empty, blocks: [section(empty)] };
  const heading = `${title} (${list.total})`;
  const more = list.total > list.requests.length ? `Showing ${list.requests.length} of ${list.total}.` : '';
  const plain = [`${heading}:`, ...list.requests.map((r) => requestLine(r, nameOf, today, mayReadReason(r))), ...(more ? [more] : [])];
  return message(plain.join('\n'), [
    section(`*${heading}*`),
    ...sectionsOf(list.requests.map((r) => requestLine(r, nameOf, today, mayReadReason(r), true))),
    contextLine(more || 'Approvers: `leave approve <n>` or `leave reject <n> [reason]`. Your own: `leave cancel <n>`.'),
  ]);
}

/** What a request is: `vacation, Mon 2 Jun – Fri 6 Jun (5 working days)`. */
export function requestSummary(request: LeaveRecord, today: string, days: number): string {
  return `${request.type}, ${spanText(request, today)} (${workingDaysText(days)})`;
}

/** `on Fri 16 May at 14:05` in the workspace's time zone. */
export function whenText(at: Date, timeZone: string): string {
  const zoned: Today = { now: at, timeZone };
  const day = todayIn(zoned);
  return `on ${formatDate(day, day)} at ${timeIn(zoned)}`;
}

/** The outcome line of a decided or cancelled request, for the approvers' messages. */
export function outcomeLine(request: LeaveRecord, timeZone: string): string {
  const at = request.decidedAt ?? new Date();
  if (request.status === 'approved') return `:white_check_mark: Approved by ${mention(request.decidedBy ?? '')} ${whenText(at, timeZone)}`;
  if (request.status === 'rejected') {
    const why = request.decisionNote ? `: "${defuse(request.decisionNote)}"` : '';
    return `:x: Rejected by ${mention(request.decidedBy ?? '')} ${whenText(at, timeZone)}${why}`;
  }
  if (request.status === 'cancelled') return `:wastebasket: Cancelled by ${mention(request.userId)}`;
  return ':hourglass_flowing_sand: Waiting for a decision';
}

/**
 * The DM an approver gets: who, what, when, why, and Approve / Reject buttons
 * while pending; once decided (or cancelled) the same message names the
 * outcome and has no buttons.
 */
export function approverMessage(request: LeaveRecord, today: string, days: number, timeZone: string, cancelledAt?: Date): Reply {
  const what = `${mention(request.userId)} asks for leave #${request.number}: ${requestSummary(request, today, days)}`;
  const reason = request.reason ? `\n>${defuse(request.reason)}` : '';
  const outcome = request.status === 'cancelled' && cancelledAt ? `${outcomeLine(request, timeZone)} ${whenText(cancelledAt, timeZone)}` : outcomeLine(request, timeZone);
  const blocks: Block[] = [section(`${what}${reason}`)];
  if (request.status === 'pending') {
    blocks.push({
      type: 'actions', block_id: `leave_decide_${request.number}`,
      elements: [
        { type: 'button', action_id: ACTION_APPROVE, value: String(request.number), style: 'primary', text: { type: 'plain_text', text: 'Approve' } },
        { type: 'button', action_id: ACTION_REJECT, value: String(request.number), style: 'danger', text: { type: 'plain_text', text: 'Reject' } },
      ],
    });
    blocks.push(contextLine(`Or type \`leave approve ${request.number}\` / \`leave reject ${request.number} [reason]\`.`));
  } else {
    blocks.push(contextLine(outcome));
  }
  const fallback = request.status === 'pending' ? `${what}. Approve or reject it.` : `${what}. ${outcome.replace(/^:[a-z_]+: /, '')}.`;
  return message(fallback, blocks);
}

/** The message with an "Apply for leave" button (`leave` with no arguments, by mention or DM). */
export function applyButtonReply(): Reply {
  const text = 'Apply for leave with the form, or type `leave <from> [to <to>] [half am|pm] [<type>] [reason…]` (e.g. `leave fri to tue vacation Family trip`).';
  return message(text, [
    section(text),
    { type: 'actions', block_id: 'leave_apply', elements: [
      { type: 'button', action_id: ACTION_OPEN_FORM, style: 'primary', text: { type: 'plain_text', text: 'Apply for leave' } },
    ] },
  ]);
}
