import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { checkSlackSignature } from '../../../src/public/slack-signature.js';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = 1_747_216_800;

function signed(body: string, ts = NOW, secret = SECRET): { timestamp: string; signature: string } {
  return { timestamp: String(ts), signature: `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}` };
}

describe('checkSlackSignature', () => {
  const body = 'token=xyz&team_id=T1&command=%2Fflotilla&text=ping';

  it('accepts Slack\'s signature on the exact bytes, within 5 minutes either way', () => {
    expect(checkSlackSignature(SECRET, signed(body), Buffer.from(body), NOW)).toBeUndefined();
    expect(checkSlackSignature(SECRET, signed(body, NOW - 300), Buffer.from(body), NOW)).toBeUndefined();
    expect(checkSlackSignature(SECRET, signed(body, NOW + 300), Buffer.from(body), NOW)).toBeUndefined();
  });

  it('refuses a timestamp more than 5 minutes off, before looking at the signature', () => {
    expect(checkSlackSignature(SECRET, signed(body, NOW - 301), Buffer.from(body), NOW)).toBe('stale_timestamp');
    expect(checkSlackSignature(SECRET, signed(body, NOW + 301), Buffer.from(body), NOW)).toBe('stale_timestamp');
  });

  it('refuses another secret, another body, another timestamp, and malformed signatures', () => {
    expect(checkSlackSignature(SECRET, signed(body, NOW, 'other'), Buffer.from(body), NOW)).toBe('bad_signature');
    expect(checkSlackSignature(SECRET, signed(body), Buffer.from(`${body}x`), NOW)).toBe('bad_signature');
    expect(checkSlackSignature(SECRET, { ...signed(body), timestamp: String(NOW - 1) }, Buffer.from(body), NOW)).toBe('bad_signature');
    const { signature } = signed(body);
    expect(checkSlackSignature(SECRET, { timestamp: String(NOW), signature: signature.toUpperCase().replace('V0=', 'v0=') }, Buffer.from(body), NOW)).toBe('bad_signature');
    expect(checkSlackSignature(SECRET, { timestamp: String(NOW), signature: 'v0=abc' }, Buffer.from(body), NOW)).toBe('bad_signature');
  });

  it('refuses missing or malformed headers', () => {
    const { signature, timestamp } = signed(body);
    expect(checkSlackSignature(SECRET, { timestamp: undefined, signature }, Buffer.from(body), NOW)).toBe('missing_headers');
    expect(checkSlackSignature(SECRET, { timestamp, signature: undefined }, Buffer.from(body), NOW)).toBe('missing_headers');
    expect(checkSlackSignature(SECRET, { timestamp: '1e9', signature }, Buffer.from(body), NOW)).toBe('missing_headers');
    expect(checkSlackSignature(SECRET, { timestamp, signature: signature.replace('v0=', 'v1=') }, Buffer.from(body), NOW)).toBe('missing_headers');
  });
});
