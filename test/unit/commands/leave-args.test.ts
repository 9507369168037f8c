import { describe, expect, it } from '@jest/globals';
import { parseLeaveArgs } from '../../../src/commands/leave-args.js';
import { fieldsFromSubmission } from '../../../src/commands/leave-form.js';
import { workingDays } from '../../../src/commands/leave-view.js';
import { canonicalTimeZone, parseChannel, parseLeaveTypes, parseWorkdays } from '../../../src/commands/settings-args.js';
import { tokenize } from '../../../src/commands/tokenize.js';
import type { LeaveRecord } from '../../../src/db/leave-repository.js';
import { summaryDue } from '../../../src/jobs/summary-schedule.js';
import { groupOut } from '../../../src/jobs/who-is-out.js';

// Wednesday 14 May 2025 in Paris.
const TODAY = { now: new Date('2025-05-14T10:00:00Z'), timeZone: 'Europe/Paris' };
const TYPES = ['vacation', 'sick', 'personal'];
const read = (text: string) => parseLeaveArgs(tokenize(text), TODAY, TYPES);

describe('leave arguments', () => {
  it.each([
    ['tomorrow', { from: '2025-05-15', to: '2025-05-15', halfDay: null, type: 'vacation', reason: null }],
    ['2025-06-02 to 2025-06-06', { from: '2025-06-02', to: '2025-06-06', halfDay: null, type: 'vacation', reason: null }],
    ['02/06 until 06/06 sick', { from: '2025-06-02', to: '2025-06-06', type: 'sick', reason: null }],
    ['mon - fri vacation Family trip', { from: '2025-05-19', to: '2025-05-23', type: 'vacation', reason: 'Family trip' }],
    ['fri to mon', { from: '2025-05-16', to: '2025-05-19' }],
    ['fri to tue', { from: '2025-05-16', to: '2025-05-20' }],
    ['today half am', { from: '2025-05-14', halfDay: 'am', type: 'vacation' }],
    ['fri half-day PM Sick  Dentist   at 3', { from: '2025-05-16', halfDay: 'pm', type: 'sick', reason: 'Dentist at 3' }],
    ['fri pm personal', { from: '2025-05-16', halfDay: 'pm', type: 'personal', reason: null }],
    ['yesterday sick "Migraine, all day"', { from: '2025-05-13', type: 'sick', reason: 'Migraine, all day' }],
    ['tomorrow holiday in Rome', { type: 'vacation', reason: 'holiday in Rome' }],
    ['2025-04-14', { from: '2025-04-14' }],
  ])('reads `leave %s`', (text, expected) => {
    expect(read(text)).toMatchObject({ ok: true, ...expected });
  });

  it.each([
    ['', 'from', 'When does your leave start?'],
    ['someday', 'from', '`someday` is not a date.'],
    ['31/02', 'from', 'I can\'t read the date `31/02`.'],
    ['tomorrow to', 'to', '`to` needs a date after it.'],
    ['tomorrow to never', 'to', '`never` is not a date.'],
    ['2025-05-20 to 2025-05-18', 'to', 'Your leave ends (2025-05-18) before it starts (2025-05-20).'],
    ['2025-04-13', 'from', '2025-04-13 is more than 30 days ago'],
    ['2026-05-16', 'to', '2026-05-16 is more than a year ahead.'],
    ['mon to fri half am', 'half', 'A half day is a single day'],
    ['mon half', 'half', 'Say which half'],
    ['mon half noon', 'half', 'Say which half'],
    [`mon sick ${'x'.repeat(501)}`, 'reason', 'That reason is too long (501 characters; at most 500).'],
  ])('refuses `leave %s` on the %s field', (text, field, problem) => {
    const result = read(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.field).toBe(field);
      expect(result.problem).toContain(problem);
    }
  });

  it('takes the workspace\'s first leave type as the default', () => {
    expect(parseLeaveArgs(['tomorrow', 'Beach'], TODAY, ['pto', 'sick'])).toMatchObject({ ok: true, type: 'pto', reason: 'Beach' });
  });
});

describe('the leave form\'s submission', () => {
  const view = (values: Record<string, unknown>) => ({ state: { values } });
  it('reads typed state values and defaults the end to the start', () => {
    expect(fieldsFromSubmission(view({
      type: { value: { type: 'static_select', selected_option: { value: 'Sick' } } },
      from: { value: { type: 'datepicker', selected_date: '2025-05-20' } },
      to: { value: { type: 'datepicker', selected_date: null } },
      half: { value: { type: 'radio_buttons', selected_option: { value: 'am' } } },
      reason: { value: { type: 'plain_text_input', value: '  Flu ' } },
    }))).toEqual({ ok: true, fields: { type: 'sick', from: '2025-05-20', to: '2025-05-20', halfDay: 'am', reason: 'Flu' } });
  });
  it('names each missing field', () => {
    expect(fieldsFromSubmission(view({}))).toEqual({ ok: false, errors: { type: 'Pick a type of leave.', from: 'Pick the first day of your leave.' } });
  });
});

