import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { WorkerStatus } from '../fleet/worker.js';
import type { SafeEmitter } from '../lib/typed-events.js';

/** The public worker states, always exported (zero included) so alerts need no `absent()`. */
const STATES: readonly WorkerStatus['state'][] = ['connecting', 'connected', 'backoff', 'stopped'];

export interface MetricsOptions {
  readonly events: SafeEmitter<FleetEvents>;
  /** Current worker statuses, read at scrape time. */
  readonly statuses: () => readonly WorkerStatus[];
  /** When the supervisor last finished a reconcile (null before the first). */
  readonly lastReconcileAt: () => Date | null;
  readonly version: string;
  readonly instanceId: string;
  /** This instance's leases, read at scrape time (several instances on one database). */
  readonly leases?: LeaseGauges;
}

/** What the lease keeper reports at scrape time. */
export interface LeaseGauges {
  readonly heldCount: number;
  readonly liveInstances: number;
  /** Milliseconds since the last successful heartbeat; null before the first. */
  heartbeatAgeMs(): number | null;
}

/** A daemon's metrics: its own registry, fed by fleet events. */
export interface FleetMetrics {
  readonly registry: Registry;
  /** The Prometheus text exposition of every metric. */
  render(): Promise<string>;
  readonly contentType: string;
  /** Unsubscribes from the fleet events. Idempotent. */
  close(): void;
}

/**
 * Creates the metrics of one daemon on a private `Registry` (never the global
 * one, so several daemons in one process do not collide) and subscribes them
 * to the fleet events. Labels never carry a team id: thousands of workspaces
 * would make thousands of series; per-team detail is in `workspace list`.
 */
