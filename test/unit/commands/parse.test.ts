import { describe, expect, it } from '@jest/globals';
import {
  addDays, formatDate, looksLikeDate, parseDate, parseTaskNumber, parseTime, parseUserMention, todayIn, type Today,
} from '../../../src/commands/parse.js';

// Wednesday 14 May 2025, 23:30 UTC: already Thursday in Auckland, still Wednesday afternoon in Los Angeles.
const now = new Date('2025-05-14T23:30:00Z');
const utc: Today = { now, timeZone: 'UTC' };
const auckland: Today = { now, timeZone: 'Pacific/Auckland' };
const losAngeles: Today = { now, timeZone: 'America/Los_Angeles' };

describe('todayIn', () => {
  it('is the calendar day in the workspace time zone', () => {
    expect(todayIn(utc)).toBe('2025-05-14');
    expect(todayIn(auckland)).toBe('2025-05-15');
    expect(todayIn(losAngeles)).toBe('2025-05-14');
  });

  it('falls back to UTC for an unknown zone', () => {
    expect(todayIn({ now, timeZone: 'Mars/Olympus' })).toBe('2025-05-14');
  });
});

describe('parseDate', () => {
  it('reads today, tomorrow and yesterday in the zone', () => {
    expect(parseDate('today', auckland)).toBe('2025-05-15');
    expect(parseDate('Tomorrow', utc)).toBe('2025-05-15');
    expect(parseDate('yesterday', auckland)).toBe('2025-05-14');
  });

  it('reads weekdays forward for due dates and backward for reports', () => {
    expect(parseDate('fri', utc, 'future')).toBe('2025-05-16');
    expect(parseDate('friday', utc, 'past')).toBe('2025-05-09');
    expect(parseDate('monday', utc, 'future')).toBe('2025-05-19');
    expect(parseDate('mon', utc, 'past')).toBe('2025-05-12');
    expect(parseDate('wednesday', utc, 'future')).toBe('2025-05-14');
    expect(parseDate('wed', utc, 'past')).toBe('2025-05-14');
    expect(parseDate('thursday', auckland, 'future')).toBe('2025-05-15');
  });

  it('reads ISO dates and rejects impossible ones', () => {
    expect(parseDate('2025-12-01', utc)).toBe('2025-12-01');
    expect(parseDate('2024-02-29', utc)).toBe('2024-02-29');
    expect(parseDate('2025-02-29', utc)).toBeUndefined();
    expect(parseDate('2025-13-01', utc)).toBeUndefined();
  });

  it('reads DD/MM in the year nearest today, and DD/MM/YYYY', () => {
    expect(parseDate('16/05', utc)).toBe('2025-05-16');
    expect(parseDate('1/6', utc)).toBe('2025-06-01');
    expect(parseDate('05/01', { now: new Date('2025-12-20T12:00:00Z'), timeZone: 'UTC' })).toBe('2026-01-05');
    expect(parseDate('20/12', { now: new Date('2026-01-03T12:00:00Z'), timeZone: 'UTC' })).toBe('2025-12-20');
    expect(parseDate('31/12/2026', utc)).toBe('2026-12-31');
    expect(parseDate('31/02', utc)).toBeUndefined();
    expect(parseDate('29/02', utc)).toBe('2024-02-29');
  });

  it('rejects words that are not dates', () => {
    for (const word of ['soon', 'next', '', '12', 'funday', '2025/05/16']) expect(parseDate(word, utc)).toBeUndefined();
  });
});

describe('looksLikeDate', () => {
  it('tells date attempts from ordinary words', () => {
    expect(looksLikeDate('32/13')).toBe(true);
    expect(looksLikeDate('fri')).toBe(true);
    expect(looksLikeDate('today')).toBe(true);
    expect(looksLikeDate('date')).toBe(false);
    expect(looksLikeDate('display')).toBe(false);
  });
});

describe('date helpers', () => {
  it('adds days across months and formats', () => {
    expect(addDays('2025-02-28', 1)).toBe('2025-03-01');
    expect(addDays('2025-01-01', -1)).toBe('2024-12-31');
    expect(formatDate('2025-05-16', '2025-05-14')).toBe('Fri 16 May');
    expect(formatDate('2026-01-05', '2025-12-20')).toBe('Mon 5 Jan 2026');
  });
});

describe('parseTime', () => {
  it('reads 24-hour times', () => {
    expect(parseTime('09:30')).toBe('09:30');
    expect(parseTime('9:05')).toBe('09:05');
    expect(parseTime('14.00')).toBe('14:00');
    expect(parseTime('23:59')).toBe('23:59');
  });

  it('rejects what is not a time', () => {
    for (const text of ['24:00', '12:60', '9', '9:5', 'noon', '12:00pm']) expect(parseTime(text)).toBeUndefined();
  });
});

describe('parseUserMention', () => {
  it("reads Slack's mention forms", () => {
    expect(parseUserMention('<@U123ABC>')).toBe('U123ABC');
    expect(parseUserMention('<@W0PQ9|bob>')).toBe('W0PQ9');
  });

  it('rejects plain names, channels and specials', () => {
    for (const text of ['@bob', 'U123', '<#C123>', '<!here>', '<@U123', '<@u123>']) expect(parseUserMention(text)).toBeUndefined();
  });
});

describe('parseTaskNumber', () => {
  it('reads 3 and #3, nothing else', () => {
    expect(parseTaskNumber('3')).toBe(3);
    expect(parseTaskNumber('#12')).toBe(12);
    for (const text of ['0', '-1', 'three', '3a', '', undefined]) expect(parseTaskNumber(text)).toBeUndefined();
  });
});
