import { sleep } from '../lib/abort.js';
import { errorMessage, FlotillaError, SlackCallError } from '../lib/errors.js';
import { redactSecrets } from '../lib/redact.js';
import type { ConnectionSpec, TransportKind } from '../slack/types.js';

/** How many `auth.test` calls an import makes at once: quick for 1,000 rows, gentle on Slack. */
export const IMPORT_CONCURRENCY = 16;
/** Rate-limited `auth.test` calls are tried again this many times, waiting 1, 2, 4 s. */
const RATE_LIMIT_RETRIES = 3;

/** One row of an import: what `workspace add` takes, and the row's number in the operator's file. */
export interface ImportRowInput {
  readonly row: number;
  readonly botToken: string;
  readonly appToken?: string | undefined;
  /** Unchecked text: a wrong value refuses this row, not the whole import. */
  readonly transport?: string | undefined;
}

/** A row's fate: the team it added, or why it was refused (never a token). */
export type ImportOutcome = { readonly row: number; readonly teamId: string } | { readonly row: number; readonly error: string };

/** A workspace whose token Slack has vouched for, ready to store. */
export interface IdentifiedWorkspace {
  readonly teamId: string;
  readonly teamName: string;
  readonly connection: ConnectionSpec;
  readonly botToken: string;
  readonly appId: string | null;
  readonly botUserId: string;
  readonly botId: string | null;
}

/** What an import needs from the workspace service. */
export interface ImportSteps {
  /** Validates one row (shape, then `auth.test`); rejects with a FlotillaError whose message is the reason. */
  identify(input: { botToken: string; appToken?: string | undefined; transport?: TransportKind | undefined }): Promise<IdentifiedWorkspace>;
  /** Stores every row (distinct teams), in as few statements as it likes. */
  storeAll(identified: readonly IdentifiedWorkspace[]): Promise<void>;
}

/**
 * Validates every row (duplicates of an earlier row's bot token refused
 * without asking Slack; at most IMPORT_CONCURRENCY `auth.test` at once),
 * refuses a row whose team an earlier row already added, then stores the
 * rest together. Resolves to one outcome per row, in order. Rejects only
 * when storing fails (the database).
 */
export async function importRows(rows: readonly ImportRowInput[], steps: ImportSteps): Promise<ImportOutcome[]> {
  const firstRowOfToken = new Map<string, number>();
  const identified = await mapBounded(rows, IMPORT_CONCURRENCY, async (row): Promise<IdentifiedWorkspace | string> => {
    const earlier = firstRowOfToken.get(row.botToken);
    if (earlier !== undefined) return `duplicate of row ${earlier} (the same bot token)`;
    firstRowOfToken.set(row.botToken, row.row);
    try {
      return await identifyWithRetries(steps, row);
    } catch (error) {
      return redactSecrets(error instanceof FlotillaError ? error.message : `could not be checked: ${errorMessage(error)}`);
    }
  });
  const firstRowOfTeam = new Map<string, number>();
  const outcomes: ImportOutcome[] = rows.map((row, i) => {
    const found = identified[i]!;
    if (typeof found === 'string') return { row: row.row, error: found };
    const earlier = firstRowOfTeam.get(found.teamId);
    if (earlier !== undefined) return { row: row.row, error: `duplicate of row ${earlier} (the same team ${found.teamId})` };
    firstRowOfTeam.set(found.teamId, row.row);
    return { row: row.row, teamId: found.teamId };
  });
  const toStore = identified.filter((found, i): found is IdentifiedWorkspace => typeof found !== 'string' && 'teamId' in outcomes[i]!);
  // In a few statements, not one per row: each row's NOTIFY makes every instance reconcile, and
  // rows arriving together make that once or twice instead of once per row.
  if (toStore.length > 0) await steps.storeAll(toStore);
  return outcomes;
}

async function identifyWithRetries(steps: ImportSteps, row: ImportRowInput): Promise<IdentifiedWorkspace> {
  const input = { botToken: row.botToken, appToken: row.appToken, transport: transportOf(row.transport) };
  for (let attempt = 0; ; attempt++) {
    try {
      return await steps.identify(input);
    } catch (error) {
      const isRateLimited = error instanceof SlackCallError && error.slackError === 'ratelimited';
      if (!isRateLimited || attempt >= RATE_LIMIT_RETRIES) throw error;
      await sleep(1_000 * 2 ** attempt);
    }
  }
}

class BadTransportError extends FlotillaError {
  readonly code = 'flotilla_invalid_input';
}

function transportOf(text: string | undefined): TransportKind | undefined {
  if (text === undefined || text === '') return undefined;
  if (text === 'socket-mode' || text === 'rtm' || text === 'http') return text;
  throw new BadTransportError('transport must be socket-mode, rtm or http'); // the value is not echoed: a shifted column may hold a token
}

/** `each` over `items`, at most `limit` at once; results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, each: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const at = next++;
      results[at] = await each(items[at]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
