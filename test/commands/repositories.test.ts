import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Database } from '../../src/db/database.js';
import { PlanRepository } from '../../src/db/plans-repository.js';
import { TaskRepository } from '../../src/db/tasks-repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

describe('task and plan repositories', () => {
  let testDb: TestDatabase;
  let db: Database;
  let tasks: TaskRepository;
  let plans: PlanRepository;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = await testDb.open();
    tasks = new TaskRepository(db.kysely);
    plans = new PlanRepository(db.kysely);
  });
  afterAll(async () => testDb?.drop());

  const newTask = (teamId: string, title: string) => ({ teamId, title, createdBy: 'U1', assignee: null, dueOn: null });

  it('gives concurrent adds distinct, gap-free numbers per team', async () => {
    const added = await Promise.all(Array.from({ length: 20 }, (_, i) => tasks.add(newTask(i % 2 ? 'TA' : 'TB', `t${i}`))));
    for (const teamId of ['TA', 'TB']) {
      const numbers = added.filter((t) => t.teamId === teamId).map((t) => t.number).sort((a, b) => a - b);
      expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });

  it('keeps dates as calendar days and never reuses a deleted number', async () => {
    const task = await tasks.add({ ...newTask('TC', 'dated'), dueOn: '2025-03-30' });
    expect(task).toMatchObject({ number: 1, dueOn: '2025-03-30', doneAt: null });
    expect(await tasks.delete('TC', 1)).toBe(true);
    expect(await tasks.delete('TC', 1)).toBe(false);
    expect((await tasks.add(newTask('TC', 'next'))).number).toBe(2);
    expect(await tasks.get('TA', 2)).toMatchObject({ teamId: 'TA' });
    expect(await tasks.update('TC', 1, { title: 'gone' })).toBeUndefined();
  });

  it('lists open tasks by due date and counts beyond the limit', async () => {
    await tasks.add({ ...newTask('TD', 'late'), dueOn: '2030-01-02' });
    await tasks.add({ ...newTask('TD', 'soon'), dueOn: '2030-01-01' });
    await tasks.add(newTask('TD', 'undated'));
    expect((await tasks.list('TD', { status: 'open' })).tasks.map((t) => t.title)).toEqual(['soon', 'late', 'undated']);
    expect(await tasks.list('TD', { status: 'open', limit: 1 })).toMatchObject({ total: 3, tasks: [{ title: 'soon' }] });
    await tasks.update('TD', 2, { done: { by: 'U9' } });
    expect((await tasks.list('TD', { status: 'done' })).tasks).toMatchObject([{ number: 2, doneBy: 'U9' }]);
  });

  it('reads plan entries of one day and team, meetings by time', async () => {
    const entry = { teamId: 'TE', userId: 'U1', day: '2025-03-30', channelId: null };
    await plans.add([
      { ...entry, kind: 'meeting', text: 'late', time: '16:00' },
      { ...entry, kind: 'meeting', text: 'early', time: '08:05' },
      { ...entry, kind: 'plan', text: 'work', time: null },
      { ...entry, day: '2025-03-31', kind: 'plan', text: 'tomorrow', time: null },
      { ...entry, teamId: 'TF', kind: 'plan', text: 'other team', time: null },
    ]);
    const day = await plans.forDay('TE', '2025-03-30');
    expect(day.map((e) => [e.day, e.kind, e.time, e.text])).toEqual([
      ['2025-03-30', 'meeting', '08:05', 'early'], ['2025-03-30', 'meeting', '16:00', 'late'], ['2025-03-30', 'plan', null, 'work'],
    ]);
    expect(await plans.forDay('TE', '2025-03-30', 'U2')).toEqual([]);
  });
});
