/**
 * The last step of `npm run build`: copies what tsc does not (the dashboard's
 * static files) from src/ into dist/src/, next to the modules that serve
 * them, replacing what an earlier build left there.
 *
 *   node dist/scripts/copy-assets.js
 */
import { cp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Folders under src/ that hold files the daemon reads at run time. */
const ASSET_DIRS = ['admin/dashboard'];

const root = new URL('../../', import.meta.url); // dist/scripts/ → the package root
for (const dir of ASSET_DIRS) {
  const from = fileURLToPath(new URL(`src/${dir}/`, root));
  const to = fileURLToPath(new URL(`dist/src/${dir}/`, root));
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
}
