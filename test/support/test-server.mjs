// Helpers shared by jest's global setup and teardown (plain JS: they run outside jest's transform).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A postgres:// URL for the embedded server's `postgres` database, as its superuser. */
export function embeddedUrl(connection) {
  const { host, port, user, password } = connection;
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/postgres`;
}

/** Creates a database on the server of `adminUrl`, migrated to latest, to copy from; resolves to its name. */
export async function createTemplate(adminUrl) {
  const name = `flotilla_template_${randomBytes(4).toString('hex')}`;
  await withClient(adminUrl, (client) => client.query(`create database "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const { openDatabase } = await import('../../dist/src/db/database.js');
  const { silentLogger } = await import('../../dist/src/lib/logger.js');
  const database = await openDatabase({ target: url.toString(), logger: silentLogger(), poolSize: 1 });
  try {
    await database.migrate();
  } finally {
    await database.close();
  }
  return name;
}

export async function dropDatabase(adminUrl, name) {
  await withClient(adminUrl, (client) => client.query(`drop database if exists "${name}" with (force)`));
}

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
