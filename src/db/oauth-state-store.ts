import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';

/** How long an install `state` is good for: Slack's codes live ten minutes, so does the state that asked for one. */
export const OAUTH_STATE_TTL_MS = 10 * 60_000;

/** Why a state was refused. */
export type StateRefusal = 'unknown' | 'used' | 'expired';

/** The outcome of {@link OAuthStateRepository.consume}. */
export type StateVerdict =
  | { readonly ok: true; readonly installOptions: unknown }
  | { readonly ok: false; readonly reason: StateRefusal };

/**
 * The install flow's `state` values (`oauth_states`). Only a SHA-256 digest of
 * each is stored, so a database dump cannot complete anyone's install; a state
 * is good once (`used_at`) and for ten minutes (`expires_at`, by the database's
 * clock, so instances agree). Rows long expired are pruned as new ones are issued.
 */
export class OAuthStateRepository {
  readonly #db: Kysely<Schema>;

  constructor(kysely: Kysely<Schema>) {
    this.#db = kysely;
  }

  /** A new random state (43 url-safe characters) bound to `installOptions` (stored as JSON). Resolves to the state itself, never stored. */
  async issue(installOptions: unknown): Promise<string> {
    const state = randomBytes(32).toString('base64url');
    await this.#db.insertInto('oauth_states').values({
      state_hash: digest(state),
      install_options: JSON.stringify(installOptions),
      expires_at: sql<Date>`now() + ${`${OAUTH_STATE_TTL_MS} milliseconds`}::interval`,
    }).execute();
    await this.#db.deleteFrom('oauth_states').where('expires_at', '<', sql<Date>`now() - interval '1 hour'`).execute();
    return state;
  }

  /**
   * Uses the state up, in one statement (two redirects racing with one state:
   * one wins). Resolves to its install options, or why it was refused:
   * `unknown` (never issued, or pruned), `used`, `expired`.
   */
  async consume(state: string): Promise<StateVerdict> {
    const hash = digest(state);
    const used = await this.#db.updateTable('oauth_states')
      .set({ used_at: sql<Date>`now()` })
      .where('state_hash', '=', hash).where('used_at', 'is', null).where('expires_at', '>', sql<Date>`now()`)
      .returning('install_options')
      .executeTakeFirst();
    if (used !== undefined) return { ok: true, installOptions: used.install_options };
    const row = await this.#db.selectFrom('oauth_states').select(['used_at']).where('state_hash', '=', hash).executeTakeFirst();
    if (row === undefined) return { ok: false, reason: 'unknown' };
    return { ok: false, reason: row.used_at !== null ? 'used' : 'expired' };
  }
}

function digest(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}
