import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

/** A timestamptz: read as a Date, written as a Date or an SQL-parsable string. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;

/** A timestamptz with a database default (`now()`): optional on insert. */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export type TransportColumn = 'socket-mode' | 'rtm' | 'http';

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
  /** The lease key of the row's connection (see slack/connection-key.ts); null for a transport without a socket, or not computed yet. */
  connection_key: ColumnType<string | null, string | null | undefined, string | null>;
  restart_requested_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  /** Who installed the app by OAuth (a Slack user id); null for an operator's `workspace add`. */
  installed_by: ColumnType<string | null, string | null | undefined, string | null>;
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

// ---- leave, settings, summaries, users (migration 0003) -----------------------------------

export type LeaveStatusColumn = 'pending' | 'approved' | 'rejected' | 'cancelled';
export type HalfDayColumn = 'am' | 'pm';

/** A timestamptz that may be null, written as a Date or an SQL-parsable string. */
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface LeaveCountersTable {
  team_id: string;
  last_number: Generated<number>;
}

export interface LeaveRequestsTable {
  id: GeneratedAlways<string>;
  team_id: string;
  number: number;
  user_id: string;
  from_day: DateColumn;
  to_day: DateColumn;
  half_day: HalfDayColumn | null;
  leave_type: string;
  reason: string | null;
  status: LeaveStatusColumn;
  decided_by: string | null;
  decided_at: NullableTimestamp;
  decision_note: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface LeaveHistoryTable {
  id: GeneratedAlways<string>;
  team_id: string;
  number: number;
  status: LeaveStatusColumn;
  actor: string;
  note: string | null;
  at: Timestamp;
}

export interface LeaveApproverMessagesTable {
  team_id: string;
  number: number;
  approver_id: string;
  channel_id: string;
  ts: string;
}

export interface HolidaysTable {
  team_id: string;
  day: DateColumn;
  name: string;
  created_by: string;
  created_at: GeneratedTimestamp;
}

/** A jsonb column: read as parsed JSON, written as JSON text. */
export type JsonColumn<T> = ColumnType<T, string | undefined, string>;

export interface WorkspaceSettingsTable {
  team_id: string;
  time_zone: string | null;
  summary_channel: string | null;
  /** `HH:MM`, 24-hour, in the workspace's time zone. */
  summary_time: ColumnType<string, string | undefined, string>;
  /** Days of the week, 0 = Sunday. */
  workdays: JsonColumn<number[]>;
  leave_types: JsonColumn<string[]>;
  is_summary_enabled: Generated<boolean>;
  users_listed_at: NullableTimestamp;
  updated_by: string | null;
  updated_at: GeneratedTimestamp;
}

export interface LeaveApproversTable {
  team_id: string;
  user_id: string;
}

export interface DailySummariesTable {
  team_id: string;
  day: DateColumn;
  channel_id: string;
  ts: string | null;
  claimed_by: string;
  claimed_at: Timestamp;
  posted_at: NullableTimestamp;
}

export interface UsersTable {
  team_id: string;
  user_id: string;
  name: string;
  real_name: string | null;
  display_name: string | null;
  tz: string | null;
  is_admin: boolean;
  is_owner: boolean;
  is_bot: boolean;
  is_deleted: boolean;
  fetched_at: Timestamp;
}

export interface Schema {
  leave_counters: LeaveCountersTable;
  leave_requests: LeaveRequestsTable;
  leave_history: LeaveHistoryTable;
  leave_approver_messages: LeaveApproverMessagesTable;
  holidays: HolidaysTable;
  workspace_settings: WorkspaceSettingsTable;
  leave_approvers: LeaveApproversTable;
  daily_summaries: DailySummariesTable;
  users: UsersTable;
}

// ---- several instances (migration 0005) -------------------------------------------------

export interface InstancesTable {
  id: string;
  host: string;
  version: string;
  incarnation: string;
  started_at: GeneratedTimestamp;
  heartbeat_at: GeneratedTimestamp;
}

export interface ConnectionLeasesTable {
  key: string;
  owner: string | null;
  /** bigint: pg returns int8 as a string. */
  epoch: ColumnType<string, string | number | undefined, string | number>;
  expires_at: Timestamp;
  acquired_at: GeneratedTimestamp;
  previous_owner: string | null;
}

export interface WorkspaceStatusTable {
  team_id: string;
  owner: string;
  connection_key: string;
  epoch: ColumnType<string, string | number, string | number>;
  team_name: string;
  state: string;
  connected_since: ColumnType<Date | null, Date | string | null, Date | string | null>;
  last_event_at: ColumnType<Date | null, Date | string | null, Date | string | null>;
  restarts: number;
  last_error: string | null;
  updated_at: GeneratedTimestamp;
}

/** Coordination tables, merged into `Schema` above. */
export interface Schema {
  instances: InstancesTable;
  connection_leases: ConnectionLeasesTable;
  workspace_status: WorkspaceStatusTable;
}

export interface OauthStatesTable {
  /** SHA-256 (hex) of the `state` sent to Slack; the state itself is never stored. */
  state_hash: string;
  /** What @slack/oauth's state store hands back on the redirect (scopes, redirect URI, metadata). */
  install_options: ColumnType<unknown, string, string>;
  created_at: GeneratedTimestamp;
  expires_at: Timestamp;
  /** Set when the redirect used it: a state is good once. */
  used_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** The install flow's tables, merged into `Schema` above. */
export interface Schema {
  oauth_states: OauthStatesTable;
}
