import { parseArgs } from 'node:util';
import { CONTENDERS, HTTP_CONTENDERS, type ContenderName } from './contenders/contender.js';

/** Everything one bench run is told, from flags (see `--help`). */
export interface BenchOptions {
  /**
   * `socket` (default): the contenders over Socket Mode; `http`: the HTTP path against its peer
   * (scripts/bench/http.ts); `import`: bulk import timing (scripts/bench/import.ts).
   */
  readonly mode: 'socket' | 'http' | 'import';
  readonly n: number;
  readonly m: number;
  readonly rate: number;
  readonly rounds: number;
  readonly contenders: readonly ContenderName[];
  readonly quick: boolean;
  readonly sweep: boolean;
  readonly sweepRates: readonly number[];
  readonly sweepStepMs: number;
  readonly sweepP95Ms: number;
  readonly sweepRefine: boolean;
  readonly storm: boolean;
  readonly stormPerMinute: number;
  readonly stormScope: 'app' | 'global';
  readonly stormTimeoutMs: number;
  readonly connectRate: number;
  readonly reconcileRows: number;
  readonly serverPingMs: number;
  readonly drainMs: number;
  readonly maxOldSpaceMb: number;
  readonly settleMs: number;
  readonly profile: boolean;
  readonly heapProfile: 'all' | 'promoted' | null;
  readonly nodeFlags: readonly string[];
  readonly outDir: string;
  readonly label: string;
  /** 2 or more: the instances mode (several daemons on one PostgreSQL database) instead of the contenders. */
  readonly instances: number;
  readonly ttlMs: number;
  readonly takeoverRate: number;
  readonly steadyMs: number;
  /** The dashboard benchmark instead of the contenders (flotilla only, N default 10,000). */
  readonly dashboard: boolean;
  /** `--footprint`: only the start-time and idle-memory measurement (footprint.ts), this many runs per database. */
  readonly footprintRuns: number;
  /** An admin URL of a PostgreSQL server for the footprint's comparison run (a temp database is made there). */
  readonly footprintExternal: string | undefined;
  /** FLOTILLA_CONNECT_RATE values the import mode measures. */
  readonly importRates: readonly number[];
  /** Workspaces added the old way (one CLI call each) per round in the import mode. */
  readonly importSample: number;
}

