import { sql, type Kysely, type Selectable } from 'kysely';
import type { Schema, WorkspaceSettingsTable } from './schema.js';

/** A workspace's leave and summary settings; defaults when it never changed them. */
export interface WorkspaceSettings {
  readonly teamId: string;
  /** IANA zone set with `settings timezone`; null = Slack's team time zone (else UTC). */
  readonly timeZone: string | null;
  /** Where the daily summary goes; null = no summary. */
  readonly summaryChannel: string | null;
  /** `HH:MM` in the workspace's time zone. */
  readonly summaryTime: string;
  /** Days of the week (0 = Sunday), ascending. */
  readonly workdays: readonly number[];
  readonly leaveTypes: readonly string[];
  readonly isSummaryEnabled: boolean;
  readonly approvers: readonly string[];
}

export const DEFAULT_SETTINGS: Omit<WorkspaceSettings, 'teamId'> = {
  timeZone: null, summaryChannel: null, summaryTime: '09:00', workdays: [1, 2, 3, 4, 5],
  leaveTypes: ['vacation', 'sick', 'personal'], isSummaryEnabled: true, approvers: [],
};

/** A change of settings; omitted fields keep their value. */
export interface SettingsPatch {
  readonly timeZone?: string | null;
  readonly summaryChannel?: string | null;
  readonly summaryTime?: string;
  readonly workdays?: readonly number[];
  readonly leaveTypes?: readonly string[];
  readonly isSummaryEnabled?: boolean;
  readonly approvers?: readonly string[];
}

/** One holiday of a workspace. */
export interface Holiday {
  readonly day: string;
  readonly name: string;
}

/** Settings, approvers and holidays; all scoped by team. */
export interface SettingsStore {
  get(teamId: string): Promise<WorkspaceSettings>;
  update(teamId: string, patch: SettingsPatch, by: string): Promise<WorkspaceSettings>;
  /** Teams whose summary is on and has a channel. */
  summaryTeams(): Promise<WorkspaceSettings[]>;
  /** Adds or renames the holiday on `day`; resolves to whether it was new. */
  addHoliday(teamId: string, holiday: Holiday, by: string): Promise<boolean>;
  removeHoliday(teamId: string, day: string): Promise<Holiday | undefined>;
  /** Holidays in `[from, to]`, by day. */
  holidays(teamId: string, range: { from: string; to: string }): Promise<Holiday[]>;
}

/**
 * Workspace settings in PostgreSQL: one `workspace_settings` row per team
 * (created by the first change), the approvers in `leave_approvers`, holidays
 * in `holidays`. A settings change and its approvers are written in one
 * transaction.
 */
export class SettingsRepository implements SettingsStore {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  async get(teamId: string): Promise<WorkspaceSettings> {
    const [row, approvers] = await Promise.all([
      this.#db.selectFrom('workspace_settings').selectAll().where('team_id', '=', teamId).executeTakeFirst(),
      this.#db.selectFrom('leave_approvers').select('user_id').where('team_id', '=', teamId).orderBy('user_id').execute(),
    ]);
    return toSettings(teamId, row, approvers.map((a) => a.user_id));
  }

  async update(teamId: string, patch: SettingsPatch, by: string): Promise<WorkspaceSettings> {
    await this.#db.transaction().execute(async (trx) => {
      const values = {
        ...(patch.timeZone === undefined ? {} : { time_zone: patch.timeZone }),
        ...(patch.summaryChannel === undefined ? {} : { summary_channel: patch.summaryChannel }),
        ...(patch.summaryTime === undefined ? {} : { summary_time: patch.summaryTime }),
        ...(patch.workdays === undefined ? {} : { workdays: JSON.stringify([...patch.workdays].sort()) }),
        ...(patch.leaveTypes === undefined ? {} : { leave_types: JSON.stringify(patch.leaveTypes) }),
        ...(patch.isSummaryEnabled === undefined ? {} : { is_summary_enabled: patch.isSummaryEnabled }),
        updated_by: by,
      };
      await trx.insertInto('workspace_settings').values({ team_id: teamId, ...values })
        .onConflict((oc) => oc.column('team_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
        .execute();
      if (patch.approvers !== undefined) {
        await trx.deleteFrom('leave_approvers').where('team_id', '=', teamId).execute();
        const unique = [...new Set(patch.approvers)];
        if (unique.length > 0) await trx.insertInto('leave_approvers').values(unique.map((user_id) => ({ team_id: teamId, user_id }))).execute();
      }
    });
    return this.get(teamId);
  }

  async summaryTeams(): Promise<WorkspaceSettings[]> {
    const rows = await this.#db.selectFrom('workspace_settings').selectAll()
      .where('is_summary_enabled', '=', true).where('summary_channel', 'is not', null).orderBy('team_id').execute();
    return rows.map((row) => toSettings(row.team_id, row, []));
  }

  async addHoliday(teamId: string, holiday: Holiday, by: string): Promise<boolean> {
    const existing = await this.#db.selectFrom('holidays').select('day').where('team_id', '=', teamId).where('day', '=', holiday.day).executeTakeFirst();
    await this.#db.insertInto('holidays').values({ team_id: teamId, day: holiday.day, name: holiday.name, created_by: by })
      .onConflict((oc) => oc.columns(['team_id', 'day']).doUpdateSet({ name: holiday.name, created_by: by }))
      .execute();
    return existing === undefined;
  }

  async removeHoliday(teamId: string, day: string): Promise<Holiday | undefined> {
    const row = await this.#db.deleteFrom('holidays').where('team_id', '=', teamId).where('day', '=', day)
      .returning(['name', sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day_text')]).executeTakeFirst();
    return row && { day: row.day_text, name: row.name };
  }

  async holidays(teamId: string, range: { from: string; to: string }): Promise<Holiday[]> {
    const rows = await this.#db.selectFrom('holidays')
      .select(['name', sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day_text')])
      .where('team_id', '=', teamId).where('day', '>=', range.from).where('day', '<=', range.to)
      .orderBy('day').execute();
    return rows.map((row) => ({ day: row.day_text, name: row.name }));
  }
}

function toSettings(teamId: string, row: Selectable<WorkspaceSettingsTable> | undefined, approvers: string[]): WorkspaceSettings {
  if (row === undefined) return { teamId, ...DEFAULT_SETTINGS, approvers };
  return {
    teamId, timeZone: row.time_zone, summaryChannel: row.summary_channel, summaryTime: row.summary_time,
    workdays: row.workdays, leaveTypes: row.leave_types, isSummaryEnabled: row.is_summary_enabled, approvers,
  };
}
