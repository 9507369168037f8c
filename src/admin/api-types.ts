/**
 * The admin API's JSON shapes, shared by the server and the client the CLI
 * uses. Times are ISO 8601 strings or null.
 */

export type WorkspaceState = 'connecting' | 'connected' | 'backoff' | 'stopped';
/** How a workspace's events arrive: `http` for an app installed by OAuth that gets them at the public listener. */
export type Transport = 'socket-mode' | 'rtm' | 'http';

/** One row of `GET /v1/workspaces` (and of `flotilla workspace list --json`). */
export interface WorkspaceView {
  readonly teamId: string;
  readonly teamName: string;
  readonly transport: Transport;
  readonly state: WorkspaceState;
  readonly connectedSince: string | null;
  readonly lastEventAt: string | null;
  readonly restarts: number;
  readonly lastError: string | null;
  /** The `FLOTILLA_INSTANCE_ID` of the instance running it, verbatim; null while none does (being taken over). */
  readonly owner: string | null;
}

/** One row of `GET /v1/instances` (and of `flotilla instances --json`). */
export interface InstanceView {
  readonly id: string;
  readonly host: string;
  readonly version: string;
  readonly startedAt: string;
  readonly heartbeatAt: string;
  /** By the database clock. Older than the lease TTL: the instance is gone or cut off. */
  readonly heartbeatAgeMs: number;
  /** Connections (leases) it holds now. */
  readonly connections: number;
  /** Whether this is the instance that answered. */
  readonly isSelf: boolean;
}

/** `GET /healthz`: the process is up. */
export interface HealthView {
  readonly status: 'ok';
  readonly version: string;
  readonly instance: string;
  readonly startedAt: string;
  readonly uptimeSeconds: number;
}

/** `GET /readyz`: 200 when every check is ok, else 503 with the same shape. */
export interface ReadyView {
  readonly status: 'ready' | 'not_ready';
  readonly checks: { readonly database: 'ok' | 'failing'; readonly supervisor: 'ok' | 'failing' };
}

/** `POST /v1/workspaces` body. */
export interface AddWorkspaceBody {
  readonly botToken: string;
  readonly appToken?: string;
  readonly transport?: Transport;
}

/** Most rows one `POST /v1/workspaces/import` takes (its body is bounded to match). */
export const MAX_IMPORT_ROWS = 10_000;

/** One row of `POST /v1/workspaces/import`: `row` is its number in the operator's file (default: its position, from 1). */
export interface ImportRowBody {
  readonly row?: number;
  readonly botToken: string;
  readonly appToken?: string;
  readonly transport?: string;
}

/** `POST /v1/workspaces/import` answer: one result per row, in the rows' order; `error` never holds a token. */
export interface ImportResultView {
  readonly results: ReadonlyArray<{ readonly row: number; readonly teamId: string } | { readonly row: number; readonly error: string }>;
}

/** Every 4xx/5xx answer: a stable code and a message that says what is wrong. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** `GET /v1/workspaces/:team`: the list fields, the last inbound events (types only) and the last restarts. */
export interface WorkspaceDetailView extends WorkspaceView {
  readonly recentEvents: readonly { readonly at: string; readonly kind: string; readonly detail: string }[];
  /** Newest last: when the connection was lost and why (`pong_timeout`, `operator`, an open failure's Slack error…). */
  readonly restartHistory: readonly { readonly at: string; readonly reason: string }[];
}

/**
 * `GET /v1/stats`: this instance's traffic. `events` and `replies` are
 * per-second counts, oldest first, the last one the second that ended at `at`.
 */
export interface StatsView {
  readonly instance: string;
  readonly at: string;
  readonly stepSeconds: 1;
  readonly events: readonly number[];
  readonly replies: readonly number[];
  readonly reconnects: {
    /** Connection reconnects in the last 60 minutes (by the minute, the current one included). */
    readonly lastHour: number;
    /** The same, per minute, oldest first. */
    readonly perMinute: readonly number[];
    readonly byReason: Readonly<Record<string, number>>;
  };
}