export const HELP = `npm run bench -- [flags]

  --mode MODE           socket (default), http or import (below). http: one distributed app over HTTP events, N installs,
                        flotilla's POST /slack/events against one Bolt App (HTTPReceiver + authorize)
                        and a raw node:http floor, on the same signed event_callback load; per round
                        and contender the main load (M at R/s) then a rate sweep of M mentions a step
                        (reply p95 under --sweep-p95-ms). Defaults there: N 1000, M 3000, R 200,
                        3 rounds, rates 100,200,400,800,1200,1600 (quick: N 20, M 200, 1 round)

  --n N                 workspaces (default 500; quick 20)
  --m M                 mentions in the main load (default 6000; quick 400)
  --r R                 mentions per second in the main load (default 200)
  --rounds K            run the main load K times, the contenders taking turns with all of them
                        connected, and report each contender's median round by reply p99
                        (default 1: one contender at a time, as before); use it to compare
                        latency tails on a shared machine, where they move from minute to minute
  --contenders LIST     comma list of flotilla,bolt,floor (default all), and flotilla-before: the
                        flotilla contender of another build, in BENCH_BEFORE_DIR (a checkout with
                        npm ci && npm run build done), for side-by-side comparisons
  --footprint           only this: flotilla start on an empty data dir and again on it (time until
                        /healthz), and the idle PSS/RSS of its process tree (daemon + embedded server)
  --footprint-runs K    runs of it (default 3)
  --footprint-external URL  also the same daemon on this PostgreSQL server (admin URL; a temp database)
  --quick               small N/M, short sweep: about a minute
  --no-sweep            skip the rate sweep
  --sweep-rates LIST    rates tried in order until one fails (default 100,200,400,600,800,1000,1200,1500,2000,2500,3000)
  --sweep-step-ms MS    length of each sweep step (default 5000; quick 1500)
  --sweep-p95-ms MS     a step passes when reply p95 is under this (default 100)
  --no-refine           no bisection between the last pass and the first failure
  --no-storm            skip the reconnect storm
  --storm-per-minute K  apps.connections.open limit during the storm (default 1)
  --storm-scope S       app (per app, as Slack) or global (default app)
  --storm-timeout-ms MS give up waiting for recovery after (default 300000)
  --connect-rate K      FLOTILLA_CONNECT_RATE for flotilla (default 1000)
  --reconcile-rows K    rows for the reconcile timing, 0 to skip (default 100000; quick 10000)
  --server-ping-ms MS   emulator server ping interval per socket (default 5000)
  --drain-ms MS         wait for stragglers after a load step (default 5000; quick 3000)
  --settle-ms MS        settle (with forced GCs) before each memory reading (default 3000)
  --max-old-space MB    --max-old-space-size for contender processes (default 0 = Node's)
  --profile             write a CPU profile of the flotilla process to <out>/profiles
  --heap-profile WHAT   write a sampling heap profile of each contender's main load to <out>/profiles:
                        all (every allocation, collected or not) or promoted (what outlived the young
                        generation); summarize with node dist/scripts/bench/heap-summary.js <file>
  --node-flags=FLAGS    extra node/V8 flags for the contender processes, space-separated, after
                        an = sign (e.g. --node-flags="--max-semi-space-size=16 --trace-gc-nvp")
  --instances K         instances mode: K flotilla processes on one PostgreSQL database (needs
                        DATABASE_URL), N workspaces; time to all connected, fairness, statements per
                        second at steady state, takeover after kill -9 and after SIGTERM under load
  --ttl-ms MS           FLOTILLA_LEASE_TTL_MS in the instances mode (default 15000)
  --takeover-rate R     mentions per second during each takeover (default 50)
  --steady-ms MS        how long the steady state is watched (default 60000; quick 15000)
  --dashboard           the dashboard instead: flotilla connects N (default 10000) workspaces, and
                        Debian's chromium times sign-in, filters, sorts and page turns, the page's
                        share of its main thread under the --r mention load, and a restart of all
  --mode import         bulk import instead: N (default 1000) workspaces through one
                        \`flotilla workspace add --from FILE\` into a fresh daemon (embedded PostgreSQL),
                        time to all stored and to all connected, at each --import-rates value, --rounds
                        times (default 3), and the old way (one CLI call each, 8 at a time) on a sample
  --import-rates LIST   FLOTILLA_CONNECT_RATE values for the import mode (default 20,200; 20 is the default)
  --import-sample K     workspaces added the old way per round (default 64; 0 skips it)
  --out DIR             results directory (default bench/results)
  --label TEXT          added to result file names

  Env: DATABASE_URL (flotilla on a PostgreSQL server instead of its embedded one),
       BENCH_BEFORE_DIR (the build the flotilla-before contender runs),
       BENCH_LOG_LEVEL (flotilla's log level, default error)
`;

function numberList(text: string): number[] {
  return text.split(',').map((s) => Number(s.trim())).filter((v) => Number.isFinite(v) && v > 0);
}

function heapProfileOf(text: string | undefined): BenchOptions['heapProfile'] {
  if (text === undefined) return null;
  if (text !== 'all' && text !== 'promoted') throw new Error('--heap-profile must be all or promoted');
  return text;
}

