/**
 * The admin API's JSON shapes, shared by the server and the client the CLI
 * uses. Times are ISO 8601 strings or null.
 */

export type WorkspaceState = 'connecting' | 'connected' | 'backoff' | 'stopped';
export type Transport = 'socket-mode' | 'rtm';

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

/** Every 4xx/5xx answer: a stable code and a message that says what is wrong. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}
