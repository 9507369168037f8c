import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LeaveRecord, LeaveStore } from '../db/leave-repository.js';
import type { TaskRecord, TaskStore } from '../db/tasks-repository.js';
import { InvalidInputError } from '../lib/errors.js';

/** Where the team's own data is read from. */
export interface TeamDataSources {
  readonly leave: LeaveStore;
  readonly tasks: TaskStore;
}

/** The most rows one answer carries (`total` says how many matched). */
const MAX_ROWS = 10_000;

const teamParams = {
  type: 'object', required: ['team'],
  properties: { team: { type: 'string', pattern: '^[TE][A-Z0-9]{2,30}$' } },
} as const;

const leaveQuery = {
  type: 'object', additionalProperties: false,
  properties: {
    from: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    to: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    status: { type: 'string', enum: ['pending', 'approved', 'rejected', 'cancelled'] },
  },
} as const;

const tasksQuery = {
  type: 'object', additionalProperties: false,
  properties: { status: { type: 'string', enum: ['open', 'done', 'all'] } },
} as const;

/** A real calendar day, or a 400 naming the parameter. */
function calendarDay(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new InvalidInputError(`querystring.${name} "${value}" is not a calendar date (YYYY-MM-DD)`);
  }
  return value;
}

function leaveJson(request: LeaveRecord, history: readonly { status: string; actor: string; note: string | null; at: Date }[]): Record<string, unknown> {
  return {
    number: request.number, userId: request.userId, from: request.from, to: request.to, halfDay: request.halfDay, type: request.type,
    reason: request.reason, status: request.status, decidedBy: request.decidedBy, decidedAt: request.decidedAt?.toISOString() ?? null,
    decisionNote: request.decisionNote, createdAt: request.createdAt.toISOString(),
    history: history.map((h) => ({ status: h.status, actor: h.actor, note: h.note, at: h.at.toISOString() })),
  };
}

function taskJson(task: TaskRecord): Record<string, unknown> {
  return {
    number: task.number, title: task.title, createdBy: task.createdBy, assignee: task.assignee, dueOn: task.dueOn,
    doneAt: task.doneAt?.toISOString() ?? null, doneBy: task.doneBy, createdAt: task.createdAt.toISOString(),
  };
}

/**
 * `GET /v1/workspaces/:team/leave?from=&to=&status=` (requests with a day in
 * [from, to], each with its history; either bound may be left out) and
 * `GET /v1/workspaces/:team/tasks?status=open|done|all`: the team's own data
 * for its other tools, JSON, behind the admin token like every `/v1` route.
 * A workspace that was removed still answers (its data is kept). Bad dates
 * and bad team ids are 400s.
 */
export function registerTeamDataRoutes(app: FastifyInstance, sources: TeamDataSources): void {
  app.get('/v1/workspaces/:team/leave', { schema: { params: teamParams, querystring: leaveQuery } },
    async (request: FastifyRequest<{ Params: { team: string }; Querystring: { from?: string; to?: string; status?: LeaveRecord['status'] } }>) => {
      const teamId = request.params.team;
      const from = calendarDay(request.query.from, 'from');
      const to = calendarDay(request.query.to, 'to');
      if (from !== undefined && to !== undefined && to < from) throw new InvalidInputError(`querystring.to (${to}) is before querystring.from (${from})`);
      const found = await sources.leave.list(teamId, {
        order: 'soonest', limit: MAX_ROWS,
        ...(from !== undefined || to !== undefined ? { between: { from: from ?? '0001-01-01', to: to ?? '9999-12-31' } } : {}),
        ...(request.query.status ? { statuses: [request.query.status] } : {}),
      });
      const histories = await sources.leave.histories(teamId, found.requests.map((r) => r.number));
      return {
        teamId, from: from ?? null, to: to ?? null, total: found.total,
        requests: found.requests.map((r) => leaveJson(r, histories.get(r.number) ?? [])),
      };
    });
  app.get('/v1/workspaces/:team/tasks', { schema: { params: teamParams, querystring: tasksQuery } },
    async (request: FastifyRequest<{ Params: { team: string }; Querystring: { status?: 'open' | 'done' | 'all' } }>) => {
      const teamId = request.params.team;
      const found = await sources.tasks.list(teamId, { status: request.query.status ?? 'all', limit: MAX_ROWS });
      return { teamId, total: found.total, tasks: found.tasks.map(taskJson) };
    });
}