export function createMetrics(options: MetricsOptions): FleetMetrics {
  const registry = new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'flotilla_info', help: 'Always 1; labels carry the version and instance id.',
    labelNames: ['version', 'instance'], registers,
  }).set({ version: options.version, instance: options.instanceId }, 1);
  new Gauge({
    name: 'flotilla_workspaces', help: 'Workspaces run by this instance, by worker state.',
    labelNames: ['state'], registers,
    collect() {
      const counts = new Map<string, number>(STATES.map((state) => [state, 0]));
      for (const status of options.statuses()) counts.set(status.state, (counts.get(status.state) ?? 0) + 1);
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  new Gauge({
    name: 'flotilla_supervisor_last_reconcile_timestamp_seconds',
    help: 'Unix time of the last finished reconcile (0 before the first); alert when it stops moving.', registers,
    collect() { this.set((options.lastReconcileAt()?.getTime() ?? 0) / 1000); },
  });

  const received = new Counter({ name: 'flotilla_events_received_total', help: 'Inbound events taken from Slack, by kind.', labelNames: ['kind'], registers });
  const handled = new Counter({ name: 'flotilla_events_handled_total', help: 'Events that reached a command, by outcome.', labelNames: ['outcome'], registers });
  const dropped = new Counter({ name: 'flotilla_events_dropped_total', help: 'Inbound events that did not reach a command, by reason.', labelNames: ['reason'], registers });
  const ackSeconds = new Histogram({
    name: 'flotilla_ack_latency_seconds', help: 'From receiving an envelope to its ack being sent (Slack wants it within 3 s).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3], registers,
  });
  const handlerSeconds = new Histogram({
    name: 'flotilla_handler_duration_seconds', help: 'Command handling time (database, Web API, reply), by outcome.',
    labelNames: ['outcome'], buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
  });
  const replies = new Counter({
    name: 'flotilla_replies_total', help: 'Replies that reached Slack, by way (chat.postMessage, a slash command\'s ack, its response_url).',
    labelNames: ['via'], registers,
  });
  const reconnects = new Counter({ name: 'flotilla_reconnects_total', help: 'Connections replaced, by reason.', labelNames: ['reason'], registers });
  const removals = new Counter({ name: 'flotilla_workspace_removals_total', help: 'Workspaces removed, by reason (dead-token answers, operator removals).', labelNames: ['reason'], registers });
  const transitions = new Counter({ name: 'flotilla_worker_transitions_total', help: 'Worker state changes, by target state.', labelNames: ['to'], registers });
  const slackCalls = new Counter({
    name: 'flotilla_slack_api_calls_total', help: 'Slack Web API calls, by method and outcome (ok, error, ratelimited).',
    labelNames: ['method', 'outcome'], registers,
  });

  const httpRequests = new Counter({
    name: 'flotilla_http_events_requests_total',
    help: 'Requests to the HTTP events endpoint, by outcome (refused = bad signature, unknown_team = not installed here, dropped with a 200).',
    labelNames: ['outcome'], registers,
  });

  const leaseCounters = createLeaseMetrics(registers, options.leases);
  const { events } = options;
  const unsubscribes = [
    events.on('event:received', (_teamId, kind) => received.inc({ kind })),
    events.on('event:acked', (_teamId, latencyMs) => ackSeconds.observe(latencyMs / 1000)),
    events.on('event:dropped', (_teamId, reason) => dropped.inc({ reason })),
    events.on('event:handled', (_teamId, durationMs, outcome) => {
      handled.inc({ outcome });
      handlerSeconds.observe({ outcome }, durationMs / 1000);
    }),
    events.on('reply:sent', (_teamId, via) => replies.inc({ via })),
    events.on('connection:reconnect', (reason) => reconnects.inc({ reason })),
    events.on('workspace:removed', (_teamId, reason) => removals.inc({ reason })),
    events.on('http:request', (outcome) => httpRequests.inc({ outcome })),
    events.on('worker:state', (_teamId, _from, to) => transitions.inc({ to })),
    events.on('slack:call', (method, outcome) => slackCalls.inc({ method, outcome })),
    events.on('lease:claimed', (kind, count) => {
      if (kind === 'expired' || kind === 'handed_over') leaseCounters.takeovers.inc({ from: kind }, count);
    }),
    events.on('lease:fenced', (connections) => leaseCounters.fencingCloses.inc(connections)),
    events.on('coordination:statement', (kind) => leaseCounters.statements.inc({ kind })),
  ];
  let isClosed = false;
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close() {
      if (isClosed) return;
      isClosed = true;
      for (const unsubscribe of unsubscribes) unsubscribe();
    },
  };
}

/** Leases, takeovers, fencing and heartbeats of one instance among several. */
function createLeaseMetrics(registers: Registry[], leases: LeaseGauges | undefined): {
  takeovers: Counter<'from'>; fencingCloses: Counter; statements: Counter<'kind'>;
} {
  new Gauge({
    name: 'flotilla_leases_held', help: 'Connections (Socket Mode app tokens, RTM bots) whose lease this instance holds.', registers,
    collect() { this.set(leases?.heldCount ?? 0); },
  });
  new Gauge({
    name: 'flotilla_instances_live', help: 'Instances with a fresh heartbeat on this database, this one included, at the last look.', registers,
    collect() { this.set(leases?.liveInstances ?? 1); },
  });
  new Gauge({
    name: 'flotilla_heartbeat_age_seconds',
    help: 'Seconds since this instance last renewed its heartbeat and leases; past half the TTL its connections are closed.', registers,
    collect() { this.set((leases?.heartbeatAgeMs() ?? 0) / 1000); },
  });
  return {
    takeovers: new Counter({
      name: 'flotilla_lease_takeovers_total', labelNames: ['from'], registers,
      help: 'Connections this instance took over from another: from an expired lease (its owner died or was cut off) or a released one (hand-over).',
    }),
    fencingCloses: new Counter({
      name: 'flotilla_lease_fencing_closes_total', registers,
      help: 'Connections this instance closed because it could not renew their leases in time (database unreachable, event loop stalled).',
    }),
    statements: new Counter({
      name: 'flotilla_coordination_statements_total', labelNames: ['kind'], registers,
      help: 'Statements on the coordination tables (heartbeat and lease renewal, census, claim, release, published statuses), by kind.',
    }),
  };
}
