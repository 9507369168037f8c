import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The pid in `pgdata/postmaster.pid` when that process lives; undefined when no server runs there. */
export async function postmasterPid(pgdata: string): Promise<number | undefined> {
  const text = await readFile(join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '');
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Fast-stops a server a test left running (e.g. its daemon was killed), and waits until it is gone. */
export async function stopEmbeddedServer(pgdata: string): Promise<void> {
  const pid = await postmasterPid(pgdata);
  if (pid === undefined) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (await postmasterPid(pgdata)) !== undefined) await new Promise((resolve) => setTimeout(resolve, 20));
}
