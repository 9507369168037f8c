import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { until } from '../support/until.js';

jest.setTimeout(120_000);

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }
interface StoredTokens { readonly team_id: string; readonly bot_token_enc: string; readonly app_token_enc: string | null }

/**
 * `flotilla keys rotate` against real processes: the daemon's generated key
 * is rotated to FLOTILLA_ENCRYPTION_KEY while a daemon runs (one that also
 * reads the previous key, as during a rolling rotation), and a daemon with
 * the new key alone then serves every workspace. The stored tokens are never
 * plain text, before or after.
 */
describe('flotilla keys rotate', () => {
  let slack: SlackEmulator;
  let db: TestDatabase;
  let env: Record<string, string>;
  let teams: EmulatedWorkspace[];
  let daemon: Spawned | undefined;
  let oldKey: string;
  const newKey = SecretBox.generateKey();

  const run = async (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
    const child = spawnFlotilla(args, { ...env, ...extraEnv }, { cwd: tmpdir() });
    let stdout = '';
    let stderr = '';
    child.child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const code = await child.exited;
    // Log lines (JSON, as LOG_LEVEL says) aside: what the command itself printed.
    return { code, stdout: stdout.split('\n').filter((line) => !line.startsWith('{')).join('\n'), stderr };
  };
  const stored = async (): Promise<StoredTokens[]> => {
    const client = new pg.Client(db.url);
    await client.connect();
    try {
      return (await client.query<StoredTokens>('select team_id, bot_token_enc, app_token_enc from workspaces order by team_id')).rows;
    } finally {
      await client.end();
    }
  };
  const expectNoPlaintext = (rows: readonly StoredTokens[]): void => {
    expect(rows).toHaveLength(teams.length);
    const text = JSON.stringify(rows);
    expect(text).not.toMatch(/xox[bp]-|xapp-/);
    for (const team of teams) {
      expect(text).not.toContain(team.botToken);
      expect(text).not.toContain(team.appToken);
    }
  };
  const startDaemon = async (extraEnv: Record<string, string>): Promise<Spawned> => {
    const started = spawnFlotilla(['start'], { ...env, ...extraEnv }, { cwd: tmpdir() });
    daemon = started;
    await until(() => /"msg":"flotilla started"/.test(started.output()), 60_000, 'flotilla started');
    return started;
  };
  const stopDaemon = async (): Promise<void> => {
    daemon?.child.kill('SIGTERM');
    await daemon?.exited;
    daemon = undefined;
    await until(() => slack.openSockets() === 0, 20_000, 'every socket closed');
  };
  const allServed = async (extraEnv: Record<string, string> = {}): Promise<void> => {
    await until(async () => {
      const list = await run(['workspace', 'list', '--json'], extraEnv);
      if (list.code !== 0) return false;
      const states = (JSON.parse(list.stdout) as Array<{ state: string }>).map((w) => w.state);
      return states.length === teams.length && states.every((state) => state === 'connected');
    }, 30_000, 'every workspace connected');
    for (const team of teams) {
      slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    }
    await Promise.all(teams.map((team) => slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong')));
  };

  beforeAll(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 1_000 });
    db = await createTestDatabase();
    teams = [slack.createWorkspace({ name: 'Acme' }), slack.createWorkspace({ name: 'Globex' })];
    env = {
      FLOTILLA_DATA_DIR: db.dataDir, SLACK_API_URL: slack.apiUrl, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'info', DATABASE_URL: db.url,
    };
    // Stored with the key the daemon generates into the data dir.
    await startDaemon({});
    for (const team of teams) {
      expect(await run(['workspace', 'add', '--bot-token', team.botToken, '--app-token', team.appToken])).toMatchObject({ code: 0, stdout: `${team.teamId}\n` });
    }
    await allServed();
    oldKey = (await readFile(join(db.dataDir, 'encryption-key'), 'utf8')).trim();
    await stopDaemon();
  }, 120_000);

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await slack?.stop();
    await db?.drop();
  });

  it('refuses with one line when there is no new key, no old key, or the new key is the old one', async () => {
    const noKey = await run(['keys', 'rotate']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/^flotilla: keys rotate: FLOTILLA_ENCRYPTION_KEY is unset: set it to the new key[^\n]*\n$/);
    const same = await run(['keys', 'rotate'], { FLOTILLA_ENCRYPTION_KEY: oldKey });
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/^flotilla: keys rotate: FLOTILLA_ENCRYPTION_KEY is the old key \(.*encryption-key\): set it to a new one\n$/);
    const samePrevious = await run(['keys', 'rotate'], { FLOTILLA_ENCRYPTION_KEY: newKey, FLOTILLA_ENCRYPTION_KEY_PREVIOUS: newKey });
    expect(samePrevious.code).toBe(2);
    expect(samePrevious.stderr).toBe('flotilla: keys rotate: FLOTILLA_ENCRYPTION_KEY is the old key (FLOTILLA_ENCRYPTION_KEY_PREVIOUS): set it to a new one\n');
    const emptyDir = await mkdtemp(join(tmpdir(), 'flotilla-keys-'));
    const noOldKey = await run(['keys', 'rotate'], { FLOTILLA_ENCRYPTION_KEY: newKey, FLOTILLA_DATA_DIR: emptyDir });
    await rm(emptyDir, { recursive: true, force: true });
    expect(noOldKey.code).toBe(2);
    expect(noOldKey.stderr).toBe(`flotilla: keys rotate: no old key: FLOTILLA_ENCRYPTION_KEY_PREVIOUS is unset and ${join(emptyDir, 'encryption-key')} does not exist\n`);
    for (const refused of [noKey, same, samePrevious, noOldKey]) expect(refused.stdout).toBe('');
  });

  it('refuses, changing nothing, when a row opens with neither key', async () => {
    const before = await stored();
    const wrong = await run(['keys', 'rotate'], { FLOTILLA_ENCRYPTION_KEY: newKey, FLOTILLA_ENCRYPTION_KEY_PREVIOUS: SecretBox.generateKey() });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(`flotilla: keys rotate failed: the tokens of 2 workspace(s) open with neither the new nor the old key (${teams.map((t) => t.teamId).sort().join(', ')}); nothing was changed\n`);
    expect(await stored()).toEqual(before);
    expect(wrong.stderr).not.toContain(newKey);
  });

  it('re-encrypts every token while a daemon runs, once; a daemon with the new key alone then serves every workspace', async () => {
    const before = await stored();
    expectNoPlaintext(before);
    const rolling = { FLOTILLA_ENCRYPTION_KEY: newKey, FLOTILLA_ENCRYPTION_KEY_PREVIOUS: oldKey };
    // A rolling rotation: the instance already runs with the new key and reads rows the old one sealed.
    await startDaemon(rolling);
    await allServed(rolling);

    const rotated = await run(['keys', 'rotate'], { FLOTILLA_ENCRYPTION_KEY: newKey });
    expect(rotated).toEqual({ code: 0, stdout: `re-encrypted 2 workspace(s) with the new key (0 already on it; old key from ${join(db.dataDir, 'encryption-key')})\n`, stderr: '' });
    const after = await stored();
    expectNoPlaintext(after);
    const current = new SecretBox(newKey);
    for (const [i, row] of after.entries()) {
      expect(row.bot_token_enc).not.toBe(before[i]!.bot_token_enc);
      expect(current.open(row.bot_token_enc, `workspaces.bot_token:${row.team_id}`)).toBe(teams.find((t) => t.teamId === row.team_id)!.botToken);
      expect(current.open(row.app_token_enc!, `workspaces.app_token:${row.team_id}`)).toBe(teams.find((t) => t.teamId === row.team_id)!.appToken);
    }
    // A rerun (or one after an interrupted run) leaves rows already on the new key as they are.
    const again = await run(['keys', 'rotate'], rolling);
    expect(again).toEqual({ code: 0, stdout: 're-encrypted 0 workspace(s) with the new key (2 already on it; old key from FLOTILLA_ENCRYPTION_KEY_PREVIOUS)\n', stderr: '' });
    expect(await stored()).toEqual(after);
    // The running daemon did not notice: no restart, nothing it could not read.
    await allServed(rolling);
    expect(daemon!.output()).not.toContain('cannot decrypt');
    await stopDaemon();

    const restarted = await startDaemon({ FLOTILLA_ENCRYPTION_KEY: newKey });
    await allServed({ FLOTILLA_ENCRYPTION_KEY: newKey });
    expect(restarted.output()).not.toContain('cannot decrypt');
    for (const team of teams) {
      expect(restarted.output()).not.toContain(team.botToken);
      expect(restarted.output()).not.toContain(team.appToken);
    }
    expect(restarted.output()).not.toContain(newKey);
    await access(join(db.dataDir, 'encryption-key')); // left where it was: the operator removes it
  });
});
