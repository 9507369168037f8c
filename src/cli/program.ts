import { Command } from 'commander';

/** What the process entry provides for the commands that run in-process. */
export interface ProgramActions {
  /** Runs the daemon until SIGTERM. Resolves to the exit code. */
  start(): Promise<number>;
  /** Applies migrations. Resolves to the exit code. */
  migrate(): Promise<number>;
}

/** The `flotilla` command line. Sets `process.exitCode`; never calls `process.exit` itself. */
export function buildProgram(actions: ProgramActions, version: string): Command {
  const program = new Command('flotilla')
    .description('Keeps a fleet of Slack bots online: one supervised connection per workspace.')
    .version(version)
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });
  program.command('start').description('migrate, start the supervisor and admin server, run until SIGTERM')
    .action(async () => { process.exitCode = await actions.start(); });
  program.command('migrate').description('apply database migrations and exit')
    .action(async () => { process.exitCode = await actions.migrate(); });
  return program;
}
