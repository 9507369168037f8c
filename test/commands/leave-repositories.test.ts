import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/db/database.js';
import { LeaveRepository, type NewLeave } from '../../src/db/leave-repository.js';
import { SettingsRepository } from '../../src/db/settings-repository.js';
import { SummaryRepository } from '../../src/db/summary-repository.js';
import { UsersRepository } from '../../src/db/users-repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('leave, settings, summary and users repositories', () => {
  let testDb: TestDatabase;
  let db: Database;
  let leave: LeaveRepository;
  let settings: SettingsRepository;
  let summaries: SummaryRepository;
  let users: UsersRepository;
  const at = new Date('2025-05-12T09:00:00Z');

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    leave = new LeaveRepository(db.kysely);
    settings = new SettingsRepository(db.kysely);
    summaries = new SummaryRepository(db.kysely);
    users = new UsersRepository(db.kysely);
  });
  afterAll(async () => testDb?.drop());

  const request = (teamId: string, userId: string, from: string, to = from, halfDay: 'am' | 'pm' | null = null): NewLeave =>
    ({ teamId, userId, from, to, halfDay, type: 'vacation', reason: null, at });

  it('numbers requests per team, refuses overlaps without using a number, and lets two halves of a day coexist', async () => {
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => leave.create(request('TA', `U${i}`, '2025-06-02', '2025-06-06'))));
    expect(results.map((r) => (r.kind === 'created' ? r.request.number : 0)).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const overlapping = await Promise.all([leave.create(request('TA', 'U9', '2025-07-01', '2025-07-03')), leave.create(request('TA', 'U9', '2025-07-03'))]);
    expect(overlapping.map((r) => r.kind).sort()).toEqual(['created', 'overlap']);
    const am = await leave.create(request('TA', 'U8', '2025-07-10', '2025-07-10', 'am'));
    const pm = await leave.create(request('TA', 'U8', '2025-07-10', '2025-07-10', 'pm'));
    const again = await leave.create(request('TA', 'U8', '2025-07-10', '2025-07-10', 'pm'));
    const whole = await leave.create(request('TA', 'U8', '2025-07-09', '2025-07-11'));
    expect([am.kind, pm.kind, again.kind, whole.kind]).toEqual(['created', 'created', 'overlap', 'overlap']);
    expect(pm.kind === 'created' && pm.request.number).toBe(9);
    expect((await leave.create(request('TB', 'U1', '2025-06-02'))).kind === 'created').toBe(true);
    expect(await leave.get('TB', 1)).toMatchObject({ teamId: 'TB', from: '2025-06-02', to: '2025-06-02', status: 'pending', halfDay: null });
  });

  it('lets the first of two decisions win, keeps every change in the history, cancels only what is not over', async () => {
    const [first, second] = await Promise.all([
      leave.decide('TA', 1, { status: 'approved', by: 'UBOSS', at, note: null }),
      leave.decide('TA', 1, { status: 'rejected', by: 'UOTHER', at, note: 'no' }),
    ]);
    expect([first.kind, second.kind].sort()).toEqual(['changed', 'unchanged']);
    const decided = await leave.get('TA', 1);
    expect(decided?.status).toMatch(/approved|rejected/);
    expect(await leave.cancel('TA', 1, { by: 'U0', at, today: '2025-06-07' })).toMatchObject({ kind: 'unchanged' });
    expect(await leave.decide('TA', 99, { status: 'approved', by: 'UBOSS', at, note: null })).toEqual({ kind: 'missing' });
    await leave.decide('TA', 2, { status: 'approved', by: 'UBOSS', at, note: null });
    expect(await leave.cancel('TA', 2, { by: 'U1', at, today: '2025-06-06' })).toMatchObject({ kind: 'changed', request: { status: 'cancelled' } });
    expect((await leave.history('TA', 2)).map((h) => [h.status, h.actor])).toEqual([['pending', expect.any(String)], ['approved', 'UBOSS'], ['cancelled', 'U1']]);
    await leave.decide('TA', 3, { status: 'approved', by: 'UBOSS', at, note: null });
    expect((await leave.outOn('TA', '2025-06-04')).map((r) => r.number)).toEqual(decided?.status === 'approved' ? [1, 3] : [3]);
    expect(await leave.outOn('TB', '2025-06-04')).toEqual([]);
  });

  it('keeps settings with defaults, approvers and holidays per team', async () => {
    expect(await settings.get('TS')).toMatchObject({ summaryTime: '09:00', workdays: [1, 2, 3, 4, 5], approvers: [], summaryChannel: null });
    const changed = await settings.update('TS', { summaryChannel: 'C1', workdays: [6, 0, 1], approvers: ['U2', 'U1', 'U2'] }, 'UADMIN');
    expect(changed).toMatchObject({ summaryChannel: 'C1', workdays: [0, 1, 6], approvers: ['U1', 'U2'], leaveTypes: ['vacation', 'sick', 'personal'] });
    expect((await settings.summaryTeams()).map((s) => s.teamId)).toEqual(['TS']);
    expect(await settings.addHoliday('TS', { day: '2025-12-25', name: 'Christmas' }, 'UADMIN')).toBe(true);
    expect(await settings.addHoliday('TS', { day: '2025-12-25', name: 'Xmas' }, 'UADMIN')).toBe(false);
    expect(await settings.holidays('TS', { from: '2025-01-01', to: '2025-12-31' })).toEqual([{ day: '2025-12-25', name: 'Xmas' }]);
    expect(await settings.holidays('TT', { from: '2025-01-01', to: '2025-12-31' })).toEqual([]);
    expect(await settings.removeHoliday('TS', '2025-12-25')).toEqual({ day: '2025-12-25', name: 'Xmas' });
    expect(await settings.removeHoliday('TS', '2025-12-25')).toBeUndefined();
  });

  it('claims a summary once, and hands a stale unposted claim to the next instance', async () => {
    const claim = (instance: string, when: Date) => summaries.claim({
      teamId: 'TS', day: '2025-05-12', channelId: 'C1', instance, at: when, staleBefore: new Date(when.getTime() - 60_000),
    });
    const both = await Promise.all([claim('a', at), claim('b', at)]);
    expect(both.map((r) => r.kind).sort()).toEqual(['fresh', 'held']);
    const later = new Date(at.getTime() + 61_000);
    const taken = await claim('c', later);
    expect(taken).toMatchObject({ kind: 'taken_over', claim: { claimedBy: 'c' } });
    await summaries.recordPosted('TS', '2025-05-12', { ts: '1.000100', channelId: 'C1', at: later });
    expect(await claim('d', new Date(at.getTime() + 600_000))).toMatchObject({ kind: 'held', claim: { ts: '1.000100', claimedBy: 'c' } });
  });

  it('caches users and lists the active human admins', async () => {
    const base = { teamId: 'TU', realName: null, displayName: null, tz: 'Europe/Paris', isBot: false, isDeleted: false, fetchedAt: at };
    await users.put([
      { ...base, userId: 'U1', name: 'alice', isAdmin: false, isOwner: false },
      { ...base, userId: 'U2', name: 'boss', isAdmin: true, isOwner: false },
      { ...base, userId: 'U3', name: 'gone', isAdmin: true, isOwner: false, isDeleted: true },
      { ...base, userId: 'U4', name: 'owner', isAdmin: false, isOwner: true },
    ]);
    await users.put([{ ...base, userId: 'U1', name: 'alice2', isAdmin: true, isOwner: false }]);
    expect((await users.admins('TU')).map((u) => u.userId)).toEqual(['U1', 'U2', 'U4']);
    expect(await users.get('TU', 'U1')).toMatchObject({ name: 'alice2', tz: 'Europe/Paris' });
    expect(await users.getMany('TX', ['U1'])).toEqual([]);
  });
});