function roundsOf(text: string | undefined): number {
  if (text === undefined) return 1;
  const rounds = Number(text);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number of at least 1: ${text}`);
  return rounds;
}

/** Parses argv; throws on an unknown flag. */
export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  const { values: v } = parseArgs({
    args: [...argv],
    options: {
      help: { type: 'boolean' }, quick: { type: 'boolean' }, mode: { type: 'string' },
      n: { type: 'string' }, m: { type: 'string' }, r: { type: 'string' }, rounds: { type: 'string' }, contenders: { type: 'string' },
      'no-sweep': { type: 'boolean' }, 'sweep-rates': { type: 'string' }, 'sweep-step-ms': { type: 'string' },
      'sweep-p95-ms': { type: 'string' }, 'no-refine': { type: 'boolean' },
      'no-storm': { type: 'boolean' }, 'storm-per-minute': { type: 'string' }, 'storm-scope': { type: 'string' },
      'storm-timeout-ms': { type: 'string' }, 'connect-rate': { type: 'string' }, 'reconcile-rows': { type: 'string' },
      'server-ping-ms': { type: 'string' }, 'drain-ms': { type: 'string' }, 'max-old-space': { type: 'string' },
      'settle-ms': { type: 'string' },
      profile: { type: 'boolean' }, 'heap-profile': { type: 'string' },
      'node-flags': { type: 'string' }, out: { type: 'string' }, label: { type: 'string' }, dashboard: { type: 'boolean' },
      instances: { type: 'string' }, 'ttl-ms': { type: 'string' }, 'takeover-rate': { type: 'string' }, 'steady-ms': { type: 'string' },
      footprint: { type: 'boolean' }, 'footprint-runs': { type: 'string' }, 'footprint-external': { type: 'string' },
      'import-rates': { type: 'string' }, 'import-sample': { type: 'string' },
    },
  });
  if (v.help) return 'help';
  const quick = v.quick ?? false;
  const mode = v.mode ?? 'socket';
  if (mode !== 'socket' && mode !== 'http' && mode !== 'import') throw new Error(`--mode must be socket, http or import: ${mode}`);
  const isHttp = mode === 'http';
  const isImport = mode === 'import';
  const num = (text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) throw new Error(`not a number: ${text}`);
    return value;
  };
  const contenders = (v.contenders ?? CONTENDERS.join(',')).split(',').map((s) => s.trim());
  const known: readonly string[] = isHttp ? HTTP_CONTENDERS : [...CONTENDERS, 'flotilla-before'];
  for (const c of contenders) if (!known.includes(c)) throw new Error(`unknown contender${isHttp ? ' in the http mode' : ''}: ${c}`);
  if (contenders.includes('flotilla-before') && !process.env['BENCH_BEFORE_DIR']) throw new Error('flotilla-before needs BENCH_BEFORE_DIR: a built checkout of the other version');
  const scope = v['storm-scope'] ?? 'app';
  if (scope !== 'app' && scope !== 'global') throw new Error('--storm-scope must be app or global');
  return {
    mode,
    n: num(v.n, v.dashboard ? 10_000 : quick ? 20 : isHttp || isImport ? 1000 : 500),
    m: num(v.m, quick ? (isHttp ? 200 : 400) : isHttp ? 3000 : 6000),
    rate: num(v.r, 200),
    rounds: v.rounds === undefined && (isHttp || isImport) && !quick ? 3 : roundsOf(v.rounds),
    contenders: contenders as ContenderName[],
    quick,
    sweep: !(v['no-sweep'] ?? false),
    sweepRates: numberList(v['sweep-rates'] ?? (isHttp ? (quick ? '100,400' : '100,200,400,800,1200,1600')
      : quick ? '200,500,1000,2000' : '100,200,400,600,800,1000,1200,1500,2000,2500,3000')),
    sweepStepMs: num(v['sweep-step-ms'], quick ? 1500 : 5000),
    sweepP95Ms: num(v['sweep-p95-ms'], 100),
    sweepRefine: !(v['no-refine'] ?? quick),
    storm: !(v['no-storm'] ?? false),
    stormPerMinute: num(v['storm-per-minute'], 1),
    stormScope: scope,
    stormTimeoutMs: num(v['storm-timeout-ms'], 300_000),
    connectRate: num(v['connect-rate'], 1000),
    reconcileRows: num(v['reconcile-rows'], quick ? 10_000 : 100_000),
    serverPingMs: num(v['server-ping-ms'], 5000),
    drainMs: num(v['drain-ms'], quick ? 3000 : 5000),
    maxOldSpaceMb: num(v['max-old-space'], 0),
    settleMs: num(v['settle-ms'], 3000),
    profile: v.profile ?? false,
    heapProfile: heapProfileOf(v['heap-profile']),
    nodeFlags: (v['node-flags'] ?? '').split(' ').filter((flag) => flag !== ''),
    outDir: v.out ?? 'bench/results',
    label: v.label ?? '',
    instances: num(v.instances, 0),
    ttlMs: num(v['ttl-ms'], 15_000),
    takeoverRate: num(v['takeover-rate'], 50),
    steadyMs: num(v['steady-ms'], quick ? 15_000 : 60_000),
    dashboard: v.dashboard ?? false,
    footprintRuns: v.footprint ? Math.max(1, num(v['footprint-runs'], 3)) : 0,
    footprintExternal: v['footprint-external'],
    importRates: numberList(v['import-rates'] ?? '20,200'),
    importSample: num(v['import-sample'], 64),
  };
}
