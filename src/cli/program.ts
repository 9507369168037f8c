import { userInfo } from 'node:os';
import { Command, Option } from 'commander';
import { MAX_IMPORT_ROWS } from '../admin/api-types.js';
import type { AdminClient } from '../admin/client.js';
import { ConfigError, errorMessage, FlotillaError } from '../lib/errors.js';
import { redactSecrets } from '../lib/redact.js';
import { countByState, formatDuration, formatInstances, formatWorkspaces } from './format.js';
import { ImportFileError, parseImportFile, readImportSource, type ImportFile } from './import-file.js';

/** What the process entry provides to the commands. */
export interface ProgramActions {
  /** Runs the daemon until SIGTERM. Resolves to the exit code. */
  start(): Promise<number>;
  /** Applies migrations. Resolves to the exit code. */
  migrate(): Promise<number>;
  /** Re-encrypts every stored token with the current key. Resolves to the exit code. */
  rotateKeys(): Promise<number>;
  /** Runs the interactive demo. Resolves to the exit code. */
  demo(): Promise<number>;
  /** A client for the running daemon's admin API (rejects when no token can be found or the config is bad). */
  admin(): Promise<AdminClient>;
}

/** Where commands write; the process streams unless a test gives others. */
export interface ProgramOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: ProgramOutput = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/**
 * The `flotilla` command line. Sets `process.exitCode`; never calls
 * `process.exit` itself. Every failure prints one line to stderr,
 * `flotilla: <what is wrong>`, and sets a non-zero exit code.
 */
export function buildProgram(actions: ProgramActions, version: string, io: ProgramOutput = processOutput): Command {
  const program = new Command('flotilla')
    .description('Keeps a fleet of Slack bots online: one supervised connection per workspace.')
    .version(version)
    .showHelpAfterError()
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: (text, write) => write(text) });
  program.command('start').description('migrate, start the supervisor and admin server, run until SIGTERM')
    .action(async () => { process.exitCode = await actions.start(); });
  program.command('migrate').description('apply database migrations and exit')
    .action(async () => { process.exitCode = await actions.migrate(); });
  program.command('keys').description('the encryption key of stored tokens')
    .command('rotate').description('re-encrypt every stored token with FLOTILLA_ENCRYPTION_KEY, reading it with FLOTILLA_ENCRYPTION_KEY_PREVIOUS (or the data dir\'s encryption-key); safe to rerun, the daemon may be running')
    .action(async () => { process.exitCode = await actions.rotateKeys(); });
  program.command('demo').description('try flotilla without Slack: built-in Slack emulator, daemon, two sample workspaces, a chat in your terminal')
    .action(async () => { process.exitCode = await actions.demo(); });
  program.command('status').description('this instance (version, uptime, readiness, connections held) and the fleet (instances, workspaces by state)')
    .option('--json', 'print JSON')
    .action(guarded(io, async (options: { json?: boolean }) => status(await actions.admin(), io, options.json === true)));
  program.command('instances').description('the instances sharing the daemon\'s database: id, host, version, heartbeat age, connections held (* = the one answering)')
    .option('--json', 'print a JSON array (times as ISO 8601)')
    .action(guarded(io, async (options: { json?: boolean }) => {
      const instances = await (await actions.admin()).listInstances();
      io.out(options.json ? `${JSON.stringify(instances, null, 2)}\n` : `${formatInstances(instances)}\n`);
    }));
  addWorkspaceCommands(program.command('workspace').description('add, list, restart and remove workspaces of the running daemon'), actions, io);
  return program;
}

function addWorkspaceCommands(workspace: Command, actions: ProgramActions, io: ProgramOutput): void {
  workspace.command('add').description('validate the tokens with Slack (auth.test), store them encrypted, connect at once; prints the team id (with --from: one line per row)')
    .option('--bot-token <token>', 'bot token (xoxb-…)')
    .option('--app-token <token>', 'app-level token (xapp-…) for Socket Mode')
    .addOption(new Option('--transport <kind>', 'connection kind (default: socket-mode with --app-token; http: events at the public listener)').choices(['socket-mode', 'rtm', 'http']))
    .option('--from <file>', 'bulk import from FILE (- for stdin): JSON lines or CSV with a header, of botToken, appToken, transport; prints the team id or "row N: reason" per row, exits 1 if any row was refused')
    .action(guarded(io, async (options: { botToken?: string; appToken?: string; transport?: 'socket-mode' | 'rtm' | 'http'; from?: string }) => {
      if (options.from !== undefined) {
        if (options.botToken !== undefined || options.appToken !== undefined || options.transport !== undefined) {
          throw new UsageError('--from reads every token and transport from the file: give it alone');
        }
        await importFrom(options.from, actions, io);
        return;
      }
      if (options.botToken === undefined) throw new UsageError('give --bot-token xoxb-… (one workspace) or --from FILE|- (many)');
      const teamId = await (await actions.admin()).addWorkspace({
        botToken: options.botToken,
        ...(options.appToken === undefined ? {} : { appToken: options.appToken }),
        ...(options.transport === undefined ? {} : { transport: options.transport }),
      });
      io.out(`${teamId}\n`);
    }));
  workspace.command('list').description('every workspace of the fleet: team, name, transport, state, connected for, last event, restarts, owner instance, last error')
    .option('--json', 'print a JSON array (times as ISO 8601 or null)')
    .action(guarded(io, async (options: { json?: boolean }) => {
      const workspaces = await (await actions.admin()).listWorkspaces();
      if (options.json) io.out(`${JSON.stringify(workspaces, null, 2)}\n`);
      else io.out(workspaces.length === 0 ? 'no workspaces yet: add one with `flotilla workspace add --bot-token xoxb-… --app-token xapp-…`\n' : `${formatWorkspaces(workspaces)}\n`);
    }));
  workspace.command('restart').description('drop the connection of TEAM (or of every workspace with --all) and open a fresh one now')
    .argument('[team]', 'team id, e.g. T0123ABCD')
    .option('--all', 'every workspace')
    .action(guarded(io, async (team: string | undefined, options: { all?: boolean }) => {
      if ((team === undefined) === (options.all !== true)) throw new UsageError('give either a team id or --all');
      const restarted = await (await actions.admin()).restartWorkspace(team ?? 'all');
      io.out(`restarting ${restarted} workspace${restarted === 1 ? '' : 's'}\n`);
    }));
  workspace.command('remove').description('stop and delete a workspace (its team data stays); --revoke also revokes its bot token with Slack')
    .argument('<team>', 'team id, e.g. T0123ABCD')
    .option('--revoke', 'call auth.revoke first, so the token can never be used again')
    .action(guarded(io, async (team: string, options: { revoke?: boolean }) => {
      await (await actions.admin()).removeWorkspace(team, { revoke: options.revoke === true, actor: `cli:${currentUser()}` });
      io.out(`removed ${team}${options.revoke ? ' (token revoked)' : ''}\n`);
    }));
}

