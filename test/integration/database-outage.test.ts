import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { until } from '../support/until.js';

/**
 * The database goes away while the daemon runs, and comes back (DESIGN, "Failure rules"):
 * the daemon stays up with its Slack connections, ping and help still answer, commands that
 * need data answer "temporarily unavailable" with a reference that is in the log, /readyz is
 * 503 until the database is back and 200 within 10 s after, owed writes land, nothing is
 * removed and nothing is answered twice.
 */
interface Outage {
  readonly label: string;
  start(): Promise<Harness>;
  /** Takes the database away; resolves once it is gone. */
  cut(h: Harness): Promise<void>;
  restore(h: Harness): Promise<void>;
  cleanup(): Promise<void>;
}

/** The daemon's own embedded server, killed (-9); its restart held until restore(). */
function embeddedServerDies(): Outage {
  let release: (() => void) | undefined;
  let hold: Promise<void> | undefined;
  return {
    label: 'the embedded server is killed',
    start: () => startHarness({ database: 'embedded', embedded: { beforeRestart: () => hold ?? Promise.resolve() } }),
    async cut(h) {
      hold = new Promise((resolve) => { release = resolve; });
      const pid = h.daemon.server!.pid!;
      process.kill(pid, 'SIGKILL');
      await until(() => h.daemon.server!.state === 'restarting', 10_000, 'the daemon noticed its server died');
    },
    async restore() {
      hold = undefined;
      release?.();
    },
    cleanup: async () => undefined,
  };
}

/**
 * DATABASE_URL's server unreachable: the daemon reaches it through a TCP relay
 * that the test cuts, refusing and resetting connections (`reset`: a server
 * down), or dropping every byte both ways (`blackhole`: a network partition,
 * where statements get no answer at all and only the pool's time bound ends them).
 */
function externalServerUnreachable(mode: 'reset' | 'blackhole'): Outage {
  let proxy: TcpProxy | undefined;
  return {
    label: mode === 'reset' ? 'the DATABASE_URL server is unreachable' : 'the link to the DATABASE_URL server drops every packet',
    async start() {
      const target = new URL(process.env.TEST_DATABASE_URL || process.env.FLOTILLA_TEST_EMBEDDED_URL!);
      proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      const port = proxy.port;
      return startHarness({ databaseUrl: (url) => Object.assign(new URL(url), { host: `127.0.0.1:${port}` }).toString() });
    },
    async cut(h) {
      // Connections open and idle in the pool, as in a busy daemon: statements then go out on them and hang.
      await Promise.all(Array.from({ length: 4 }, () => sql`select pg_sleep(0.05)`.execute(h.daemon.db.kysely)));
      await proxy!.cut(mode);
    },
    restore: async () => proxy!.restore(),
    cleanup: async () => proxy?.close(),
  };
}

describe.each([embeddedServerDies(), externalServerUnreachable('reset'), externalServerUnreachable('blackhole')])('when $label', (outage) => {
  let h: Harness;
  let team: EmulatedWorkspace;
  const readyz = async (): Promise<number> => (await fetch(`${h.daemon.adminUrl}/readyz`)).status;
  const say = (text: string): void => {
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ${text}` });
  };
  const repliesMatching = (pattern: RegExp): number => h.slack.posted({ teamId: team.teamId }).filter((m) => pattern.test(m.text)).length;

  beforeAll(async () => {
    h = await outage.start();
    team = h.slack.createWorkspace({ name: 'Outage' });
    await h.add(team);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await outage.cleanup();
  });

  it('keeps the connection and answers what needs no data, refuses the rest politely, and recovers', async () => {
    expect(await readyz()).toBe(200);
    await outage.cut(h);
    await until(async () => (await readyz()) === 503, 10_000, '/readyz 503');

    say('task add during-the-outage');
    const askedAt = Date.now();
    const refusal = await h.slack.waitForPosted((m) => m.teamId === team.teamId && /temporarily unavailable/.test(m.text), 15_000);
    // Within the pool's bounds (a statement unanswered for 5 s, or a connection not made in 5 s), never TCP's minutes.
    expect(Date.now() - askedAt).toBeLessThan(12_000);
    const ref = /\(ref ([0-9a-f]{8})\)/.exec(refusal.text)?.[1];
    expect(ref).toBeDefined();
    expect(h.logs.some((line) => line.includes(ref!) && line.includes('unreachable'))).toBe(true);
    say('ping');
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text === 'pong', 10_000);
    say('help zzz-outage');
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes('no `zzz-outage`'), 10_000);
    // The Slack side never noticed: one socket, never reconnected, the workspace still there.
    expect(h.slack.openSockets({ teamId: team.teamId })).toBe(1);
    expect(h.restarts(team.teamId)).toBe(0);
    expect(h.state(team.teamId)).toBe('connected');
    expect(await readyz()).toBe(503);

    await outage.restore(h);
    const restoredAt = Date.now();
    await until(async () => (await readyz()) === 200, 10_000, '/readyz 200 within 10 s of the database coming back');
    expect(Date.now() - restoredAt).toBeLessThan(10_000);

    say('task add after-the-outage');
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes('after-the-outage'), 15_000);
    // The processed-event rows owed from the outage were written once it was over.
    await until(async () => {
      const { rows } = await sql<{ n: string }>`select count(*) as n from processed_events where team_id = ${team.teamId}`.execute(h.daemon.db.kysely);
      return Number(rows[0]?.n) === 4; // four messages, each one key (its message and app_mention events share it)
    }, 15_000, 'owed processed events written');
    const workspaces = await h.daemon.db.kysely.selectFrom('workspaces').select('team_id').execute();
    expect(workspaces.map((row) => row.team_id)).toEqual([team.teamId]);
    // Once each: the refusal, pong, help's answer.
    expect(repliesMatching(/temporarily unavailable/)).toBe(1);
    expect(repliesMatching(/^pong$/)).toBe(1);
    expect(repliesMatching(/no `zzz-outage`/)).toBe(1);
    expect(repliesMatching(/during-the-outage/)).toBe(0);
    expect(repliesMatching(/after-the-outage/)).toBe(1);
    expect(h.slack.openSockets({ teamId: team.teamId })).toBe(1);
  });
});
