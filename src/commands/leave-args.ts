import type { HalfDay, LeaveRecord } from '../db/leave-repository.js';
import { addDays, DATE_HELP, daysBetween, looksLikeDate, parseDate, weekdayNumber, type Today } from './parse.js';

/** The longest reason a request may have. */
export const MAX_REASON_CHARS = 500;
/** How far back leave may start (sick days are often entered afterwards). */
export const MAX_DAYS_BACK = 30;
/** How far ahead leave may end. */
export const MAX_DAYS_AHEAD = 366;

/** A leave request's fields, read from a command or a form. */
export type LeaveFields = Pick<LeaveRecord, 'from' | 'to' | 'halfDay' | 'type' | 'reason'>;

/** Which form field a problem belongs to (the modal shows it there). */
export type LeaveField = 'type' | 'from' | 'to' | 'half' | 'reason';

export type LeaveArgsResult =
  | ({ readonly ok: true } & LeaveFields)
  | { readonly ok: false; readonly field: LeaveField; readonly problem: string };

const TO_WORDS: ReadonlySet<string> = new Set(['to', 'until', 'till', 'through', '-', '–']);
const HALF_WORDS: ReadonlySet<string> = new Set(['half', 'half-day', 'halfday']);

/**
 * Reads `<from> [to <to>] [half am|pm] [<type>] [reason…]`: dates as every
 * command reads them (a bare weekday is the coming one), `until`/`-` work as
 * `to`, `am`/`pm` alone work as `half am`/`half pm`, the type is the next
 * word when it is one of `leaveTypes` (else `leaveTypes[0]`), and the rest is
 * the reason. Then checks the dates ({@link checkLeaveDates}). Pure.
 */
export function parseLeaveArgs(args: readonly string[], today: Today, leaveTypes: readonly string[]): LeaveArgsResult {
  const words = [...args];
  const fromWord = words.shift();
  if (fromWord === undefined) return { ok: false, field: 'from', problem: 'When does your leave start?' };
  const from = readDate(fromWord, today);
  if (!from.ok) return from;
  let to = from.date;
  if (words.length > 0 && TO_WORDS.has(words[0]!.toLowerCase())) {
    const toWord = words[1];
    if (toWord === undefined) return { ok: false, field: 'to', problem: `\`${words[0]}\` needs a date after it.` };
    const end = readDate(toWord, today, 'to', from.date);
    if (!end.ok) return end;
    to = end.date;
    words.splice(0, 2);
  }
  const half = readHalf(words);
  if (!half.ok) return half;
  const type = words.length > 0 && leaveTypes.includes(words[0]!.toLowerCase()) ? words.shift()!.toLowerCase() : leaveTypes[0] ?? 'vacation';
  const reason = words.join(' ').replace(/\s+/g, ' ').trim();
  const fields: LeaveFields = { from: from.date, to, halfDay: half.halfDay, type, reason: reason === '' ? null : reason };
  const problem = checkLeaveFields(fields, today);
  return problem ?? { ok: true, ...fields };
}

/**
 * The checks every request passes, however it was made: from ≤ to, a half
 * day is one day, from at most 30 days back, to at most a year ahead, a reason
 * of at most 500 characters. Undefined when all hold. (Overlap with the
 * person's own leave is checked against the database.)
 */
export function checkLeaveFields(fields: LeaveFields, today: Today): { ok: false; field: LeaveField; problem: string } | undefined {
  const base = todayOf(today);
  if (fields.to < fields.from) return { ok: false, field: 'to', problem: `Your leave ends (${fields.to}) before it starts (${fields.from}).` };
  if (fields.halfDay !== null && fields.from !== fields.to) {
    return { ok: false, field: 'half', problem: 'A half day is a single day: ask for the half day and the other days separately.' };
  }
  if (fields.from < addDays(base, -MAX_DAYS_BACK)) {
    return { ok: false, field: 'from', problem: `${fields.from} is more than ${MAX_DAYS_BACK} days ago; ask an approver to record older leave.` };
  }
  if (fields.to > addDays(base, MAX_DAYS_AHEAD)) return { ok: false, field: 'to', problem: `${fields.to} is more than a year ahead.` };
  if ((fields.reason ?? '').length > MAX_REASON_CHARS) {
    return { ok: false, field: 'reason', problem: `That reason is too long (${fields.reason!.length} characters; at most ${MAX_REASON_CHARS}).` };
  }
  return undefined;
}

function todayOf(today: Today): string {
  return parseDate('today', today)!;
}

type DateRead = { ok: true; date: string } | { ok: false; field: LeaveField; problem: string };

/** A start or end date; a bare weekday for the end is the first one on or after the start. */
function readDate(word: string, today: Today, field: 'from' | 'to' = 'from', after?: string): DateRead {
  let date = parseDate(word, today, 'future');
  if (date !== undefined && after !== undefined && date < after && weekdayNumber(word) !== undefined) {
    // "leave fri to mon": the Monday after that Friday.
    date = addDays(date, 7 * Math.ceil(daysBetween(date, after) / 7));
  }
  if (date !== undefined) return { ok: true, date };
  const problem = looksLikeDate(word) ? `I can't read the date \`${word}\`. ${DATE_HELP}` : `\`${word}\` is not a date. ${DATE_HELP}`;
  return { ok: false, field, problem };
}

/** `half am|pm` (also `half-day`), or `am` / `pm` alone; consumed from `words`. */
function readHalf(words: string[]): { ok: true; halfDay: HalfDay | null } | { ok: false; field: LeaveField; problem: string } {
  const first = words[0]?.toLowerCase();
  if (first === 'am' || first === 'pm') {
    words.shift();
    return { ok: true, halfDay: first };
  }
  if (first === undefined || !HALF_WORDS.has(first)) return { ok: true, halfDay: null };
  const which = words[1]?.toLowerCase();
  if (which !== 'am' && which !== 'pm') return { ok: false, field: 'half', problem: 'Say which half: `half am` (morning) or `half pm` (afternoon).' };
  words.splice(0, 2);
  return { ok: true, halfDay: which };
}
