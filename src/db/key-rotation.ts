import { sql, type Kysely } from 'kysely';
import { FlotillaError } from '../lib/errors.js';
import type { SecretBox } from '../lib/secret-box.js';
import type { Schema } from './schema.js';
import { appContext, botContext } from './workspace-repository.js';

/** A rotation refused to change anything. The message names team ids, never a key or a token. */
export class KeyRotationError extends FlotillaError {
  readonly code = 'flotilla_key_rotation';
}

/** What a rotation did, counted in workspaces (rows). */
export interface KeyRotationResult {
  /** Rows whose tokens were opened with the previous key and sealed again with the current one. */
  readonly reencrypted: number;
  /** Rows already sealed with the current key, left as they were. */
  readonly alreadyCurrent: number;
}

const CHUNK = 500;

/**
 * Seals every stored token (`workspaces.bot_token_enc`, `app_token_enc`) with
 * `current`, opening it with `previous`, in one transaction: all rows or none.
 * A row whose tokens already open with `current` is left as it is, so a rerun
 * (or a run after an interrupted one) is safe. `updated_at` is not touched:
 * the tokens themselves are unchanged, so no running worker restarts. Rejects
 * with KeyRotationError, changing nothing, when a row opens with neither key.
 */
export async function rotateTokenKeys(kysely: Kysely<Schema>, keys: { current: SecretBox; previous: SecretBox }): Promise<KeyRotationResult> {
  return kysely.transaction().execute(async (trx) => {
    let reencrypted = 0;
    let alreadyCurrent = 0;
    const unreadable: string[] = [];
    let after = '';
    for (;;) {
      // Keyset chunks keep each statement short (statements are bounded in time); FOR UPDATE holds
      // the rows against a concurrent `workspace add` writing tokens sealed with the old key.
      const rows = await trx.selectFrom('workspaces').select(['team_id', 'bot_token_enc', 'app_token_enc'])
        .where('team_id', '>', after).orderBy('team_id').limit(CHUNK).forUpdate().execute();
      if (rows.length === 0) break;
      after = rows[rows.length - 1]!.team_id;
      const changed: Array<{ teamId: string; bot: string; app: string | null }> = [];
      for (const row of rows) {
        const bot = reseal(row.bot_token_enc, botContext(row.team_id), keys);
        const app = row.app_token_enc === null ? 'current' : reseal(row.app_token_enc, appContext(row.team_id), keys);
        if (bot === undefined || app === undefined) unreadable.push(row.team_id);
        else if (bot === 'current' && app === 'current') alreadyCurrent += 1;
        else {
          changed.push({
            teamId: row.team_id,
            bot: bot === 'current' ? row.bot_token_enc : bot,
            app: app === 'current' ? row.app_token_enc : app,
          });
        }
      }
      if (unreadable.length > 0) continue; // keep counting them; nothing is written below
      if (changed.length > 0) {
        await sql`update workspaces as w set bot_token_enc = v.bot, app_token_enc = v.app
          from (select unnest(${changed.map((c) => c.teamId)}::text[]) as team_id,
                       unnest(${changed.map((c) => c.bot)}::text[]) as bot,
                       unnest(${changed.map((c) => c.app)}::text[]) as app) as v
          where w.team_id = v.team_id`.execute(trx);
        reencrypted += changed.length;
      }
    }
    if (unreadable.length > 0) {
      const shown = unreadable.slice(0, 5).join(', ') + (unreadable.length > 5 ? `, … (${unreadable.length} in all)` : '');
      throw new KeyRotationError(`the tokens of ${unreadable.length} workspace(s) open with neither the new nor the old key (${shown}); nothing was changed`);
    }
    return { reencrypted, alreadyCurrent };
  });
}

/** 'current' when `sealed` already opens with the current key; else sealed anew, or undefined when neither key opens it. */
function reseal(sealed: string, context: string, keys: { current: SecretBox; previous: SecretBox }): string | 'current' | undefined {
  try {
    keys.current.open(sealed, context);
    return 'current';
  } catch { /* not sealed with the current key: try the previous one */ }
  try {
    return keys.current.seal(keys.previous.open(sealed, context), context);
  } catch {
    return undefined;
  }
}
