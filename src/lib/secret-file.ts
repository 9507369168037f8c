import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FlotillaError } from './errors.js';

/** A secret file exists but cannot be used. The message names the path, never the content. */
export class SecretFileError extends FlotillaError {
  readonly code = 'flotilla_secret_file';
}

/**
 * Reads the secret stored at `path` (trimmed), or, when the file is missing,
 * stores `generate()` there with mode 0600 (directory created 0700) and
 * returns it. Creation is atomic: the value is written to a private temp file
 * and hard-linked into place, so a reader never sees a partial file and of
 * two processes racing, both return the value that won.
 */
export async function readOrCreateSecret(path: string, generate: () => string): Promise<string> {
  const existing = await readSecret(path);
  if (existing !== undefined) return existing;

  const value = generate().trim();
  if (value === '') throw new SecretFileError(`refusing to store an empty secret in ${path}`);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${value}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
    return value;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const winner = await readSecret(path);
    if (winner === undefined) throw new SecretFileError(`secret file ${path} vanished while being created`);
    return winner;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** A random secret: `bytes` random bytes as base64url text (admin tokens and the like). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

async function readSecret(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const value = text.trim();
  if (value === '') throw new SecretFileError(`secret file ${path} is empty; delete it or write a value`);
  return value;
}
