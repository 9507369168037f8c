import pg from 'pg';

/** 'flot': the session-level advisory lock that marks the owner of an embedded server. */
const OWNER_LOCK_KEY = 0x666c6f74;

/** Who holds the lock, as its holder named its session (`flotilla start (pid 123)`). */
export interface HeldBy { readonly heldBy: string }

/**
 * The mark of a live owner: a session-level advisory lock held on a
 * connection of its own for as long as the owner runs. The server releases
 * it the moment that connection goes, including when its process is killed
 * with `kill -9`; so a running server whose lock is free has no owner (it was
 * orphaned) and may be taken over, while a held lock means another flotilla
 * process runs on this data dir.
 */
export class OwnerLock {
  readonly #client: pg.Client;
  #isReleased = false;
  /** Resolves when the lock's connection ends without release() (the server stopped or crashed). */
  readonly lost: Promise<void>;

  private constructor(client: pg.Client) {
    this.#client = client;
    this.lost = new Promise((resolve) => {
      client.once('end', () => resolve());
      client.once('error', () => resolve());
    });
  }

  /** Takes the lock as `label` (shown to whoever finds it held), or says who holds it. Rejects when it cannot connect. */
  static async take(config: pg.ClientConfig, label: string): Promise<OwnerLock | HeldBy> {
    const client = new pg.Client({ ...config, application_name: `${label} (pid ${process.pid})` });
    client.on('error', () => undefined); // a dropped connection is reported through `lost`
    await client.connect();
    try {
      const { rows } = await client.query<{ taken: boolean }>('select pg_try_advisory_lock($1) as taken', [OWNER_LOCK_KEY]);
      if (rows[0]?.taken === true) return new OwnerLock(client);
      const holder = await client.query<{ name: string }>(
        `select a.application_name as name from pg_locks l join pg_stat_activity a on a.pid = l.pid
         where l.locktype = 'advisory' and l.classid = 0 and l.objid = $1 and l.objsubid = 1 and l.granted`,
        [OWNER_LOCK_KEY],
      );
      await client.end();
      return { heldBy: holder.rows[0]?.name || 'another flotilla process' };
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Ends the lock's connection (and so the lock). Idempotent. */
  async release(): Promise<void> {
    if (this.#isReleased) return;
    this.#isReleased = true;
    await this.#client.end().catch(() => undefined);
  }
}

/** Narrows take()'s answer. */
export function isHeld(result: OwnerLock | HeldBy): result is HeldBy {
  return !(result instanceof OwnerLock);
}
