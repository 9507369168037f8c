import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { ask, type Member } from '../commands/ask.js';
import { acmeAndGlobex, person } from '../commands/people.js';
import { startHarness, type Harness } from '../support/harness.js';

const NOW = new Date('2025-05-14T10:00:00Z');

describe('admin API: the team\'s own data (leave and tasks as JSON)', () => {
  let h: Harness;
  let token: string;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  let alice: Member;
  let admin: Member;

  const get = async (path: string, bearer: string | null = token): Promise<{ status: number; json: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const response = await fetch(`${h.daemon.adminUrl}${path}`, { headers: bearer === null ? {} : { authorization: `Bearer ${bearer}` } });
    return { status: response.status, json: await response.json() };
  };

  beforeAll(async () => {
    h = await startHarness({ now: () => NOW });
    token = (await readFile(join(h.db.dataDir, 'admin-token'), 'utf8')).trim();
    ({ acme, globex, alice, admin } = await acmeAndGlobex(h));
    await ask(h, alice, 'leave 2025-05-19 to 2025-05-23 vacation Trip');
    await ask(h, alice, 'leave 2025-06-10 half pm sick');
    await ask(h, admin, 'leave approve 1');
    await ask(h, alice, 'task add Write the notes due fri');
    await ask(h, alice, 'task add Old one');
    await ask(h, alice, 'task done 2');
    await ask(h, await person(h, globex, 'gina', { userId: globex.userId }), 'leave tomorrow');
  });
  afterAll(async () => h?.stop());

  it('exports leave with a day in [from, to], each request with its history', async () => {
    const all = await get(`/v1/workspaces/${acme.teamId}/leave`);
    expect(all.status).toBe(200);
    expect(all.json).toMatchObject({ teamId: acme.teamId, from: null, to: null, total: 2 });
    expect(all.json.requests[0]).toEqual({
      number: 1, userId: alice.userId, from: '2025-05-19', to: '2025-05-23', halfDay: null, type: 'vacation', reason: 'Trip',
      status: 'approved', decidedBy: admin.userId, decidedAt: NOW.toISOString(), decisionNote: null, createdAt: NOW.toISOString(),
      history: [
        { status: 'pending', actor: alice.userId, note: null, at: NOW.toISOString() },
        { status: 'approved', actor: admin.userId, note: null, at: NOW.toISOString() },
      ],
    });
    expect(all.json.requests[1]).toMatchObject({ number: 2, halfDay: 'pm', status: 'pending', history: [{ status: 'pending' }] });
    const may = await get(`/v1/workspaces/${acme.teamId}/leave?from=2025-05-01&to=2025-05-20`);
    expect(may.json.requests.map((r: { number: number }) => r.number)).toEqual([1]);
    expect((await get(`/v1/workspaces/${acme.teamId}/leave?from=2025-05-24`)).json.requests.map((r: { number: number }) => r.number)).toEqual([2]);
    expect((await get(`/v1/workspaces/${acme.teamId}/leave?status=pending`)).json.total).toBe(1);
    const globexLeave = await get(`/v1/workspaces/${globex.teamId}/leave`);
    expect(globexLeave.json.requests.map((r: { userId: string }) => r.userId)).toEqual([globex.userId]);
  });

  it('exports tasks, open and done', async () => {
    const tasks = await get(`/v1/workspaces/${acme.teamId}/tasks`);
    expect(tasks.status).toBe(200);
    expect(tasks.json).toMatchObject({ teamId: acme.teamId, total: 2 });
    expect(tasks.json.tasks).toEqual(expect.arrayContaining([
      expect.objectContaining({ number: 1, title: 'Write the notes', createdBy: alice.userId, dueOn: '2025-05-16', doneAt: null }),
      expect.objectContaining({ number: 2, title: 'Old one', doneBy: alice.userId, doneAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) }),
    ]));
    expect((await get(`/v1/workspaces/${acme.teamId}/tasks?status=open`)).json.tasks.map((t: { number: number }) => t.number)).toEqual([1]);
    expect((await get(`/v1/workspaces/${globex.teamId}/tasks`)).json).toEqual({ teamId: globex.teamId, total: 0, tasks: [] });
  });

  it('refuses bad dates, bad team ids, unknown parameters and a missing token', async () => {
    const bad: Array<[string, RegExp]> = [
      ['leave?from=2025-02-30', /querystring\.from "2025-02-30" is not a calendar date/],
      ['leave?from=yesterday', /querystring\.from must match pattern/],
      ['leave?from=2025-06-01&to=2025-05-01', /querystring\.to \(2025-05-01\) is before querystring\.from \(2025-06-01\)/],
      ['leave?limit=3', /has an unknown field "limit"/],
      ['tasks?status=later', /querystring\.status must be one of open, done, all/],
    ];
    for (const [path, message] of bad) {
      const answer = await get(`/v1/workspaces/${acme.teamId}/${path}`);
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toMatch(message);
    }
    expect((await get('/v1/workspaces/not-a-team/leave')).status).toBe(400);
    expect((await get(`/v1/workspaces/${acme.teamId}/leave`, null)).status).toBe(401);
    expect((await get(`/v1/workspaces/${acme.teamId}/tasks`, 'wrong')).status).toBe(401);
  });

  it('still answers for a removed workspace: its data is kept', async () => {
    await h.daemon.workspaces.remove(globex.teamId, { revoke: false, actor: 'test' });
    const answer = await get(`/v1/workspaces/${globex.teamId}/leave`);
    expect(answer).toMatchObject({ status: 200, json: { total: 1 } });
  });
});
