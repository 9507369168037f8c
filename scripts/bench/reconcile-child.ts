/**
 * The supervisor's reconcile over a large `workspaces` table, in a fresh daemon of its own.
 * Rows are inserted in bulk with `enabled = false` (so no worker starts and nothing connects), then:
 *  - `supervisor.reconcile()` — what each poll and NOTIFY costs with R rows present (none wanted);
 *  - `repo.listVersions({ enabledOnly: false })` — the desired-set read a reconcile pays when all R
 *    are enabled (team ids and `updated_at`; only new or changed rows are then loaded and decrypted);
 *  - `repo.list({ enabledOnly: false })` — reading and decrypting all R rows (what a cold start,
 *    or a reconcile before flotilla read versions only, pays).
 */
import { rm } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { insertRows, startDaemon, timeReconcile, type BulkRow } from './contenders/flotilla.js';
import { serve } from './ipc.js';

function fakeRow(i: number): BulkRow {
  const id = String(i).padStart(9, '0');
  return {
    teamId: `TB${id}`, teamName: `Bench ${i}`, appId: `AB${id}`, botUserId: `UB${id}`, botId: `BB${id}`,
    botToken: `xoxb-${id}-${randomBytes(12).toString('hex')}`, appToken: `xapp-1-AB${id}-${randomBytes(24).toString('hex')}`,
  };
}

serve({
  run: async (arg) => {
    const { rows } = arg as { rows: number };
    const { daemon, key, dataDir } = await startDaemon('http://127.0.0.1:9/api/', 20);
    try {
      const t0 = performance.now();
      const all: BulkRow[] = Array.from({ length: rows }, (_, i) => fakeRow(i));
      await insertRows(daemon.db.kysely, key, all, false);
      const insertMs = Math.round(performance.now() - t0);
      const reconcileMs = await timeReconcile(daemon, 5);
      const versionsTimes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const t1 = performance.now();
        await daemon.repo.listVersions({ enabledOnly: false });
        versionsTimes.push(Math.round(performance.now() - t1));
      }
      const listTimes: number[] = [];
      let listed = 0;
      for (let i = 0; i < 2; i++) {
        const t1 = performance.now();
        listed = (await daemon.repo.list({ enabledOnly: false })).length;
        listTimes.push(Math.round(performance.now() - t1));
      }
      return { rows, insertMs, reconcileMs, versionsAllMs: versionsTimes, listAllMs: listTimes, listed, database: process.env['DATABASE_URL'] ? 'postgres' : 'embedded' };
    } finally {
      await daemon.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
});

