import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { SlackEmulator, type EmulatedWorkspace } from '../../src/emulator/index.js';
import { WorkspaceRepository } from '../../src/db/workspace-repository.js';
import { SecretBox } from '../../src/lib/secret-box.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { until } from '../support/until.js';
import { heapLimits } from '../support/v8-trace.js';

describe('flotilla start as a real process', () => {
  let slack: SlackEmulator;
  let db: TestDatabase;
  let team: EmulatedWorkspace;
  let env: Record<string, string>;
  let daemon: Spawned | undefined;

  beforeEach(async () => {
    slack = await SlackEmulator.start();
    db = await createTestDatabase();
    team = slack.createWorkspace({ name: 'Shutdown' });
    const key = SecretBox.generateKey();
    const handle = await db.open();
    await new WorkspaceRepository(handle.kysely, new SecretBox(key)).upsert({
      teamId: team.teamId, teamName: team.teamName, botToken: team.botToken, botUserId: team.botUserId,
      connection: { transport: 'socket-mode', appToken: team.appToken },
    });
    await handle.close();
    env = {
      FLOTILLA_DATA_DIR: db.dataDir, SLACK_API_URL: slack.apiUrl, FLOTILLA_ENCRYPTION_KEY: key,
      FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', LOG_LEVEL: 'info', DATABASE_URL: db.url,
    };
  });

  afterEach(async () => {
    daemon?.child.kill('SIGKILL');
    await daemon?.exited;
    await slack.stop();
    await db.drop();
  });

  const startDaemon = async (): Promise<Spawned> => {
    daemon = spawnFlotilla(['start'], env);
    await until(() => slack.openSockets({ appId: team.appId }) === 1, 20_000, 'the daemon connected');
    return daemon;
  };

  it('on SIGTERM answers every in-flight message, closes its socket and exits 0', async () => {
    const { child, exited, output } = await startDaemon();
    slack.setLatency('chat.postMessage', 1_000);
    for (const n of [1, 2, 3]) {
      slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> help n${n}` });
    }
    await until(() => slack.calls('chat.postMessage').length === 3, 10_000, 'three replies under way');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const replies = slack.posted({ teamId: team.teamId }).filter((m) => /no `n[123]`/.test(m.text));
    expect(replies).toHaveLength(3);
    expect(slack.openSockets({ appId: team.appId })).toBe(0);
    expect(output()).toContain('stopped');
  });

  it('exits at once on a second signal', async () => {
    const { child, exited } = await startDaemon();
    slack.setLatency('chat.postMessage', 30_000);
    slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await until(() => slack.calls('chat.postMessage').length === 1, 10_000, 'a reply under way');
    child.kill('SIGTERM');
    await until(() => /shutting down/.test(daemon!.output()), 5_000, 'shutdown started');
    child.kill('SIGTERM');
    expect(await exited).toBe(1);
  });

  it('tunes the garbage collector before it starts: FLOTILLA_HEAP_GROWTH_PERCENT, no pretenuring', async () => {
    // V8 reports the limit it sets after each full collection, and its pretenuring weighing at young
    // ones; starting the daemon makes several of both. Once tuned (the first 2.5x limit), none is weighed.
    daemon = spawnFlotilla(['start'], { ...env, FLOTILLA_HEAP_GROWTH_PERCENT: '150' }, {
      nodeFlags: ['--trace-gc-verbose', '--trace-pretenuring-statistics'],
    });
    const tunedAt = (): number => heapLimits(daemon!.output()).find((limit) => limit.factor === '2.5')?.at ?? -1;
    await until(() => tunedAt() >= 0, 20_000, 'a heap limit of 2.5x');
    await until(() => slack.openSockets({ appId: team.appId }) === 1, 20_000, 'the daemon connected');
    const answered = slack.waitForPosted((m) => m.text === 'pong');
    slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    await answered;
    expect(daemon.output().slice(tunedAt())).not.toMatch(/pretenuring:/);
  });

  it('exits non-zero naming a bad variable', async () => {
    const bad = spawnFlotilla(['start'], { ...env, FLOTILLA_POLL_INTERVAL_MS: 'often' });
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('FLOTILLA_POLL_INTERVAL_MS');
  });

  it('migrates and exits with flotilla migrate', async () => {
    const run = spawnFlotilla(['migrate'], env);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/up to date|applied/);
  });
});
