/** The instances mode's results as Markdown, and the lines checked against the issue's targets. */
import type { InstancesOptions, InstancesResult, Takeover } from './instances.js';

export interface InstancesReport {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly machine: Record<string, unknown>;
  readonly revision: string;
  readonly command: string;
  readonly options: InstancesOptions;
  readonly result: InstancesResult | null;
  readonly error: string | null;
}

const ms = (value: number | null): string => (value === null ? '–' : `${(value / 1000).toFixed(2)} s`);

function takeoverRow(label: string, t: Takeover): string {
  return `| ${label} | ${t.victim} (${t.connections}) | ${ms(t.takeoverMs.p50)} | ${ms(t.takeoverMs.max)} | ${t.notTakenOver} | ${t.load.sent} | ${t.load.missingReplies} | ${t.load.duplicateReplies} |`;
}

/** Coordination statements per second of one instance: heartbeat + leases, and published statuses apart. */
function leaseRate(kinds: Record<string, number>): number {
  return Math.round(Object.entries(kinds).filter(([kind]) => kind !== 'status').reduce((sum, [, n]) => sum + n, 0) * 100) / 100;
}

export function instancesMarkdown(report: InstancesReport): string {
  const r = report.result;
  const lines = [
    `# flotilla instances bench, ${report.startedAt}`, '',
    `Command: \`${report.command}\` · revision ${report.revision} · ${JSON.stringify(report.machine)}`, '',
  ];
  if (r === null) return [...lines, `Failed: ${report.error ?? 'unknown'}`, ''].join('\n');
  const o = report.options;
  const shares = Object.values(r.shares);
  lines.push(
    `${o.instances} instances, N=${o.n} Socket Mode workspaces (one app each), FLOTILLA_LEASE_TTL_MS=${o.ttlMs} (renewal every ${r.renewEveryMs} ms), FLOTILLA_CONNECT_RATE=${o.connectRate} per instance, ${o.takeoverRate} mentions/s during each takeover.`, '',
    '| start | |', '|---|---:|',
    `| all ${o.n} connected | ${ms(r.allConnectedMs)} |`,
    `| fair shares | ${ms(r.fairMs)} |`,
    `| shares | ${Object.entries(r.shares).map(([id, n]) => `${id} ${n}`).join(', ')} (ideal ${(o.n / o.instances).toFixed(1)}, max/min ${Math.max(...shares)}/${Math.min(...shares)}) |`,
    `| rejoin after kill -9: fair again | ${ms(r.rejoinFairMs)} |`, '',
    '| takeover | instance (connections) | p50 | max | not taken over | mentions | missing | duplicated |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    takeoverRow('kill -9', r.kill9), takeoverRow('SIGTERM', r.sigterm), '',
    `Steady state over ${ms(r.steady.windowMs)}, statements per second per instance (heartbeat and lease renewal are one statement; census; claims; releases; published statuses), database transactions per second in all: ${r.steady.dbTransactionsPerSec}.`, '',
    '| instance | heartbeats + leases /s | per renewal period | by kind |', '|---|---:|---:|---|',
    ...Object.entries(r.steady.perInstance).map(([id, kinds]) =>
      `| ${id} | ${leaseRate(kinds)} | ${Math.round(leaseRate(kinds) * r.renewEveryMs / 10) / 100} | ${Object.entries(kinds).map(([k, n]) => `${k} ${n}`).join(', ')} |`),
    '',
    `Apps that ever had two sockets open at once: ${r.doubledApps.length}. Instance logs: ${r.logs}.`, '',
  );
  return lines.join('\n');
}

/** One line per target of the issue: replies missing and duplicated across takeovers 0 and 0, statements O(1) per renewal. */
export function instancesChecks(report: InstancesReport): string[] {
  const r = report.result;
  if (r === null) return [`instances bench failed: ${report.error ?? 'unknown'}`];
  const perPeriod = Object.values(r.steady.perInstance).map((kinds) => leaseRate(kinds) * r.renewEveryMs / 1000);
  return [
    `kill -9: takeover p50 ${ms(r.kill9.takeoverMs.p50)}, max ${ms(r.kill9.takeoverMs.max)} (target: within the TTL ${ms(report.options.ttlMs)} + connect)`,
    `SIGTERM: takeover p50 ${ms(r.sigterm.takeoverMs.p50)}, max ${ms(r.sigterm.takeoverMs.max)} (target: 5 s + connect)`,
    `replies missing / duplicated: kill -9 ${r.kill9.load.missingReplies} / ${r.kill9.load.duplicateReplies}, SIGTERM ${r.sigterm.load.missingReplies} / ${r.sigterm.load.duplicateReplies} (target 0 / 0)`,
    `heartbeat + lease statements per renewal period per instance: ${perPeriod.map((n) => n.toFixed(2)).join(', ')} (target: O(1), not O(N=${report.options.n}))`,
  ];
}
