/**
 * Pure parsers for command arguments: calendar dates relative to an injected
 * "now" in a time zone, times of day, Slack user mentions and task numbers.
 * Nothing here reads the clock or the environment; nothing throws.
 *
 * Dates are plain `YYYY-MM-DD` strings (a calendar day, no time zone).
 */

import { addDays, daysBetween, todayIn, weekdayOf, type Today } from '../lib/calendar.js';

export { addDays, daysBetween, formatDate, isValidTimeZone, todayIn, weekdayOf, type Today } from '../lib/calendar.js';

/** One line on the date forms every command accepts (for replies). */
export const DATE_HELP = 'Dates: `today`, `tomorrow`, `yesterday`, a weekday (`fri`), `2025-05-16`, or `16/05`.';

/** Which way a bare weekday points: `friday` is the coming one for a due date, the last one for a report. */
export type DateDirection = 'future' | 'past';

const WEEKDAYS: Readonly<Record<string, number>> = {
  sun: 0, sunday: 0, mon: 1, monday: 1, tue: 2, tues: 2, tuesday: 2, wed: 3, weds: 3, wednesday: 3,
  thu: 4, thur: 4, thurs: 4, thursday: 4, fri: 5, friday: 5, sat: 6, saturday: 6,
};

/** The day of the week a weekday name means (0 = Sunday), or undefined when it is not one (`mon`, `monday`, …). */
export function weekdayNumber(word: string): number | undefined {
  return WEEKDAYS[word.trim().toLowerCase()];
}

/**
 * Reads `today`, `tomorrow`, `yesterday`, a weekday name (full or short; the
 * coming one for `future`, the last one for `past`, today when it is that
 * day), `YYYY-MM-DD`, `DD/MM/YYYY` or `DD/MM` (the year that puts it nearest to
 * today). Resolves to `YYYY-MM-DD`, or undefined when it is not a valid date.
 */
export function parseDate(text: string, today: Today, direction: DateDirection = 'future'): string | undefined {
  const word = text.trim().toLowerCase();
  const base = todayIn(today);
  if (word === 'today') return base;
  if (word === 'tomorrow') return addDays(base, 1);
  if (word === 'yesterday') return addDays(base, -1);
  const weekday = WEEKDAYS[word];
  if (weekday !== undefined) {
    const ahead = (weekday - weekdayOf(base) + 7) % 7;
    return addDays(base, direction === 'future' ? ahead : -((7 - ahead) % 7));
  }
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(word);
  if (iso) return calendarDate(Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const dayMonth = /^(\d{1,2})\/(\d{1,2})(?:\/(\d{4}))?$/.exec(word);
  if (!dayMonth) return undefined;
  const [day, month] = [Number(dayMonth[1]), Number(dayMonth[2])];
  if (dayMonth[3] !== undefined) return calendarDate(Number(dayMonth[3]), month, day);
  return nearestYear(base, month, day);
}

/** Whether a word looks like an attempt at a date (digits and separators, or a date word). */
export function looksLikeDate(text: string): boolean {
  const word = text.trim().toLowerCase();
  return (/^[\d/.-]+$/.test(word) && /\d/.test(word)) || word in WEEKDAYS || ['today', 'tomorrow', 'yesterday'].includes(word);
}

function calendarDate(year: number, month: number, day: number): string | undefined {
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  const utc = new Date(Date.UTC(year, month - 1, day));
  if (utc.getUTCMonth() !== month - 1) return undefined; // 31/02 rolled over
  return utc.toISOString().slice(0, 10);
}

function nearestYear(base: string, month: number, day: number): string | undefined {
  const year = Number(base.slice(0, 4));
  const candidates = [year - 1, year, year + 1]
    .map((y) => calendarDate(y, month, day))
    .filter((date): date is string => date !== undefined);
  if (candidates.length === 0) return undefined;
  return candidates.reduce((best, date) => (Math.abs(daysBetween(base, date)) < Math.abs(daysBetween(base, best)) ? date : best));
}

/** `HH:MM` or `H:MM` (24-hour, also `9.30`) → `HH:MM`, or undefined. */
export function parseTime(text: string): string | undefined {
  const match = /^(\d{1,2})[:.](\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  if (hours > 23 || minutes > 59) return undefined;
  return `${String(hours).padStart(2, '0')}:${match[2]}`;
}

/** The user id of a Slack mention (`<@U123>` or `<@U123|name>`), or undefined. */
export function parseUserMention(text: string): string | undefined {
  return /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(text.trim())?.[1];
}

/** A task number (`3` or `#3`), or undefined. */
export function parseTaskNumber(text: string | undefined): number | undefined {
  const match = /^#?(\d{1,9})$/.exec(text?.trim() ?? '');
  const number = match ? Number(match[1]) : 0;
  return number > 0 ? number : undefined;
}
