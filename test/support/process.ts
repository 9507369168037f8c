import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built entry point (`npm test` builds first). */
export const MAIN_JS = fileURLToPath(new URL('../../dist/src/main.js', import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
}

/** Runs `flotilla <args>` as a real process with exactly `env` (plus PATH), and `nodeFlags` for node itself. */
export function spawnFlotilla(
  args: readonly string[], env: Record<string, string>, options: { cwd?: string; nodeFlags?: readonly string[] } = {},
): Spawned {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), MAIN_JS, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: options.cwd ?? process.cwd(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}