describe('settings values', () => {
  it('reads workdays as ranges (wrapping past Sunday) or lists', () => {
    expect(parseWorkdays(['mon-fri'])).toEqual([1, 2, 3, 4, 5]);
    expect(parseWorkdays(['sun-thu'])).toEqual([0, 1, 2, 3, 4]);
    expect(parseWorkdays(['fri-mon'])).toEqual([0, 1, 5, 6]);
    expect(parseWorkdays(['mon-sun'])).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(parseWorkdays(['Monday,', 'wed', 'friday'])).toEqual([1, 3, 5]);
    expect(parseWorkdays(['mon-funday'])).toBeUndefined();
    expect(parseWorkdays([])).toBeUndefined();
  });
  it('reads leave types, channels and time zones', () => {
    expect(parseLeaveTypes(['Vacation,', 'sick,parental-leave'])).toEqual(['vacation', 'sick', 'parental-leave']);
    expect(parseLeaveTypes(['sick,sick'])).toBeUndefined();
    expect(parseLeaveTypes(['fun!'])).toBeUndefined();
    expect(parseChannel('<#C0123ABCD|general>')).toBe('C0123ABCD');
    expect(parseChannel('<#C0123ABCD>')).toBe('C0123ABCD');
    expect(parseChannel('general')).toBeUndefined();
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('Etc/GMT+12')).toBe('Etc/GMT+12');
    expect(canonicalTimeZone('Mars/Olympus')).toBeUndefined();
  });
});

describe('working days and who is out', () => {
  const leave = (n: number, userId: string, from: string, to: string, halfDay: 'am' | 'pm' | null, status: LeaveRecord['status'] = 'approved'): LeaveRecord => ({
    teamId: 'T1', number: n, userId, from, to, halfDay, type: 'vacation', reason: null, status, decidedBy: null, decidedAt: null, decisionNote: null, createdAt: new Date(0),
  });
  it('counts workdays that are not holidays; a half day is half', () => {
    expect(workingDays(leave(1, 'U1', '2025-05-26', '2025-06-01', null), [1, 2, 3, 4, 5], new Set(['2025-05-29']))).toBe(4);
    expect(workingDays(leave(1, 'U1', '2025-05-16', '2025-05-16', 'am'), [1, 2, 3, 4, 5], new Set())).toBe(0.5);
    expect(workingDays(leave(1, 'U1', '2025-05-17', '2025-05-18', null), [1, 2, 3, 4, 5], new Set())).toBe(0);
  });
  it('groups approved leave covering the day, counting a person off both halves once', () => {
    const groups = groupOut('2025-05-15', [
      leave(1, 'U1', '2025-05-15', '2025-05-20', null), leave(2, 'U2', '2025-05-15', '2025-05-15', 'am'),
      leave(3, 'U2', '2025-05-15', '2025-05-15', 'pm'), leave(4, 'U3', '2025-05-15', '2025-05-15', null, 'pending'),
      leave(5, 'U4', '2025-05-16', '2025-05-16', null),
    ]);
    expect([groups.fullDay.map((r) => r.number), groups.morning.map((r) => r.number), groups.afternoon.map((r) => r.number), groups.people]).toEqual([[1], [2], [3], 2]);
  });
});

describe('when the summary is due', () => {
  const schedule = { isSummaryEnabled: true, summaryChannel: 'C1', summaryTime: '09:00', workdays: [1, 2, 3, 4, 5] };
  const at = (iso: string, zone = 'Europe/Paris', holidays: string[] = []) => summaryDue(new Date(iso), zone, schedule, new Set(holidays));
  it('is due from the summary time of a workday in the workspace\'s zone until midnight there', () => {
    expect(at('2025-05-14T06:59:59Z')).toEqual({ kind: 'not_due', day: '2025-05-14', reason: 'too_early' });
    expect(at('2025-05-14T07:00:00Z')).toEqual({ kind: 'due', day: '2025-05-14' });
    expect(at('2025-05-14T21:59:00Z')).toEqual({ kind: 'due', day: '2025-05-14' });
    expect(at('2025-05-14T22:00:00Z')).toEqual({ kind: 'not_due', day: '2025-05-15', reason: 'too_early' });
    expect(at('2025-05-14T00:00:00Z', 'Asia/Tokyo')).toEqual({ kind: 'due', day: '2025-05-14' });
    expect(at('2025-05-14T13:00:00Z', 'America/New_York')).toEqual({ kind: 'due', day: '2025-05-14' });
    expect(at('2025-05-14T12:59:00Z', 'America/New_York')).toMatchObject({ kind: 'not_due', reason: 'too_early' });
  });
  it('skips weekends, holidays, and summaries that are off or have no channel', () => {
    expect(at('2025-05-17T10:00:00Z')).toMatchObject({ kind: 'not_due', reason: 'not_a_workday' });
    expect(at('2025-05-14T10:00:00Z', 'Europe/Paris', ['2025-05-14'])).toMatchObject({ kind: 'not_due', reason: 'holiday' });
    expect(summaryDue(new Date('2025-05-14T10:00:00Z'), 'UTC', { ...schedule, isSummaryEnabled: false }, new Set())).toMatchObject({ reason: 'off' });
    expect(summaryDue(new Date('2025-05-14T10:00:00Z'), 'UTC', { ...schedule, summaryChannel: null }, new Set())).toMatchObject({ reason: 'no_channel' });
  });
  it('moves with daylight saving: 09:00 Paris is 08:00 UTC in winter and 07:00 UTC in summer', () => {
    const everyDay = { ...schedule, workdays: [0, 1, 2, 3, 4, 5, 6] };
    expect(summaryDue(new Date('2025-03-29T07:59:00Z'), 'Europe/Paris', everyDay, new Set()).kind).toBe('not_due');
    expect(summaryDue(new Date('2025-03-29T08:00:00Z'), 'Europe/Paris', everyDay, new Set()).kind).toBe('due');
    expect(summaryDue(new Date('2025-03-30T07:00:00Z'), 'Europe/Paris', everyDay, new Set()).kind).toBe('due');
    expect(summaryDue(new Date('2025-10-26T07:59:00Z'), 'Europe/Paris', everyDay, new Set()).kind).toBe('not_due');
    expect(summaryDue(new Date('2025-10-26T08:00:00Z'), 'Europe/Paris', everyDay, new Set()).kind).toBe('due');
  });
});
