import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import type * as Zod from 'zod';
import { ConfigError } from './lib/errors.js';

/** Where the admin API listens. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Every setting flotilla reads from the environment, validated and frozen. */
export interface Config {
  /** `postgres://…` for a server; undefined → flotilla runs its own PostgreSQL server under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  /** Web API base URL, always ending in `/`. */
  readonly slackApiUrl: string;
  readonly pollIntervalMs: number;
  readonly adminAddr: ListenAddress;
  readonly adminUrl: string;
  /** Whether `FLOTILLA_ADMIN_URL` was given; if not, the CLI prefers the address the daemon wrote into `dataDir/admin-url`. */
  readonly isAdminUrlSet: boolean;
  /** Undefined → generated into `dataDir/admin-token`. */
  readonly adminToken: string | undefined;
  /** Undefined → generated into `dataDir/encryption-key`. */
  readonly encryptionKey: Buffer | undefined;
  readonly logLevel: string;
  /** Connection opens allowed per second, fleet-wide. */
  readonly connectRatePerSec: number;
  /** How long SIGTERM waits for in-flight handlers. */
  readonly shutdownGraceMs: number;
  /** How far the heap may grow past its live size between full collections (%); 0: V8 decides. */
  readonly heapGrowthPercent: number;
  /** This instance's name among several on one database (`owner` in `workspace list`), verbatim. */
  readonly instanceId: string;
  /** How long a connection's owner may go without renewing its lease before another instance takes it over. */
  readonly leaseTtlMs: number;
  /** The key being rotated away from (`flotilla keys rotate`). */
  readonly previousEncryptionKey: Buffer | undefined;
  /** The Slack-facing listener (OAuth install, HTTP events); undefined → nothing listens. */
  readonly publicAddr: ListenAddress | undefined;
  /** How Slack and browsers reach that listener (no trailing slash); undefined when it is off. */
  readonly publicUrl: string | undefined;
  /** The distributed app's OAuth credentials; undefined → no OAuth install. */
  readonly oauth: OAuthCredentials | undefined;
  /** Verifies every request to `/slack/events`; undefined → no HTTP events. */
  readonly signingSecret: string | undefined;
  /** The distributed app's `xapp-` token: OAuth-installed workspaces use its Socket Mode connection instead of HTTP. */
  readonly slackAppToken: string | undefined;
  /** Bot scopes asked for at install. */
  readonly slackScopes: readonly string[];
  /** The origin of SLACK_API_URL (`https://slack.com`): where `/oauth/v2/authorize` lives. */
  readonly slackOrigin: string;
}

/** A distributed app's OAuth client. */
export interface OAuthCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/**
 * Bot scopes asked for at install when SLACK_SCOPES is unset: what the commands use, as in
 * slack-app-manifest.yaml. Wider than DESIGN's first list: `settings summary-channel` reads the
 * channel (`channels:read`, `groups:read`), private channels and group DMs carry mentions too.
 */
export const DEFAULT_SLACK_SCOPES = 'app_mentions:read,channels:history,groups:history,im:history,mpim:history,chat:write,im:write,channels:read,groups:read,commands,users:read,team:read';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// zod is loaded on the first loadConfig(): the CLI's admin commands read their few settings
// without it (loadAdminSettings), so `flotilla workspace list` starts fast.
let z!: typeof Zod;
const makeWholeNumber = (zod: typeof Zod) => zod.string().regex(/^\d+$/, 'must be a whole number').transform(Number);
let wholeNumber!: ReturnType<typeof makeWholeNumber>;
const positiveInt = (max: number) => wholeNumber.pipe(z.number().int().min(1).max(max));

