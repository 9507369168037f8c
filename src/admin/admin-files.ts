import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the daemon keeps its generated admin token (mode 0600) unless `FLOTILLA_ADMIN_TOKEN` is set. */
export function adminTokenPath(dataDir: string): string {
  return join(dataDir, 'admin-token');
}

/** Where a running daemon writes the URL its admin API is bound to (useful with port 0). */
export function adminUrlPath(dataDir: string): string {
  return join(dataDir, 'admin-url');
}

/** Writes `url` to the admin-url file atomically (a reader never sees half a line). */
export async function writeAdminUrl(dataDir: string, url: string): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const path = adminUrlPath(dataDir);
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, `${url}\n`, { mode: 0o644 });
  await rename(temp, path);
}

/** Removes the admin-url file if it still names `url` (another daemon may have replaced it). Never rejects. */
export async function removeAdminUrl(dataDir: string, url: string): Promise<void> {
  const path = adminUrlPath(dataDir);
  if ((await readTrimmed(path)) === url) await unlink(path).catch(() => undefined);
}

/** The trimmed content of a small text file, or undefined when it is missing or empty. */
export async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
