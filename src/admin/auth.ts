import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Checks an `Authorization` header against the admin token in constant time
 * (both sides are hashed first, so neither length nor content leaks through
 * timing). Resolves to undefined when allowed, else to what is wrong.
 */
export function checkBearer(header: string | undefined, token: string): string | undefined {
  if (header === undefined || header === '') return 'missing bearer token (Authorization: Bearer <FLOTILLA_ADMIN_TOKEN>)';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return 'the Authorization header must be "Bearer <token>"';
  const given = createHash('sha256').update(match[1]!).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) ? undefined : 'wrong admin token';
}
