/** What the HTTP mode's contenders share: the app's signing secret, handed down in the child's environment (never on a command line). */
export const SIGNING_SECRET_ENV = 'BENCH_SIGNING_SECRET';

export function signingSecretFromEnv(): string {
  const secret = process.env[SIGNING_SECRET_ENV];
  if (secret === undefined || secret === '') throw new Error(`${SIGNING_SECRET_ENV} is not set`);
  return secret;
}
