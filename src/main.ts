#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// Only what every command needs is imported here: the CLI's admin commands start in a fraction
// of the time when the daemon, database, logger, fastify and Slack clients stay unloaded.
import { AdminClient, resolveAdminTarget } from './admin/client.js';
import { buildProgram } from './cli/program.js';
import { adminAddressError, loadAdminSettings, loadConfig, parseKey, type Config } from './config.js';
import type { Daemon } from './daemon.js';
import type { Database } from './db/database.js';
import type { EmbeddedServer } from './db/embedded-server.js';
import { ConfigError, errorMessage } from './lib/errors.js';
import type { Logger } from './lib/logger.js';
import { redactSecrets } from './lib/redact.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Reads config; on a bad value prints one line naming the variable and returns undefined. */
function configOrExit(): Config | undefined {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`flotilla: invalid configuration: ${error.message}\n`);
    return undefined;
  }
}

async function processLogger(config: Config): Promise<Logger> {
  const { createLogger } = await import('./lib/logger.js');
  return createLogger({ level: config.logLevel, isPretty: process.stdout.isTTY === true });
}


/**
 * Runs the daemon until a signal. Signal handlers are installed before the
 * daemon starts (its workers connect while it is still starting): a SIGTERM
 * that arrives then stops it as soon as it is up; a second signal exits at once.
 */
async function start(): Promise<number> {
  const config = configOrExit();
  if (!config) return 2;
  const unsafe = adminAddressError(config); // before anything starts: one line, nothing half-started
  if (unsafe) {
    process.stderr.write(`flotilla: invalid configuration: ${unsafe.message}\n`);
    return 2;
  }
  // Before the daemon allocates: the reply tail is set by garbage collections (see gc-tuning.ts).
  (await import('./lib/gc-tuning.js')).tuneGarbageCollector({ heapGrowthPercent: config.heapGrowthPercent });
  const logger = await processLogger(config);
  (await import('./crash-guards.js')).installCrashGuards(logger);
  let daemon: Daemon | undefined;
  let signals = 0;
  let resolveExit!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => { resolveExit = resolve; });
  const stop = (running: Daemon): void => {
    running.stop().then(() => resolveExit(0), (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      resolveExit(1);
    });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'shutting down (send again to force)');
    if (daemon) stop(daemon);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The embedded server starts (a process of its own) while the daemon's modules load.
  const serverStart = config.databaseUrl !== undefined ? undefined
    : import('./db/embedded-server.js').then(({ EmbeddedServer }) => EmbeddedServer.start({ dataDir: config.dataDir, logger, role: 'owner' }));
  serverStart?.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
  try {
    const { Daemon } = await import('./daemon.js').catch(async (error: unknown) => {
      await (await serverStart?.catch(() => undefined))?.stop();
      throw error;
    });
    const server = await serverStart;
    daemon = await Daemon.start({ config, logger, version, ...(server ? { server } : {}) });
  } catch (error) {
    logger.fatal({ err: error }, 'could not start');
    process.stderr.write(`flotilla: could not start: ${redactSecrets(errorMessage(error))}\n`);
    return 1;
  }
  if (signals > 0) stop(daemon);
  return exitCode;
}

/** Applies migrations and exits: on DATABASE_URL, or on the embedded server (the running daemon's, or one started for the occasion). */
async function migrate(): Promise<number> {
  const config = configOrExit();
  if (!config) return 2;
  try {
    return await onDatabase(config, async (db) => {
      const { applied } = await db.migrate();
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      return 0;
    });
  } catch (error) {
    process.stderr.write(`flotilla: migration failed: ${redactSecrets(errorMessage(error))}\n`);
    return 1;
  }
}

/**
 * `flotilla keys rotate`: every stored token sealed again with FLOTILLA_ENCRYPTION_KEY, opened
 * with FLOTILLA_ENCRYPTION_KEY_PREVIOUS or else the data dir's generated key. Reaches the
 * database as `migrate` does, so the daemon may be running. One line on stdout, or one on stderr.
 */
