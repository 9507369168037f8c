import { rm } from 'node:fs/promises';
import { dropDatabase } from './test-server.mjs';

export default async function globalTeardown() {
  const state = globalThis.__flotillaTestServer;
  if (!state) return;
  for (const { url, template } of state.templates) await dropDatabase(url, template).catch(() => undefined);
  await state.server.stop();
  await rm(state.dataDir, { recursive: true, force: true });
}
