/**
 * Pure calendar arithmetic on plain `YYYY-MM-DD` days (no time zone) and on
 * instants seen in an IANA time zone. Nothing here reads the clock; nothing
 * throws.
 */

/** Where a date is read from: the instant "now" and the workspace's IANA time zone. */
export interface Today {
  readonly now: Date;
  readonly timeZone: string;
}

/** Whether `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar day of `now` in `timeZone` (UTC when the zone is unknown). */
export function todayIn({ now, timeZone }: Today): string {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** `date` moved by `days` (may be negative). */
export function addDays(date: string, days: number): string {
  const utc = new Date(`${date}T00:00:00Z`);
  utc.setUTCDate(utc.getUTCDate() + days);
  return utc.toISOString().slice(0, 10);
}

/** Day of the week of `date`, 0 = Sunday. */
export function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** Days from `a` to `b` (positive when `b` is later). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** A human form of `date`, e.g. `Fri 16 May` (with the year when it is not `today`'s year). */
export function formatDate(date: string, today: string): string {
  const utc = new Date(`${date}T00:00:00Z`);
  const options: Intl.DateTimeFormatOptions = { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' };
  if (date.slice(0, 4) !== today.slice(0, 4)) options.year = 'numeric';
  return new Intl.DateTimeFormat('en-GB', options).format(utc).replace(/,/g, '');
}

/** The wall-clock time (`HH:MM`, 24-hour) of `now` in `timeZone` (UTC when the zone is unknown). */
export function timeIn({ now, timeZone }: Today): string {
  const zone = isValidTimeZone(timeZone) ? timeZone : 'UTC';
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const part = (type: string): string => parts.find((p) => p.type === type)?.value ?? '00';
  return `${part('hour')}:${part('minute')}`;
}
