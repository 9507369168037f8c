/**
 * `npm run bench -- [flags]`: flotilla against one Bolt app per workspace and against raw sockets,
 * on the same load, each in a fresh process of its own, with the Slack emulator in another.
 * Prints a table and writes JSON and Markdown under bench/results/. `--help` lists the flags.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { execSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDashboardBench } from './bench/dashboard.js';
import { footprintReport, footprintRun, type FootprintRun } from './bench/footprint.js';
import { runHttpBench } from './bench/http.js';
import { httpMarkdown, httpTargets, type HttpReport } from './bench/http-report.js';
import { importMarkdown, runImportBench } from './bench/import.js';
import { ChildHandle } from './bench/ipc.js';
import { runInstancesBench } from './bench/instances.js';
import { instancesChecks, instancesMarkdown, type InstancesReport } from './bench/instances-report.js';
import { HELP, parseOptions, type BenchOptions } from './bench/options.js';
import { markdownReport, markdownTable, roundLines, targetChecks, type BenchReport, type ReconcileResult } from './bench/report.js';
import {
  finishContender, mainLoad, runContender, startContender, stopContender, type ContenderResult, type LiveContender, type StepResult,
} from './bench/run-contender.js';

function openFilesLimit(): string {
  try {
    return execSync('ulimit -n', { shell: '/bin/sh' }).toString().trim();
  } catch {
    return 'unknown';
  }
}

/** The commit measured, and how many files under src/ differ from it (others may be editing). */
function revision(): string {
  try {
    const sha = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain -- src', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().split('\n').filter(Boolean).length;
    return dirty === 0 ? sha : `${sha} + ${dirty} uncommitted file(s) under src/`;
  } catch {
    return 'unknown';
  }
}

async function reconcileTiming(rows: number): Promise<ReconcileResult> {
  const child = await ChildHandle.start(fileURLToPath(new URL('./bench/reconcile-child.js', import.meta.url)), []);
  try {
    return await child.call<ReconcileResult>('run', { rows });
  } finally {
    await child.stop(60_000);
  }
}

type Failed = (name: string, error: unknown) => void;

/** Each contender alone, start to end, one after the other. */
async function oneAtATime(options: BenchOptions, failed: Failed): Promise<ContenderResult[]> {
  const results: ContenderResult[] = [];
  for (const name of options.contenders) {
    try {
      results.push(await runContender(name, options));
    } catch (error) {
      failed(name, error);
    }
  }
  return results;
}

/**
 * Every contender connected at once, then the main load in rounds, the contenders taking turns,
 * so each round of each sees the same minutes of the host (a shared VM's steal moves tails from
 * one minute to the next). The one not under load idles meanwhile: its keepalive costs a few
 * % of a core (the idle CPU row). Then each finishes alone (sweep, storm) and is stopped.
 */
async function inRounds(options: BenchOptions, failed: Failed): Promise<ContenderResult[]> {
  let live: LiveContender[] = [];
  const rounds = new Map<LiveContender, StepResult[]>();
  try {
    for (const name of options.contenders) {
      try {
        const started = await startContender(name, options);
        live.push(started);
        rounds.set(started, []);
      } catch (error) {
        failed(name, error);
      }
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const contender of [...live]) {
        try {
          rounds.get(contender)?.push(await mainLoad(contender, options, round));
        } catch (error) {
          failed(contender.name, error);
          live = live.filter((l) => l !== contender);
          await stopContender(contender);
        }
      }
    }
    const results: ContenderResult[] = [];
    while (live.length > 0) {
      const contender = live.shift() as LiveContender;
      try {
        results.push(await finishContender(contender, options, rounds.get(contender) ?? []));
      } catch (error) {
        failed(contender.name, error);
      }
    }
    return results;
  } finally {
    for (const contender of live) await stopContender(contender);
  }
}

function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryGb: Math.round(totalmem() / 1073741824),
    node: process.version, platform: `${process.platform} ${process.arch}`, openFiles: openFilesLimit(),
  };
}

