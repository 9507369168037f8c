import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SocketModeClient } from '@slack/socket-mode';
import { WebClient } from '@slack/web-api';
import { poll, quietLogger } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Starts `src/emulator/main.ts` in a child process and reads its ready line. */
async function startChild(): Promise<{ child: ChildProcess; apiUrl: string; controlUrl: string }> {
  const child = spawn(process.execPath, ['--no-warnings', '--loader', 'ts-node/esm', 'src/emulator/main.ts', '--port', '0'], {
    cwd: repoRoot, env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited early (${String(code)})`)));
  });
  lines.close();
  return { child, ...(JSON.parse(first) as { apiUrl: string; controlUrl: string }) };
}

describe('emulator control API from another process', () => {
  let emulator: Awaited<ReturnType<typeof startChild>>;

  async function control<T>(path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${emulator.controlUrl}${path}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const json = (await response.json()) as T;
    if (!response.ok) throw new Error(`${path}: ${JSON.stringify(json)}`);
    return json;
  }

  beforeAll(async () => {
    emulator = await startChild();
  });

  afterAll(async () => {
    const exited = new Promise((resolve) => emulator.child.once('exit', resolve));
    emulator.child.kill('SIGTERM');
    await exited;
  });

  it('prints its URLs and drives workspaces, messages, faults and sockets', async () => {
    expect(emulator.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/$/);
    const team = await control<{ teamId: string; appToken: string; appId: string; botToken: string; userId: string; generalChannelId: string }>('workspaces', { name: 'Remote' });
    const sm = new SocketModeClient({
      appToken: team.appToken, logger: quietLogger(), autoReconnectEnabled: false,
      clientOptions: { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } },
    });
    try {
      await sm.start();
      expect(await control('sockets?teamId=' + team.teamId)).toEqual({ open: 1, opens: 1 });
      const web = new WebClient(team.botToken, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 }, logger: quietLogger() });
      sm.on('message', async ({ ack, event }: { ack: () => Promise<void>; event: { channel: string; text: string } }) => {
        await ack();
        await web.chat.postMessage({ channel: event.channel, text: `echo: ${event.text}` });
      });
      await control('messages', { teamId: team.teamId, user: team.userId, channel: team.generalChannelId, text: 'ping' });
      const posted = await poll(() => control<Array<{ text: string }>>('posted?teamId=' + team.teamId), (p) => p.length === 1, 'the echo');
      expect(posted[0]).toMatchObject({ text: 'echo: ping', method: 'chat.postMessage' });
      expect((await control<Array<{ ackedAt: number | null }>>('acks'))[0]?.ackedAt).toEqual(expect.any(Number));

      await control('faults/fail-method', { method: 'auth.test', error: 'internal_error', count: 1 });
      await expect(web.auth.test()).rejects.toMatchObject({ data: { error: 'internal_error' } });
      const disconnected = new Promise((resolve) => sm.once('disconnected', resolve));
      expect(await control('disconnect', { filter: team.teamId, reason: 'refresh_requested' })).toEqual({ count: 1 });
      await disconnected;
      expect(await control('sockets?appId=' + team.appId)).toEqual({ open: 0, opens: 1 });
    } finally {
      await sm.disconnect();
    }
  });

  it('answers 400 with the reason for bad control calls', async () => {
    const response = await fetch(`${emulator.controlUrl}messages`, { method: 'POST', body: JSON.stringify({ teamId: 'TNOPE' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ ok: false, error: expect.stringContaining('unknown team') });
  });
});