const schemaOf = () => z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  FLOTILLA_DATA_DIR: z.string().min(1).default('./.flotilla'),
  SLACK_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('https://slack.com/api/'),
  FLOTILLA_POLL_INTERVAL_MS: positiveInt(86_400_000).default(90_000),
  FLOTILLA_ADMIN_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8787').default('127.0.0.1:8787'),
  FLOTILLA_ADMIN_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).default('http://127.0.0.1:8787'),
  FLOTILLA_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  FLOTILLA_ENCRYPTION_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  FLOTILLA_CONNECT_RATE: positiveInt(10_000).default(20),
  FLOTILLA_SHUTDOWN_GRACE_MS: positiveInt(600_000).default(10_000),
  FLOTILLA_HEAP_GROWTH_PERCENT: wholeNumber.pipe(z.number().int().max(400, 'must be 0-400')).default(100),
  FLOTILLA_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,99}$/, 'must be 1-100 letters, digits and . _ : @ -, starting with a letter or digit').optional(),
  FLOTILLA_LEASE_TTL_MS: wholeNumber.pipe(z.number().int().min(1_000, 'must be at least 1000').max(3_600_000, 'must be at most 3600000')).default(15_000),
  FLOTILLA_ENCRYPTION_KEY_PREVIOUS: z.string().optional(),
  FLOTILLA_PUBLIC_ADDR: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:3000').optional(),
  FLOTILLA_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  SLACK_CLIENT_ID: z.string().regex(/^[0-9]+\.[0-9]+$/, 'must look like 1234567890.1234567890').optional(),
  SLACK_CLIENT_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
  SLACK_SIGNING_SECRET: z.string().min(8, 'must be at least 8 characters').optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token (xapp-…)').optional(),
  SLACK_SCOPES: z.string().regex(/^[a-z:._-]+(,[a-z:._-]+)*$/, 'must be a comma-separated list of scopes').default(DEFAULT_SLACK_SCOPES),
});

/**
 * Reads the environment once. Empty strings count as unset. Throws
 * `ConfigError` naming the first bad variable; never echoes a secret's value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const schema = loadedSchema();
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') input[key] = value.trim();
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0] ?? 'environment'), issue.message);
  }
  const v = parsed.data;
  const adminAddr = listenAddress('FLOTILLA_ADMIN_ADDR', v.FLOTILLA_ADMIN_ADDR);
  const publicAddr = v.FLOTILLA_PUBLIC_ADDR === undefined ? undefined : listenAddress('FLOTILLA_PUBLIC_ADDR', v.FLOTILLA_PUBLIC_ADDR);
  if ((v.SLACK_CLIENT_ID === undefined) !== (v.SLACK_CLIENT_SECRET === undefined)) {
    throw new ConfigError(v.SLACK_CLIENT_ID === undefined ? 'SLACK_CLIENT_ID' : 'SLACK_CLIENT_SECRET', 'SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together');
  }
  if (v.FLOTILLA_PUBLIC_URL !== undefined && publicAddr === undefined) {
    throw new ConfigError('FLOTILLA_PUBLIC_URL', 'needs FLOTILLA_PUBLIC_ADDR (the listener it points at)');
  }
  return Object.freeze({
    databaseUrl: v.DATABASE_URL,
    dataDir: v.FLOTILLA_DATA_DIR,
    slackApiUrl: v.SLACK_API_URL.endsWith('/') ? v.SLACK_API_URL : `${v.SLACK_API_URL}/`,
    pollIntervalMs: v.FLOTILLA_POLL_INTERVAL_MS,
    adminAddr,
    adminUrl: v.FLOTILLA_ADMIN_URL.replace(/\/+$/, ''),
    isAdminUrlSet: input.FLOTILLA_ADMIN_URL !== undefined,
    adminToken: v.FLOTILLA_ADMIN_TOKEN,
    encryptionKey: v.FLOTILLA_ENCRYPTION_KEY === undefined ? undefined : parseKey(v.FLOTILLA_ENCRYPTION_KEY),
    logLevel: v.LOG_LEVEL,
    connectRatePerSec: v.FLOTILLA_CONNECT_RATE,
    shutdownGraceMs: v.FLOTILLA_SHUTDOWN_GRACE_MS,
    heapGrowthPercent: v.FLOTILLA_HEAP_GROWTH_PERCENT,
    instanceId: v.FLOTILLA_INSTANCE_ID ?? `${hostname()}-${process.pid}`,
    leaseTtlMs: v.FLOTILLA_LEASE_TTL_MS,
    previousEncryptionKey: v.FLOTILLA_ENCRYPTION_KEY_PREVIOUS === undefined
      ? undefined : parseKey(v.FLOTILLA_ENCRYPTION_KEY_PREVIOUS, 'FLOTILLA_ENCRYPTION_KEY_PREVIOUS'),
    publicAddr,
    publicUrl: publicAddr === undefined ? undefined : (v.FLOTILLA_PUBLIC_URL ?? `http://${v.FLOTILLA_PUBLIC_ADDR}`).replace(/\/+$/, ''),
    oauth: v.SLACK_CLIENT_ID === undefined || v.SLACK_CLIENT_SECRET === undefined
      ? undefined : Object.freeze({ clientId: v.SLACK_CLIENT_ID, clientSecret: v.SLACK_CLIENT_SECRET }),
    signingSecret: v.SLACK_SIGNING_SECRET,
    slackAppToken: v.SLACK_APP_TOKEN,
    slackScopes: Object.freeze(v.SLACK_SCOPES.split(',')),
    slackOrigin: new URL(v.SLACK_API_URL).origin,
  });
}

let schemaMemo: ReturnType<typeof schemaOf> | undefined;
function loadedSchema(): ReturnType<typeof schemaOf> {
  if (schemaMemo) return schemaMemo;
  z = createRequire(import.meta.url)('zod') as typeof Zod;
  wholeNumber = makeWholeNumber(z);
  return (schemaMemo = schemaOf());
}

/** What the CLI needs to reach a running daemon (see admin/client.ts). */
export interface AdminSettings {
  readonly dataDir: string;
  readonly adminUrl: string;
  readonly isAdminUrlSet: boolean;
  readonly adminToken: string | undefined;
}

