import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamptz: read as a Date, written as a Date or an SQL-parsable string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A timestamptz with a database default (`now()`): optional on insert. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type TransportColumn = 'socket-mode' | 'rtm';

export interface WorkspacesTable {
  team_id: string;
  team_name: string;
  team_domain: string | null;
  transport: TransportColumn;
  /** SecretBox-sealed bot token (`xoxb-`). Never plain text. */
  bot_token_enc: string;
  /** SecretBox-sealed app token (`xapp-`); required for socket-mode rows. */
  app_token_enc: string | null;
  app_id: string | null;
  bot_user_id: string;
  bot_id: string | null;
  enabled: Generated<boolean>;
  restart_requested_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WorkspaceRemovalsTable {
  /** bigint identity: pg returns int8 as a string. */
  id: GeneratedAlways<string>;
  team_id: string;
  team_name: string;
  reason: string;
  actor: string;
  removed_at: GeneratedTimestamp;
}

export interface ProcessedEventsTable {
  team_id: string;
  event_id: string;
  processed_at: GeneratedTimestamp;
}

/** Every table flotilla's Kysely instance knows. */
export interface Schema {
  workspaces: WorkspacesTable;
  workspace_removals: WorkspaceRemovalsTable;
  processed_events: ProcessedEventsTable;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type NewWorkspaceRow = Insertable<WorkspacesTable>;
export type WorkspaceRowUpdate = Updateable<WorkspacesTable>;

// ---- team data (migration 0002): tasks and daily plans ----------------------------------

/** A calendar date (`date` column): always selected as `YYYY-MM-DD` text, never as a Date. */
export type DateColumn = ColumnType<string, string, string>;

export interface TaskCountersTable {
  team_id: string;
  last_number: Generated<number>;
}

export interface TasksTable {
  id: GeneratedAlways<string>;
  team_id: string;
  /** Per-workspace number shown to users (#1, #2, …); never reused. */
  number: number;
  title: string;
  created_by: string;
  assignee: string | null;
  due_on: ColumnType<string | null, string | null | undefined, string | null>;
  done_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  done_by: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export type PlanEntryKindColumn = 'plan' | 'did' | 'blocked' | 'meeting';

export interface PlanEntriesTable {
  id: GeneratedAlways<string>;
  team_id: string;
  user_id: string;
  day: DateColumn;
  kind: PlanEntryKindColumn;
  text: string;
  /** `HH:MM` on write; a `time` column (select it formatted). Set exactly for meetings. */
  meeting_at: ColumnType<string | null, string | null | undefined, string | null>;
  channel_id: string | null;
  created_at: GeneratedTimestamp;
}

/** Team-data tables, merged into `Schema` above (interface declaration merging). */
export interface Schema {
  task_counters: TaskCountersTable;
  tasks: TasksTable;
  plan_entries: PlanEntriesTable;
}
