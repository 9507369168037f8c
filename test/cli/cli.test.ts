import { access, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { metricValue, parsePrometheus } from '../admin/prometheus.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { until } from '../support/until.js';

/** A port nothing listens on (bound once, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Run { readonly code: number | null; readonly stdout: string; readonly stderr: string }

describe('the flotilla CLI against a real `flotilla start`', () => {
  let slack: SlackEmulator;
  let db: TestDatabase;
  let env: Record<string, string>;
  let daemon: Spawned;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  const outputs: string[] = [];

  /** Runs `flotilla <args>` from an unrelated working directory, as an operator would. */
  const cli = async (args: string[], extraEnv: Record<string, string> = {}): Promise<Run> => {
    const run = spawnFlotilla(args, { ...env, ...extraEnv }, { cwd: tmpdir() });
    let stdout = '';
    let stderr = '';
    run.child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    run.child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const code = await run.exited;
    outputs.push(stdout, stderr);
    return { code, stdout, stderr };
  };
  const listJson = async (): Promise<Array<Record<string, unknown>>> => {
    const run = await cli(['workspace', 'list', '--json']);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as Array<Record<string, unknown>>;
  };

  beforeAll(async () => {
    slack = await SlackEmulator.start({ serverPingIntervalMs: 1_000 });
    db = await createTestDatabase();
    acme = slack.createWorkspace({ name: 'Acme' });
    globex = slack.createWorkspace({ name: 'Globex' });
    env = {
      FLOTILLA_DATA_DIR: db.dataDir, SLACK_API_URL: slack.apiUrl, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'trace', FLOTILLA_INSTANCE_ID: 'cli-1', DATABASE_URL: db.url,
    };
    daemon = spawnFlotilla(['start'], env, { cwd: tmpdir() });
    await until(() => access(join(db.dataDir, 'admin-url')).then(() => true, () => false), 30_000, 'the daemon listening');
  }, 60_000);

  afterAll(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await slack?.stop();
    await db?.drop();
  });

  it('status summarises an empty fleet', async () => {
    const run = await cli(['status']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^flotilla \d+\.\d+\.\d+\S* at http:\/\/127\.0\.0\.1:\d+, instance cli-1, up \d+s\n/);
    expect(run.stdout).toContain('ready: database ok, supervisor ok');
    expect(run.stdout).toContain('this instance: 0 connections, 0 workspaces (connected 0)');
    expect(run.stdout).toMatch(/\nfleet: 1 instance: cli-1 0 connections, heartbeat \d+s ago\n/);
    expect(run.stdout).toContain('workspaces: 0 (connected 0, connecting 0, backoff 0, stopped 0)');
  });

  it('adds workspaces and prints the team id alone on stdout', async () => {
    const added = await cli(['workspace', 'add', '--bot-token', acme.botToken, '--app-token', acme.appToken]);
    expect(added).toEqual({ code: 0, stdout: `${acme.teamId}\n`, stderr: '' });
    const rtm = await cli(['workspace', 'add', '--bot-token', globex.botToken, '--transport', 'rtm']);
    expect(rtm).toEqual({ code: 0, stdout: `${globex.teamId}\n`, stderr: '' });
    await until(async () => (await listJson()).every((w) => w.state === 'connected'), 15_000, 'both connected');
  });

  it('fails with one clear line when Slack refuses a token or the input is wrong', async () => {
    const refused = await cli(['workspace', 'add', '--bot-token', 'xoxb-1-2-unknown', '--app-token', 'xapp-1-A1-2-unknown']);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: 'flotilla: Slack auth.test failed: invalid_auth\n' });
    const noAppToken = await cli(['workspace', 'add', '--bot-token', acme.botToken]);
    expect(noAppToken.code).toBe(1);
    expect(noAppToken.stderr).toMatch(/^flotilla: Socket Mode needs an app-level token.*\n$/);
    const badTransport = await cli(['workspace', 'add', '--bot-token', acme.botToken, '--transport', 'pigeon']);
    expect(badTransport.code).not.toBe(0);
    expect(badTransport.stderr).toContain("'pigeon' is invalid");
  });

  it('lists workspaces as JSON and as a table', async () => {
    slack.postUserMessage(acme.teamId, { user: acme.userId, channel: acme.generalChannelId, text: `<@${acme.botUserId}> ping` });
    await slack.waitForPosted((m) => m.teamId === acme.teamId && m.text === 'pong');
    const workspaces = await listJson();
    expect(workspaces).toEqual([acme, globex].sort((a, b) => a.teamId.localeCompare(b.teamId)).map((team) => ({
      teamId: team.teamId, teamName: team.teamName, transport: team === acme ? 'socket-mode' : 'rtm', state: 'connected',
      connectedSince: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      lastEventAt: team === acme ? expect.stringMatching(/Z$/) : null,
      restarts: 0, lastError: null, owner: 'cli-1',
    })));
    const table = await cli(['workspace', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^TEAM\s+NAME\s+TRANSPORT\s+STATE\s+CONNECTED FOR\s+LAST EVENT\s+RESTARTS\s+OWNER\s+LAST ERROR$/);
    expect(lines.find((l) => l.startsWith(acme.teamId))).toMatch(/Acme\s+socket-mode\s+connected\s+\d+s\s+\d+s ago\s+0\s+cli-1\s+-$/);
    expect(lines.find((l) => l.startsWith(globex.teamId))).toMatch(/Globex\s+rtm\s+connected\s+\d+s\s+-\s+0\s+cli-1\s+-$/);
  });

  it('lists the instances on the database, this one marked, with the connections it holds', async () => {
    const json = await cli(['instances', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([{
      id: 'cli-1', host: expect.any(String), version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/), heartbeatAt: expect.stringMatching(/Z$/),
      heartbeatAgeMs: expect.any(Number), connections: 2, isSelf: true,
    }]);
    const table = await cli(['instances']);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+HOST\s+VERSION\s+UP FOR\s+HEARTBEAT\s+CONNECTIONS$/);
    expect(row).toMatch(/^cli-1 \*\s+\S+\s+\d+\.\d+\.\d+\S*\s+\d+s\s+\d+s ago\s+2$/);
  });

  it('serves metrics that moved with the traffic', async () => {
    const url = (await readFile(join(db.dataDir, 'admin-url'), 'utf8')).trim();
    const token = (await readFile(join(db.dataDir, 'admin-token'), 'utf8')).trim();
    const samples = parsePrometheus(await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text());
    expect(metricValue(samples, 'flotilla_workspaces', { state: 'connected' })).toBe(2);
    expect(metricValue(samples, 'flotilla_leases_held')).toBe(2);
    expect(metricValue(samples, 'flotilla_instances_live')).toBe(1);
    expect(metricValue(samples, 'flotilla_heartbeat_age_seconds')).toBeLessThan(15);
    expect(metricValue(samples, 'flotilla_coordination_statements_total', { kind: 'renew' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(samples, 'flotilla_lease_fencing_closes_total')).toBe(0);
    expect(metricValue(samples, 'flotilla_events_handled_total', { outcome: 'ok' })).toBe(1);
    expect(metricValue(samples, 'flotilla_slack_api_calls_total', { method: 'chat.postMessage', outcome: 'ok' })).toBe(1);
    expect(metricValue(samples, 'flotilla_slack_api_calls_total', { method: 'auth.test', outcome: 'error' })).toBeGreaterThanOrEqual(1);
  });

  it('serves the dashboard from the built package, started in another working directory', async () => {
    const url = (await readFile(join(db.dataDir, 'admin-url'), 'utf8')).trim();
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="/dashboard/app.js">');
    for (const file of ['app.js', 'table.js', 'style.css']) expect((await fetch(`${url}/dashboard/${file}`)).status).toBe(200);
  });

  it('restarts one workspace or all of them', async () => {
    expect(await cli(['workspace', 'restart', acme.teamId])).toEqual({ code: 0, stdout: 'restarting 1 workspace\n', stderr: '' });
    await until(async () => (await listJson()).find((w) => w.teamId === acme.teamId)?.restarts === 1, 15_000, 'acme restarted');
    expect(await cli(['workspace', 'restart', '--all'])).toEqual({ code: 0, stdout: 'restarting 2 workspaces\n', stderr: '' });
    await until(async () => {
      const all = await listJson();
      return all.every((w) => w.state === 'connected') && all.find((w) => w.teamId === globex.teamId)?.restarts === 1;
    }, 15_000, 'both restarted');
    expect(await cli(['workspace', 'restart'])).toEqual({ code: 2, stdout: '', stderr: 'flotilla: give either a team id or --all\n' });
    expect(await cli(['workspace', 'restart', 'TNOSUCH9'])).toEqual({ code: 1, stdout: '', stderr: 'flotilla: no workspace TNOSUCH9\n' });
  });

  it('removes a workspace and revokes its token', async () => {
    expect(await cli(['workspace', 'remove', globex.teamId, '--revoke'])).toEqual({ code: 0, stdout: `removed ${globex.teamId} (token revoked)\n`, stderr: '' });
    expect(slack.calls('auth.revoke').filter((c) => c.teamId === globex.teamId && c.status === 200)).toHaveLength(1);
    await until(() => slack.openSockets({ teamId: globex.teamId, kind: 'rtm' }) === 0, 10_000, 'the RTM socket closed');
    expect((await listJson()).map((w) => w.teamId)).toEqual([acme.teamId]);
    expect(await cli(['workspace', 'remove', globex.teamId])).toEqual({ code: 1, stdout: '', stderr: `flotilla: no workspace ${globex.teamId}\n` });
    const status = await cli(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      status: 'ok', ready: true, instance: 'cli-1', connections: 1, workspacesHere: { total: 1, connected: 1 },
      instances: [expect.objectContaining({ id: 'cli-1', isSelf: true, connections: 1 })], workspaces: { total: 1, connected: 1 },
    });
  });

  it('fails with one clear line when the daemon is unreachable or refuses the token', async () => {
    const closedPort = await freePort();
    const unreachable = await cli(['workspace', 'list'], { FLOTILLA_ADMIN_URL: `http://127.0.0.1:${closedPort}`, FLOTILLA_ADMIN_TOKEN: 'some-token-long-enough' });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^flotilla: cannot reach the flotilla daemon at http:\/\/127\.0\.0\.1:\d+ \(connection refused\); is `flotilla start` running\? \(address from FLOTILLA_ADMIN_URL\)\n$/);
    const wrong = await cli(['status'], { FLOTILLA_ADMIN_TOKEN: 'not-the-token-at-all' });
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'flotilla: the daemon refused the admin token: wrong admin token\n' });
    const noToken = await cli(['workspace', 'list'], { FLOTILLA_DATA_DIR: join(tmpdir(), 'flotilla-nowhere') });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^flotilla: no admin token: FLOTILLA_ADMIN_TOKEN is unset and .*admin-token does not exist/);
  });

  it('stops on SIGTERM, removes its admin-url file, and never logged a secret', async () => {
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    await expect(access(join(db.dataDir, 'admin-url'))).rejects.toThrow();
    const everything = [daemon.output(), ...outputs].join('\n');
    expect(everything).toContain('"team_id"');
    const secrets = [
      acme.botToken, acme.appToken, globex.botToken, globex.appToken,
      (await readFile(join(db.dataDir, 'admin-token'), 'utf8')).trim(),
      (await readFile(join(db.dataDir, 'encryption-key'), 'utf8')).trim(),
    ];
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // Nothing token-shaped at all (the redactor leaves only a prefix such as `xoxb-[redacted]`).
    expect(everything).not.toMatch(/xox[abposr]-\d|xapp-\d/);
    // Every line about one workspace names it.
    const lines = daemon.output().split('\n').filter((l) => l.startsWith('{'));
    const aboutWorkspaces = lines.filter((l) => /"msg":"(worker state|workspace added|workspace removed by an operator)"/.test(l));
    expect(aboutWorkspaces.length).toBeGreaterThan(3);
    for (const line of aboutWorkspaces) expect(line).toMatch(/"team_id":"T[A-Z0-9]+"/);
  });
});
