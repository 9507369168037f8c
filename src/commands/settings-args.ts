import { isValidTimeZone, weekdayNumber } from './parse.js';

/**
 * Pure readers of `settings` values: workdays (`mon-fri`, `sun-thu`,
 * `mon,tue,thu`), leave types (`vacation,sick`), channel mentions and time
 * zones. Each resolves to the value or undefined.
 */

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** `mon-fri` (a range, wrapping past Sunday: `fri-mon`), `mon,tue,thu` or `mon tue`; days ascending from Sunday. */
export function parseWorkdays(words: readonly string[]): number[] | undefined {
  const days = new Set<number>();
  const parts = words.join(',').split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  if (parts.length === 0) return undefined;
  for (const part of parts) {
    const range = /^([a-z]+)\s*[-–]\s*([a-z]+)$/.exec(part);
    if (range) {
      const [start, end] = [weekdayNumber(range[1]!), weekdayNumber(range[2]!)];
      if (start === undefined || end === undefined) return undefined;
      for (let day = start; ; day = (day + 1) % 7) {
        days.add(day);
        if (day === end) break;
      }
      continue;
    }
    const day = weekdayNumber(part);
    if (day === undefined) return undefined;
    days.add(day);
  }
  return [...days].sort((a, b) => a - b);
}

/** `mon, tue, wed, thu, fri`. */
export function workdaysText(days: readonly number[]): string {
  return days.map((d) => DAY_NAMES[d]).join(', ');
}

/** `vacation,sick` or `vacation sick`: lower-case words (letters, digits, `-`), 1 to 20 of them, no repeats; the first is the default. */
export function parseLeaveTypes(words: readonly string[]): string[] | undefined {
  const types = words.join(',').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (types.length === 0 || types.length > 20) return undefined;
  if (!types.every((t) => /^[a-z][a-z0-9-]{0,39}$/.test(t))) return undefined;
  return new Set(types).size === types.length ? types : undefined;
}

/** The channel id of `<#C123>` / `<#C123|name>` (as Slack sends a channel mention) or a bare `C123`. */
export function parseChannel(text: string): string | undefined {
  const match = /^(?:<#([CG][A-Z0-9]+)(?:\|[^>]*)?>|([CG][A-Z0-9]{6,}))$/.exec(text.trim());
  return match?.[1] ?? match?.[2];
}

/** An IANA zone in its canonical spelling (`europe/paris` → `Europe/Paris`), or undefined. */
export function canonicalTimeZone(text: string): string | undefined {
  if (!isValidTimeZone(text) || !/^[A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*$|^UTC$/i.test(text)) return undefined;
  return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
}
