import { timeIn, todayIn, weekdayOf } from '../lib/calendar.js';

/** What decides whether a workspace's summary is due. */
export interface SummarySchedule {
  readonly isSummaryEnabled: boolean;
  readonly summaryChannel: string | null;
  /** `HH:MM` in `timeZone`. */
  readonly summaryTime: string;
  /** Days of the week, 0 = Sunday. */
  readonly workdays: readonly number[];
}

/** Why a summary is not due now. */
export type NotDueReason = 'off' | 'no_channel' | 'not_a_workday' | 'holiday' | 'too_early';

export type SummaryDue =
  | { readonly kind: 'due'; readonly day: string }
  | { readonly kind: 'not_due'; readonly day: string; readonly reason: NotDueReason };

/**
 * Whether the summary of the workspace's current day is due at `now`: on,
 * with a channel, on a workday that is not a holiday, once the wall clock in
 * `timeZone` reads the summary time or later (so a daemon that was down at
 * that minute still posts the same day; on a day whose clock jumps past the
 * summary time, the first minute after the jump counts). Whether it was
 * already posted is the claim's business, not this. Pure.
 */
export function summaryDue(now: Date, timeZone: string, schedule: SummarySchedule, holidays: ReadonlySet<string>): SummaryDue {
  const day = todayIn({ now, timeZone });
  if (!schedule.isSummaryEnabled) return { kind: 'not_due', day, reason: 'off' };
  if (schedule.summaryChannel === null) return { kind: 'not_due', day, reason: 'no_channel' };
  if (!schedule.workdays.includes(weekdayOf(day))) return { kind: 'not_due', day, reason: 'not_a_workday' };
  if (timeIn({ now, timeZone }) < schedule.summaryTime) return { kind: 'not_due', day, reason: 'too_early' };
  if (holidays.has(day)) return { kind: 'not_due', day, reason: 'holiday' };
  return { kind: 'due', day };
}