/**
 * The admin settings alone (FLOTILLA_DATA_DIR, FLOTILLA_ADMIN_URL,
 * FLOTILLA_ADMIN_TOKEN), by the same rules as loadConfig but without loading
 * its schema library: what `flotilla workspace …` and `status` need. Throws
 * ConfigError naming a bad variable.
 */
export function loadAdminSettings(env: NodeJS.ProcessEnv = process.env): AdminSettings {
  const read = (key: string): string | undefined => {
    const value = env[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const urlText = read('FLOTILLA_ADMIN_URL');
  let protocol = '';
  try {
    protocol = new URL(urlText ?? 'http://127.0.0.1:8787').protocol;
  } catch { /* reported below */ }
  if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError('FLOTILLA_ADMIN_URL', 'must be an http(s) URL');
  const adminToken = read('FLOTILLA_ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('FLOTILLA_ADMIN_TOKEN', 'must be at least 16 characters');
  return {
    dataDir: read('FLOTILLA_DATA_DIR') ?? './.flotilla',
    adminUrl: (urlText ?? 'http://127.0.0.1:8787').replace(/\/+$/, ''),
    isAdminUrlSet: urlText !== undefined,
    adminToken,
  };
}

/**
 * Why the admin API must not listen where the config says (a ConfigError
 * naming FLOTILLA_ADMIN_ADDR), or undefined when it may: off a loopback address (127.0.0.0/8, ::1, localhost) it needs
 * FLOTILLA_ADMIN_TOKEN set explicitly, not a token generated into a data dir
 * that nobody chose to share. The text is one line naming both variables.
 */
export function adminAddressError(config: Pick<Config, 'adminAddr' | 'adminToken'>): ConfigError | undefined {
  if (config.adminToken !== undefined || isLoopbackHost(config.adminAddr.host)) return undefined;
  return new ConfigError('FLOTILLA_ADMIN_ADDR', `${config.adminAddr.host} is not a loopback address; set FLOTILLA_ADMIN_TOKEN explicitly to serve the admin API there (or listen on 127.0.0.1)`);
}

/** 127.0.0.0/8, ::1 (bracketed or not) and localhost; any other name or address counts as reachable from outside. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  const octets = bare.split('.');
  return octets.length === 4 && octets[0] === '127' && octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255);
}

function listenAddress(variable: string, addr: string): ListenAddress {
  const at = addr.lastIndexOf(':');
  const port = Number(addr.slice(at + 1));
  if (port > 65_535) throw new ConfigError(variable, 'port must be 0-65535');
  return Object.freeze({ host: addr.slice(0, at), port });
}

/** A 32-byte key given as base64 (the value itself is never echoed). */
export function parseKey(text: string, variable = 'FLOTILLA_ENCRYPTION_KEY'): Buffer {
  const key = Buffer.from(text, 'base64');
  if (key.length !== 32 || !/^[A-Za-z0-9+/=_-]+$/.test(text)) {
    throw new ConfigError(variable, 'must be 32 bytes, base64-encoded (openssl rand -base64 32)');
  }
  return key;
}