/**
 * `workspace add --from`: the file's rows in one admin call; one line per row, in the file's order
 * (the team id, or `row N: reason`); exit code 1 when any row was refused (the others are added).
 */
async function importFrom(from: string, actions: ProgramActions, io: ProgramOutput): Promise<void> {
  let file: ImportFile;
  try {
    file = parseImportFile(await readImportSource(from));
  } catch (error) {
    if (error instanceof ImportFileError) throw new UsageError(`${from === '-' ? 'stdin' : from}: ${error.message}`);
    throw new UsageError(`cannot read ${from === '-' ? 'stdin' : from}: ${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}`);
  }
  if (file.rows.length > MAX_IMPORT_ROWS) throw new UsageError(`${file.rows.length} rows: at most ${MAX_IMPORT_ROWS} per import; split the file`);
  const results = file.rows.length === 0 ? [] : await (await actions.admin()).importWorkspaces(file.rows);
  const lines = [...file.refused, ...results].sort((a, b) => a.row - b.row);
  io.out(lines.map((line) => ('teamId' in line ? line.teamId : `row ${line.row}: ${line.error}`)).join('\n') + '\n');
  const refused = lines.filter((line) => !('teamId' in line)).length;
  if (refused > 0) {
    io.err(`flotilla: ${refused} of ${lines.length} row(s) refused; the other ${lines.length - refused} added\n`);
    process.exitCode = 1;
  }
}

async function status(admin: AdminClient, io: ProgramOutput, isJson: boolean): Promise<void> {
  const [health, ready, workspaces, instances] = await Promise.all([
    admin.health(), admin.ready(), admin.listWorkspaces(), admin.listInstances().catch(() => undefined),
  ]);
  const counts = countByState(workspaces);
  const self = instances?.find((i) => i.isSelf);
  const here = workspaces.filter((w) => w.owner === health.instance);
  if (isJson) {
    io.out(`${JSON.stringify({
      ...health, ready: ready.status === 'ready', checks: ready.checks,
      connections: self?.connections ?? null, workspacesHere: { total: here.length, ...countByState(here) },
      instances: instances ?? null, workspaces: { total: workspaces.length, ...counts },
    }, null, 2)}\n`);
  } else {
    const failing = Object.entries(ready.checks).filter(([, state]) => state !== 'ok').map(([name]) => name);
    io.out([
      `flotilla ${health.version} at ${admin.url}, instance ${health.instance}, up ${formatDuration(health.uptimeSeconds * 1000)}`,
      ready.status === 'ready' ? 'ready: database ok, supervisor ok' : `NOT READY: ${failing.join(', ')} failing`,
      `this instance: ${self?.connections ?? '?'} connections, ${here.length} workspaces (connected ${countByState(here).connected})`,
      instances === undefined
        ? 'fleet: instances unknown (database unavailable)'
        : `fleet: ${instances.length} instance${instances.length === 1 ? '' : 's'}: ${instances.map((i) => `${i.id} ${i.connections} connections, heartbeat ${formatDuration(i.heartbeatAgeMs)} ago`).join('; ')}`,
      `workspaces: ${workspaces.length} (connected ${counts.connected}, connecting ${counts.connecting}, backoff ${counts.backoff}, stopped ${counts.stopped})`,
    ].join('\n') + '\n');
  }
  if (ready.status !== 'ready') process.exitCode = 1;
}

/** A mistake in how the command was called (exit code 2). */
class UsageError extends Error {}

/** Runs an action; any failure becomes one line on stderr and a non-zero exit code. */
function guarded<A extends unknown[]>(io: ProgramOutput, action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (error) {
      const prefix = error instanceof ConfigError ? 'invalid configuration: ' : '';
      const message = error instanceof FlotillaError || error instanceof UsageError ? error.message : errorMessage(error);
      io.err(`flotilla: ${prefix}${redactSecrets(message)}\n`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    }
  };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
