import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SecretBox, SecretBoxError } from '../../src/lib/secret-box.js';
import { randomSecret, readOrCreateSecret, SecretFileError } from '../../src/lib/secret-file.js';

describe('SecretBox', () => {
  const box = new SecretBox(SecretBox.generateKey());

  it('round-trips, with a fresh IV each time', () => {
    const a = box.seal('xoxb-secret');
    const b = box.seal('xoxb-secret');
    expect(a).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(box.open(a)).toBe('xoxb-secret');
    expect(box.open(box.seal(''))).toBe('');
  });

  it('fails clearly, without echoing anything secret, on a wrong key, a corrupt value or another context', () => {
    const sealed = box.seal('xoxb-secret', 'T1');
    const other = new SecretBox(SecretBox.generateKey());
    const attempts = [
      () => other.open(sealed, 'T1'),
      () => box.open(sealed, 'T2'),
      () => box.open(`${sealed.slice(0, -4)}AAAA`, 'T1'),
      () => box.open('v1:AAAA', 'T1'),
      () => box.open('xoxb-secret', 'T1'),
    ];
    for (const attempt of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SecretBoxError);
      const message = (caught as Error).message;
      expect(message).toMatch(/cannot open secret/);
      expect(message).not.toContain('xoxb');
      expect(message).not.toContain(sealed.slice(3, 20));
    }
  });

  it('opens values sealed with a previous key, and seals with the current one only', () => {
    const oldKey = SecretBox.generateKey();
    const sealedBefore = new SecretBox(oldKey).seal('xoxb-secret', 'T1');
    const rotating = new SecretBox(SecretBox.generateKey(), [oldKey]);
    expect(rotating.open(sealedBefore, 'T1')).toBe('xoxb-secret');
    expect(() => rotating.open(sealedBefore, 'T2')).toThrow(SecretBoxError);
    const sealedNow = rotating.seal('xoxb-secret', 'T1');
    expect(() => new SecretBox(oldKey).open(sealedNow, 'T1')).toThrow(SecretBoxError);
    expect(() => new SecretBox(SecretBox.generateKey(), [SecretBox.generateKey()]).open(sealedBefore, 'T1')).toThrow(/wrong encryption key/);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => new SecretBox('c2hvcnQ=')).toThrow(/32 bytes/);
    expect(() => new SecretBox(Buffer.alloc(32))).not.toThrow();
    expect(() => new SecretBox(Buffer.alloc(32, 255).toString('base64url'))).not.toThrow();
  });
});

describe('readOrCreateSecret', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-secret-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file (and its directory) with mode 0600, then reads it back', async () => {
    const path = join(dir, 'nested', 'deeper', 'encryption-key');
    const key = await readOrCreateSecret(path, SecretBox.generateKey);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(key);
    expect(await readOrCreateSecret(path, () => 'other')).toBe(key);
  });

  it('ends with one value when many callers race', async () => {
    const path = join(dir, 'race', 'admin-token');
    const values = await Promise.all(Array.from({ length: 30 }, (_, i) => readOrCreateSecret(path, () => `${randomSecret()}-${i}`)));
    expect(new Set(values).size).toBe(1);
    expect((await readFile(path, 'utf8')).trim()).toBe(values[0]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('ends with one value when separate processes race', async () => {
    // The built module (`npm test` builds first), in several processes started at once.
    const modulePath = fileURLToPath(new URL('../../dist/src/lib/secret-file.js', import.meta.url));
    const path = join(dir, 'processes', 'encryption-key');
    const script = `const { readOrCreateSecret } = await import(process.argv[1]);
      process.stdout.write(await readOrCreateSecret(process.argv[2], () => 'value-' + process.pid));`;
    const run = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, modulePath, path]);
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
      });
    const values = await Promise.all(Array.from({ length: 6 }, run));
    expect(new Set(values).size).toBe(1);
    expect(values[0]).toMatch(/^value-\d+$/);
    expect((await readFile(path, 'utf8')).trim()).toBe(values[0]);
  });

  it('uses an existing file as is and refuses an empty one', async () => {
    const path = join(dir, 'given');
    await writeFile(path, '  my-token\n');
    expect(await readOrCreateSecret(path, () => 'generated')).toBe('my-token');
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n');
    await expect(readOrCreateSecret(empty, () => 'generated')).rejects.toBeInstanceOf(SecretFileError);
  });
});