async function rotateKeys(): Promise<number> {
  const config = configOrExit();
  if (!config) return 2;
  const refuse = (text: string): number => {
    process.stderr.write(`flotilla: keys rotate: ${text}\n`);
    return 2;
  };
  if (config.encryptionKey === undefined) {
    return refuse('FLOTILLA_ENCRYPTION_KEY is unset: set it to the new key (openssl rand -base64 32); the old one is read from FLOTILLA_ENCRYPTION_KEY_PREVIOUS or the data dir\'s encryption-key file');
  }
  const keyFile = join(config.dataDir, 'encryption-key');
  let previous = config.previousEncryptionKey;
  let source = 'FLOTILLA_ENCRYPTION_KEY_PREVIOUS';
  if (previous === undefined) {
    const text = await readFile(keyFile, 'utf8').catch((error: NodeJS.ErrnoException) => error);
    if (text instanceof Error && (text as NodeJS.ErrnoException).code !== 'ENOENT') {
      return refuse(`cannot read ${keyFile} (${(text as NodeJS.ErrnoException).code ?? text.message}); run as the daemon's user or set FLOTILLA_ENCRYPTION_KEY_PREVIOUS`);
    }
    if (typeof text !== 'string' || text.trim() === '') return refuse(`no old key: FLOTILLA_ENCRYPTION_KEY_PREVIOUS is unset and ${keyFile} does not exist`);
    try {
      previous = parseKey(text.trim(), keyFile);
    } catch (error) {
      return refuse(errorMessage(error));
    }
    source = keyFile;
  }
  if (previous.equals(config.encryptionKey)) return refuse(`FLOTILLA_ENCRYPTION_KEY is the old key (${source}): set it to a new one`);
  const { SecretBox } = await import('./lib/secret-box.js');
  const { rotateTokenKeys } = await import('./db/key-rotation.js');
  try {
    const { reencrypted, alreadyCurrent } = await onDatabase(config, (db) => rotateTokenKeys(db.kysely, {
      current: new SecretBox(config.encryptionKey!), previous: new SecretBox(previous),
    }));
    process.stdout.write(`re-encrypted ${reencrypted} workspace(s) with the new key (${alreadyCurrent} already on it; old key from ${source})\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`flotilla: keys rotate failed: ${redactSecrets(errorMessage(error))}\n`);
    return 1;
  }
}

/**
 * Runs `use` on the database: DATABASE_URL, or the embedded server as a guest (the running
 * daemon's, or one started for the occasion and stopped after). Closes what it opened.
 */
async function onDatabase<T>(config: Config, use: (db: Database) => Promise<T>): Promise<T> {
  const logger = await processLogger(config);
  const { openDatabase } = await import('./db/database.js');
  let server: EmbeddedServer | undefined;
  let db: Database | undefined;
  try {
    if (config.databaseUrl === undefined) server = await (await import('./db/embedded-server.js')).EmbeddedServer.start({ dataDir: config.dataDir, logger, role: 'guest' });
    db = await openDatabase({ target: config.databaseUrl ?? server!.connection, logger });
    return await use(db);
  } finally {
    await db?.close();
    await server?.stop();
  }
}

/** A client for the running daemon (config errors reach the CLI as ConfigError, which it prints). */
async function admin(): Promise<AdminClient> {
  return new AdminClient(await resolveAdminTarget(loadAdminSettings()));
}

// The daemon, database and demo are imported when used: `flotilla workspace …` starts in a fraction of the time.
const program = buildProgram({ start, migrate, rotateKeys, admin, demo: async () => (await import('./demo.js')).runDemo({ version }) }, version);
await program.parseAsync(process.argv);
// Sockets' close handshakes and client timers may linger after a clean stop: leave now with our code.
process.exit(process.exitCode ?? 0);
