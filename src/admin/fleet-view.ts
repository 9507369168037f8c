import type { FleetRow, InstanceRecord } from '../db/fleet-repository.js';
import type { WorkerStatus } from '../fleet/worker.js';
import type { InstanceView, Transport, WorkspaceView } from './api-types.js';

/**
 * The fleet as one list: every enabled workspace in the database; this
 * instance's own workers as they are now (fresher than what it published),
 * the others' as their owners last published them under the lease they hold.
 * A workspace whose owner has published nothing under its current lease yet
 * is `connecting`; one that no instance holds is `stopped` with owner null.
 */
export function mergeFleet(rows: readonly FleetRow[], local: readonly WorkerStatus[]): WorkspaceView[] {
  const here = new Map(local.map((status) => [status.teamId, status]));
  return rows.map((row): WorkspaceView => {
    const mine = here.get(row.teamId);
    if (mine) return mine;
    const transport = row.transport as Transport;
    if (row.status === null) {
      return {
        teamId: row.teamId, teamName: row.teamName, transport, state: row.owner === null ? 'stopped' : 'connecting',
        connectedSince: null, lastEventAt: null, restarts: 0, lastError: null, owner: row.owner,
      };
    }
    const s = row.status;
    return {
      teamId: row.teamId, teamName: s.teamName, transport, state: s.state as WorkspaceView['state'],
      connectedSince: s.connectedSince?.toISOString() ?? null, lastEventAt: s.lastEventAt?.toISOString() ?? null,
      restarts: s.restarts, lastError: s.lastError, owner: row.owner,
    };
  });
}

/** `GET /v1/instances` rows: times as ISO 8601, this instance marked. */
export function instanceViews(records: readonly InstanceRecord[], self: string): InstanceView[] {
  return records.map((r) => ({
    id: r.id, host: r.host, version: r.version, startedAt: r.startedAt.toISOString(), heartbeatAt: r.heartbeatAt.toISOString(),
    heartbeatAgeMs: r.heartbeatAgeMs, connections: r.connections, isSelf: r.id === self,
  }));
}
