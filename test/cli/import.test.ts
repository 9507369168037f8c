import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { until } from '../support/until.js';

jest.setTimeout(120_000);

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

/**
 * `flotilla workspace add --from FILE|-` against a real `flotilla start` and
 * the emulator: good and bad rows mixed, JSON lines and CSV, a file and
 * stdin. One line per row, non-zero exit when any row was refused, the good
 * rows added and connected; no token printed anywhere.
 */
describe('flotilla workspace add --from', () => {
  let slack: SlackEmulator;
  let db: TestDatabase;
  let env: Record<string, string>;
  let daemon: Spawned;
  let dir: string;
  let teams: EmulatedWorkspace[];
  const outputs: string[] = [];

  const cli = async (args: string[], stdin?: string): Promise<Run> => {
    const run = spawnFlotilla(args, env, { cwd: dir });
    let stdout = '';
    let stderr = '';
    run.child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    run.child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    run.child.stdin!.end(stdin ?? '');
    const code = await run.exited;
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  };
  const connected = async (teamIds: readonly string[]): Promise<void> => {
    await until(async () => {
      const list = await cli(['workspace', 'list', '--json']);
      const states = new Map((JSON.parse(list.stdout) as Array<{ teamId: string; state: string }>).map((w) => [w.teamId, w.state]));
      return teamIds.every((teamId) => states.get(teamId) === 'connected');
    }, 30_000, `${teamIds.join(', ')} connected`);
  };
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  beforeAll(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 1_000 });
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'flotilla-import-'));
    teams = Array.from({ length: 7 }, (_, i) => slack.createWorkspace({ name: `Import ${i}` }));
    env = {
      FLOTILLA_DATA_DIR: db.dataDir, SLACK_API_URL: slack.apiUrl, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'debug', DATABASE_URL: db.url,
    };
    daemon = spawnFlotilla(['start'], env, { cwd: tmpdir() });
    await until(() => access(join(db.dataDir, 'admin-url')).then(() => true, () => false), 60_000, 'the daemon listening');
  }, 90_000);

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await slack?.stop();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
    // No token in anything printed: the CLI's lines, the daemon's logs (at debug).
    const printed = outputs.join('\n') + (daemon?.output() ?? '');
    for (const team of teams ?? []) {
      expect(printed).not.toContain(team.botToken);
      expect(printed).not.toContain(team.appToken);
    }
    expect(printed).not.toContain('xoxb-1-2-unknown');
  });

  it('imports JSON lines with good and bad rows mixed: one line per row, exit 1, the good rows added and connected', async () => {
    const [a, b, c] = teams as [EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace];
    const path = await file('fleet.jsonl', [
      '# moved from the old host',
      JSON.stringify({ botToken: a.botToken, appToken: a.appToken, transport: 'socket-mode' }),
      '',
      JSON.stringify({ botToken: 'not-a-token', appToken: a.appToken }),
      JSON.stringify({ botToken: 'xoxb-1-2-unknown', appToken: 'xapp-1-A1-2-unknown' }),
      JSON.stringify({ botToken: b.botToken, transport: 'rtm' }),
      `{"botToken": "${c.botToken}", `,
      JSON.stringify({ botToken: a.botToken, appToken: a.appToken }),
      JSON.stringify({ botToken: c.botToken, appToken: c.appToken, transport: 'pigeon' }),
      JSON.stringify({ botToken: c.botToken, appToken: c.appToken, team: 'T1' }),
      JSON.stringify({ appToken: c.appToken }),
      JSON.stringify({ botToken: c.botToken, appToken: c.appToken }),
    ].join('\n'));
    const run = await cli(['workspace', 'add', '--from', path]);
    expect(run.stdout).toBe([
      a.teamId,
      'row 4: the bot token must start with xoxb- (or xoxp- for a legacy RTM bot)',
      'row 5: Slack auth.test failed: invalid_auth',
      b.teamId,
      'row 7: not valid JSON',
      'row 8: duplicate of row 2 (the same bot token)',
      'row 9: transport must be socket-mode, rtm or http',
      'row 10: unknown key "team" (expected botToken, appToken, transport)',
      'row 11: no botToken',
      'row 12: duplicate of row 9 (the same bot token)',
      '',
    ].join('\n'));
    expect(run.stderr).toBe('flotilla: 8 of 10 row(s) refused; the other 2 added\n');
    expect(run.code).toBe(1);
    await connected([a.teamId, b.teamId]);
  });

  it('imports CSV with a header (any case, quotes) and exits 0 when every row is good', async () => {
    const [, , c, d] = teams as [EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace];
    const path = await file('fleet.csv', [
      'Bot_Token, app-token ,TRANSPORT',
      `${c.botToken},${c.appToken},socket-mode`,
      `"${d.botToken}","${d.appToken}",`,
      '# done',
    ].join('\r\n'));
    const run = await cli(['workspace', 'add', '--from', path]);
    expect(run).toEqual({ code: 0, stdout: `${c.teamId}\n${d.teamId}\n`, stderr: '' });
    await connected([c.teamId, d.teamId]);
  });

  it('reads stdin for -, and refuses a CSV row with the wrong number of fields', async () => {
    const [, , , , e, f, g] = teams as EmulatedWorkspace[] as [EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace, EmulatedWorkspace];
    const jsonl = await cli(['workspace', 'add', '--from', '-'], `${JSON.stringify({ botToken: e.botToken, appToken: e.appToken })}\n${JSON.stringify({ botToken: f.botToken, appToken: f.appToken })}\n`);
    expect(jsonl).toEqual({ code: 0, stdout: `${e.teamId}\n${f.teamId}\n`, stderr: '' });
    const csv = await cli(['workspace', 'add', '--from', '-'], `botToken,appToken\n${g.botToken}\n${g.botToken},${g.appToken}\n`);
    expect(csv).toEqual({ code: 1, stdout: `row 2: 1 field(s) where the header has 2\n${g.teamId}\n`, stderr: 'flotilla: 1 of 2 row(s) refused; the other 1 added\n' });
    await connected(teams.map((t) => t.teamId));
    const list = JSON.parse((await cli(['workspace', 'list', '--json'])).stdout) as Array<{ teamId: string; transport: string }>;
    expect(list.map((w) => [w.teamId, w.transport])).toEqual(teams.map((t, i) => [t.teamId, i === 1 ? 'rtm' : 'socket-mode']).sort((x, y) => x[0]!.localeCompare(y[0]!)));
  });

  it('refuses a file it cannot use, and --from with tokens beside it, in one line', async () => {
    expect(await cli(['workspace', 'add', '--from', join(dir, 'missing.csv')])).toEqual({ code: 2, stdout: '', stderr: `flotilla: cannot read ${join(dir, 'missing.csv')}: ENOENT\n` });
    const badHeader = await file('bad.csv', 'botToken,team\nxoxb-1,T1\n');
    expect(await cli(['workspace', 'add', '--from', badHeader])).toEqual({
      code: 2, stdout: '', stderr: `flotilla: ${badHeader}: line 1: unknown column "team" in the CSV header (expected botToken, appToken, transport)\n`,
    });
    expect(await cli(['workspace', 'add', '--from', '-'], '# nothing\n\n')).toEqual({ code: 2, stdout: '', stderr: 'flotilla: stdin: the file has no rows\n' });
    const both = await cli(['workspace', 'add', '--from', '-', '--bot-token', 'xoxb-1']);
    expect(both).toEqual({ code: 2, stdout: '', stderr: 'flotilla: --from reads every token and transport from the file: give it alone\n' });
    expect((await cli(['workspace', 'add'])).stderr).toBe('flotilla: give --bot-token xoxb-… (one workspace) or --from FILE|- (many)\n');
  });
});
