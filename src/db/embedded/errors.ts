import { FlotillaError } from '../../lib/errors.js';

/**
 * The embedded PostgreSQL server cannot be prepared, started or shared. The
 * message is one line fit for an operator's terminal: what is wrong and what
 * to do; never a password.
 */
export class EmbeddedServerError extends FlotillaError {
  readonly code = 'flotilla_embedded_server';
}

/** Another flotilla process runs the embedded server of this data dir: a second `flotilla start` is refused. */
export class DataDirInUseError extends FlotillaError {
  readonly code = 'flotilla_data_dir_in_use';
}
