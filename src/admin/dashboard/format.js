// @ts-check
/** Formatting for people: durations, ages, counts, clock times. Pure functions. */

const numberFormat = new Intl.NumberFormat('en');
const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** @param {number} n */
export function count(n) {
  return numberFormat.format(n);
}

/** A duration in ms as its two largest units: "45 s", "3 m 12 s", "2 h 5 m", "4 d 1 h". @param {number} ms */
export function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "5 s ago" for an ISO time, "never" for null. @param {string | null} iso @param {number} now */
export function ago(iso, now) {
  if (iso === null) return 'never';
  return `${duration(now - Date.parse(iso))} ago`;
}

/** "12:03:04" (local time). @param {string | number | Date} time */
export function clock(time) {
  return timeFormat.format(new Date(time));
}

/** "30 Nov 2026, 12:03:04" (local time), for titles. @param {string | null} iso */
export function fullTime(iso) {
  return iso === null ? '' : dateTimeFormat.format(new Date(iso));
}

/** A rate with one decimal under 10: "0.4", "12". @param {number} perSecond */
export function rate(perSecond) {
  return perSecond < 10 ? perSecond.toFixed(1) : count(Math.round(perSecond));
}
