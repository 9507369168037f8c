import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { redactSecrets } from './redact.js';

export { redactSecrets } from './redact.js';

export type { Logger };

/**
 * Paths pino blanks in every line: tokens, secrets and keys never reach a log,
 * whatever object a caller passes.
 */
export const REDACT_PATHS: readonly string[] = [
  'token', 'botToken', 'appToken', 'bot_token', 'app_token', 'authorization', 'Authorization',
  'encryptionKey', 'adminToken', 'signingSecret', 'password',
  '*.token', '*.botToken', '*.appToken', '*.bot_token', '*.app_token', '*.authorization',
  '*.encryptionKey', '*.adminToken', '*.signingSecret', '*.password',
  'headers.authorization', 'req.headers.authorization',
];


export interface LoggerOptions {
  readonly level: string;
  /** Pretty, human output (for a terminal); JSON lines otherwise. */
  readonly isPretty?: boolean;
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The process logger: pino JSON lines with secrets redacted; with `isPretty`,
 * human-readable lines (same redaction: it happens before formatting).
 */
export function createLogger(options: LoggerOptions): Logger {
  // pino-pretty only for a terminal, loaded then: it is a fair share of a start's imports.
  const pretty = options.isPretty ? (createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty) : undefined;
  const destination = pretty
    ? pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', destination: options.destination ?? process.stdout })
    : options.destination;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Messages are free text; scrub anything token-shaped that slipped in.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? redactSecrets(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
      serializers: {
        err: (error: unknown) => serializeError(error),
        error: (error: unknown) => serializeError(error),
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}

function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? redactSecrets(error) : error;
  const out: Record<string, unknown> = {
    type: error.name,
    message: redactSecrets(error.message),
    stack: error.stack ? redactSecrets(error.stack) : undefined,
  };
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  return out;
}

/** A logger that drops everything (tests, libraries used quietly). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
