import type { InstanceView, WorkspaceView } from '../admin/api-types.js';

/** A short human duration: `45s`, `3m 12s`, `2h 5m`, `3d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Text columns padded to their widest cell; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `flotilla workspace list` as a table: one line per workspace. */
export function formatWorkspaces(workspaces: readonly WorkspaceView[], now = Date.now()): string {
  const since = (iso: string | null): number => (iso === null ? 0 : now - Date.parse(iso));
  return formatTable(
    ['TEAM', 'NAME', 'TRANSPORT', 'STATE', 'CONNECTED FOR', 'LAST EVENT', 'RESTARTS', 'OWNER', 'LAST ERROR'],
    workspaces.map((w) => [
      w.teamId,
      truncate(w.teamName, 30),
      w.transport,
      w.state,
      w.connectedSince === null ? '-' : formatDuration(since(w.connectedSince)),
      w.lastEventAt === null ? '-' : `${formatDuration(since(w.lastEventAt))} ago`,
      String(w.restarts),
      w.owner ?? '-',
      w.lastError === null ? '-' : truncate(w.lastError, 60),
    ]),
  );
}

/** `flotilla instances` as a table: one line per instance, this one marked with `*`. */
export function formatInstances(instances: readonly InstanceView[], now = Date.now()): string {
  return formatTable(
    ['ID', 'HOST', 'VERSION', 'UP FOR', 'HEARTBEAT', 'CONNECTIONS'],
    instances.map((i) => [
      `${i.id}${i.isSelf ? ' *' : ''}`,
      i.host,
      i.version,
      formatDuration(now - Date.parse(i.startedAt)),
      `${formatDuration(i.heartbeatAgeMs)} ago`,
      String(i.connections),
    ]),
  );
}

/** Workspaces counted by state, every state present. */
export function countByState(workspaces: readonly WorkspaceView[]): Record<WorkspaceView['state'], number> {
  const counts = { connected: 0, connecting: 0, backoff: 0, stopped: 0 };
  for (const w of workspaces) counts[w.state] += 1;
  return counts;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
