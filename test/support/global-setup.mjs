// One PostgreSQL server for the whole jest run (see test/support/database.ts): flotilla's own
// embedded server in a temp dir, and a migrated template database on it (and on TEST_DATABASE_URL's
// server when that is set) from which every test file copies a fresh database. Workers find both
// through the environment, which they inherit from this process. Runs the built code (`npm test`
// builds first; run `npm run build` before `npx jest`).
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplate, embeddedUrl } from './test-server.mjs';

export default async function globalSetup() {
  const { EmbeddedServer } = await import('../../dist/src/db/embedded-server.js');
  const { silentLogger } = await import('../../dist/src/lib/logger.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-test-server-'));
  // Throwaway data: no fsync. Loopback TCP so test URLs look like any server's.
  const server = await EmbeddedServer.start({
    dataDir, logger: silentLogger(), role: 'owner', listen: 'tcp',
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
  });
  globalThis.__flotillaTestServer = { server, dataDir, templates: [] };
  const url = embeddedUrl(server.connection);
  process.env.FLOTILLA_TEST_EMBEDDED_URL = url;
  process.env.FLOTILLA_TEST_EMBEDDED_TEMPLATE = await createTemplate(url);
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    const template = await createTemplate(external);
    process.env.FLOTILLA_TEST_SERVER_TEMPLATE = template;
    globalThis.__flotillaTestServer.templates.push({ url: external, template });
  }
}
