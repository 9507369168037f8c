import { open, readFile, unlink } from 'node:fs/promises';
import { DatabaseError } from './errors.js';

/**
 * Locks held by this process. Needed because a pid alone cannot tell: in a
 * container the daemon is often pid 1 on every start, so a lock left by a
 * crash carries our own pid.
 */
const heldByThisProcess = new Set<string>();

/**
 * An exclusive, pid-stamped lock file: PGlite is one process's database, and
 * a second process opening the same data dir would corrupt it. A lock left by
 * a dead process is taken over. Resolves to an idempotent release.
 */
export async function lockDataDir(lockPath: string, what: string): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      heldByThisProcess.add(lockPath);
      let isReleased = false;
      return async () => {
        if (isReleased) return;
        isReleased = true;
        heldByThisProcess.delete(lockPath);
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (heldByThisProcess.has(lockPath)) {
      throw new DatabaseError(`${what} is already open in this process (lock ${lockPath})`);
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new DatabaseError(
        `${what} is in use by process ${holder} (lock ${lockPath}); stop it first, or use DATABASE_URL for a server`,
      );
    }
    await unlink(lockPath).catch(() => undefined); // stale: its process is gone
  }
  throw new DatabaseError(`cannot lock ${what} (lock ${lockPath})`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
