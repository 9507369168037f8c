import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { FlotillaError } from './errors.js';

/** A key is unusable, or a sealed value cannot be opened. Never carries the key or the value. */
export class SecretBoxError extends FlotillaError {
  readonly code = 'flotilla_secret_box';
}

const VERSION = 'v1:';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * AES-256-GCM for secrets at rest. `seal` gives `v1:` + base64(iv | tag |
 * ciphertext) with a fresh random IV each time. An optional `context` is bound
 * as associated data: a value sealed for one context (e.g. one team's bot
 * token) does not open under another.
 */
export class SecretBox {
  readonly #key: Buffer;
  /** Keys being rotated away from: tried by `open` after `#key`, never used to seal. */
  readonly #previous: readonly Buffer[];

  /**
   * `key`: 32 bytes, or their base64 text (as in FLOTILLA_ENCRYPTION_KEY).
   * `previous`: keys that `open` also accepts (FLOTILLA_ENCRYPTION_KEY_PREVIOUS
   * during a rotation); `seal` always uses `key`.
   */
  constructor(key: Buffer | string, previous: ReadonlyArray<Buffer | string> = []) {
    this.#key = keyBytes(key);
    this.#previous = previous.map(keyBytes).filter((bytes) => !bytes.equals(this.#key));
  }

  /** A fresh random key as base64 text, ready for `new SecretBox(...)` or a key file. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  /** Encrypts `plain`; the result is ASCII and safe to store in a text column. */
  seal(plain: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return VERSION + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
  }

  /**
   * Decrypts a value from `seal` (same key or a previous one, same context). Throws
   * SecretBoxError (message names neither key nor value) when the key is wrong
   * or the value corrupt.
   */
  open(sealed: string, context = ''): string {
    if (!sealed.startsWith(VERSION)) {
      throw new SecretBoxError('cannot open secret: unknown format (expected a v1: value)');
    }
    const bytes = Buffer.from(sealed.slice(VERSION.length), 'base64');
    if (bytes.length < IV_BYTES + TAG_BYTES) {
      throw new SecretBoxError('cannot open secret: value is truncated');
    }
    for (const key of [this.#key, ...this.#previous]) {
      const plain = openWith(key, bytes, context);
      if (plain !== undefined) return plain;
    }
    throw new SecretBoxError('cannot open secret: wrong encryption key or corrupt value');
  }
}

function keyBytes(key: Buffer | string): Buffer {
  const bytes = typeof key === 'string' ? Buffer.from(key.trim(), 'base64') : Buffer.from(key);
  if (bytes.length !== KEY_BYTES) {
    throw new SecretBoxError(`encryption key must be ${KEY_BYTES} bytes (base64), got ${bytes.length} bytes`);
  }
  return bytes;
}

/** The plain text, or undefined when `key` is not the one that sealed `bytes` (or they were altered). */
function openWith(key: Buffer, bytes: Buffer, context: string): string | undefined {
  const iv = bytes.subarray(0, IV_BYTES);
  const tag = bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const ciphertext = bytes.subarray(IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
