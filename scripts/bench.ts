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
import { ChildHandle } from './bench/ipc.js';
import { HELP, parseOptions } from './bench/options.js';
import { markdownReport, markdownTable, targetChecks, type BenchReport, type ReconcileResult } from './bench/report.js';
import { runContender, type ContenderResult } from './bench/run-contender.js';

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

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const startedAt = new Date().toISOString();
  const results: ContenderResult[] = [];
  const errors: Record<string, string> = {};
  for (const name of options.contenders) {
    try {
      results.push(await runContender(name, options));
    } catch (error) {
      errors[name] = error instanceof Error ? error.stack ?? error.message : String(error);
      process.stderr.write(`[bench] ${name} failed: ${errors[name]}\n`);
    }
  }
  let reconcile: ReconcileResult | null = null;
  if (options.reconcileRows > 0 && options.contenders.includes('flotilla')) {
    try {
      reconcile = await reconcileTiming(options.reconcileRows);
    } catch (error) {
      errors['reconcile'] = error instanceof Error ? error.message : String(error);
    }
  }
  const cpu = cpus();
  const report: BenchReport = {
    startedAt, finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown', memoryGb: Math.round(totalmem() / 1073741824),
      node: process.version, platform: `${process.platform} ${process.arch}`, openFiles: openFilesLimit(),
    },
    revision: revision(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    options, results, errors, reconcile,
  };
  await mkdir(options.outDir, { recursive: true });
  const stamp = startedAt.replace(/[:.]/g, '-').slice(0, 19);
  const base = join(options.outDir, `bench-${stamp}-n${options.n}${options.label === '' ? '' : `-${options.label}`}`);
  await writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(`${base}.md`, markdownReport(report));
  process.stdout.write(`\n${markdownTable(report)}\n\n${targetChecks(report).join('\n')}\n`);
  if (reconcile !== null) process.stdout.write(`reconcile at ${reconcile.rows} rows: ${reconcile.reconcileMs.join(', ')} ms; list all ${reconcile.listAllMs.join(', ')} ms\n`);
  process.stdout.write(`\nwrote ${base}.json and ${base}.md\n`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