/** `--instances K`: several daemons on one PostgreSQL database (scripts/bench/instances.ts). */
async function instancesMode(options: BenchOptions): Promise<void> {
  const startedAt = new Date().toISOString();
  const modeOptions = {
    n: options.n, instances: options.instances, ttlMs: options.ttlMs, connectRate: options.connectRate,
    takeoverRate: options.takeoverRate, steadyMs: options.steadyMs, serverPingMs: options.serverPingMs, outDir: options.outDir,
  };
  let report: InstancesReport;
  try {
    const result = await runInstancesBench(modeOptions);
    report = { startedAt, finishedAt: new Date().toISOString(), machine: machine(), revision: revision(), command: commandLine(), options: modeOptions, result, error: null };
  } catch (error) {
    const text = error instanceof Error ? error.stack ?? error.message : String(error);
    report = { startedAt, finishedAt: new Date().toISOString(), machine: machine(), revision: revision(), command: commandLine(), options: modeOptions, result: null, error: text };
    process.exitCode = 1;
  }
  await mkdir(options.outDir, { recursive: true });
  const base = join(options.outDir, `bench-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}-n${options.n}-instances${options.instances}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, instancesMarkdown(report));
  process.stdout.write(`\n${instancesMarkdown(report)}\n${instancesChecks(report).join('\n')}\n\nwrote ${base}.json and ${base}.md\n`);
}

/** `--mode http`: the HTTP path against its peer (scripts/bench/http.ts). */
async function httpMode(options: BenchOptions): Promise<void> {
  const startedAt = new Date().toISOString();
  const errors: Record<string, string> = {};
  const { results, emulatorRssMb } = await runHttpBench(options, errors);
  const report: HttpReport = {
    mode: 'http', startedAt, finishedAt: new Date().toISOString(), machine: machine(), revision: revision(), command: commandLine(),
    options, results, targets: httpTargets(results, options), errors, emulatorRssMb,
  };
  await mkdir(options.outDir, { recursive: true });
  const base = join(options.outDir, `http-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}-n${options.n}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, httpMarkdown(report));
  process.stdout.write(`\n${httpMarkdown(report)}\nwrote ${base}.json and ${base}.md\n`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

/** `--mode import`: bulk import through the CLI's one call (scripts/bench/import.ts). */
async function importMode(options: BenchOptions): Promise<void> {
  const startedAt = new Date().toISOString();
  const modeOptions = { n: options.n, rounds: options.rounds, rates: options.importRates, sample: options.importSample, logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'error' };
  const result = await runImportBench(modeOptions);
  const cpu = cpus();
  const header = `# flotilla bulk import, ${startedAt}\n\n\`${commandLine()}\` at ${revision()}; ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}, node ${process.version}`;
  const text = importMarkdown(result, modeOptions, header);
  await mkdir(options.outDir, { recursive: true });
  const base = join(options.outDir, `import-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}-n${options.n}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify({ startedAt, finishedAt: new Date().toISOString(), machine: machine(), revision: revision(), command: commandLine(), options: modeOptions, result }, null, 2)}\n`);
  await writeFile(`${base}.md`, text);
  process.stdout.write(`\n${text}\nwrote ${base}.json and ${base}.md\n`);
}

function commandLine(): string {
  return `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim();
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (options.mode === 'http') return httpMode(options);
  if (options.instances > 1) return instancesMode(options);
  if (options.mode === 'import') return importMode(options);
  if (options.dashboard) {
    const { markdown, files } = await runDashboardBench(options, { revision: revision(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim() });
    process.stdout.write(`\n${markdown}\nwrote ${files.join(' and ')}\n`);
    return;
  }
  const startedAt = new Date().toISOString();
  if (options.footprintRuns > 0) return footprint(options, startedAt);
  const errors: Record<string, string> = {};
  const failed = (name: string, error: unknown): void => {
    errors[name] = error instanceof Error ? error.stack ?? error.message : String(error);
    process.stderr.write(`[bench] ${name} failed: ${errors[name]}\n`);
  };
  const results = options.rounds > 1 ? await inRounds(options, failed) : await oneAtATime(options, failed);
  let reconcile: ReconcileResult | null = null;
  if (options.reconcileRows > 0 && options.contenders.includes('flotilla')) {
    try {
      reconcile = await reconcileTiming(options.reconcileRows);
    } catch (error) {
      errors['reconcile'] = error instanceof Error ? error.message : String(error);
    }
  }
  const report: BenchReport = {
    startedAt, finishedAt: new Date().toISOString(),
    machine: machine() as BenchReport['machine'],
    revision: revision(),
    command: commandLine(),
    options, results, errors, reconcile,
  };
  await mkdir(options.outDir, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-').slice(0, 19);
  const base = join(options.outDir, `bench-${stamp}-n${options.n}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdownReport(report));
  const rounds = roundLines(report);
  process.stdout.write(`\n${markdownTable(report)}\n\n${rounds.length > 0 ? `${rounds.join('\n')}\n\n` : ''}${targetChecks(report).join('\n')}\n`);
  if (reconcile !== null) process.stdout.write(`reconcile at ${reconcile.rows} rows: ${reconcile.reconcileMs.join(', ')} ms; list all ${reconcile.listAllMs.join(', ')} ms\n`);
  process.stdout.write(`\nwrote ${base}.json and ${base}.md\n`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

/** `--footprint`: start times and idle memory, embedded (and on a server when asked), in alternating runs. */
async function footprint(options: BenchOptions, startedAt: string): Promise<void> {
  const runs: FootprintRun[] = [];
  for (let i = 0; i < options.footprintRuns; i++) {
    for (const database of ['embedded', ...(options.footprintExternal ? ['external'] as const : [])] as const) {
      const run = await footprintRun(database, options.footprintExternal, options.settleMs * 3);
      process.stderr.write(`[footprint] ${database} run ${i + 1}: first start ${run.firstStartMs} ms, restart ${run.restartMs} ms, PSS ${(run.idle.pssKb / 1024).toFixed(1)} MB, RSS ${(run.idle.rssKb / 1024).toFixed(1)} MB over ${run.idle.processes} processes\n`);
      runs.push(run);
    }
  }
  const cpu = cpus();
  const header = [
    `# flotilla footprint, ${startedAt}`, '',
    `\`npm run bench -- ${process.argv.slice(2).join(' ')}\` at ${revision()}; ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown'}, node ${process.version}`, '',
  ].join('\n');
  const text = `${header}\n${footprintReport(runs)}\n`;
  await mkdir(options.outDir, { recursive: true });
  const base = join(options.outDir, `footprint-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify({ startedAt, revision: revision(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`, runs }, null, 2)}\n`);
  await writeFile(`${base}.md`, text);
  process.stdout.write(`\n${text}\nwrote ${base}.json and ${base}.md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
