import { access } from 'node:fs/promises';
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawnFlotilla, type Spawned } from '../support/process.js';
import { until } from '../support/until.js';

describe('flotilla demo', () => {
  let demo: Spawned | undefined;

  afterEach(async () => {
    if (demo && demo.child.exitCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
  });

  it('runs the emulator, the daemon and two workspaces, and chats through the terminal', async () => {
    demo = spawnFlotilla(['demo'], {});
    const { child, output, exited } = demo;
    const type = (line: string): void => void child.stdin!.write(`${line}\n`);
    await until(() => output().includes('Ready: Acme'), 45_000, 'the demo ready');
    expect(output()).toMatch(/Acme \(T[A-Z0-9]+, socket-mode\) and Globex \(T[A-Z0-9]+, rtm\) are connected/);

    type('@flotilla ping');
    await until(() => /^flotilla: pong$/m.test(output()), 10_000, 'pong');
    type('/flotilla ping');
    await until(() => output().match(/flotilla.*: pong/g)?.length === 2, 10_000, 'pong to the slash command');
    type('@flotilla leave tomorrow');
    await until(() => /^flotilla: Leave request #1: vacation, .* Sent to @admin for approval/m.test(output()), 10_000, 'the leave request answered');
    await until(() => /^\[DM to admin\] flotilla: @alice asks for leave #1: vacation, .*\[Approve\] \[Reject\]$/m.test(output()), 10_000, 'the approver\'s DM with its buttons');
    type('/admin');
    type('/click Approve');
    await until(() => /^\[DM to alice\] flotilla: Your leave #1 \(vacation, .*\) was approved by @admin\.$/m.test(output()), 10_000, 'the requester told');
    expect(output()).toMatch(/^\[DM to admin\] flotilla \(updated its message\): @alice asks for leave #1: .*Approved by @admin on /m);
    type('/admin');
    type('@flotilla out tomorrow');
    await until(() => /^flotilla: Who is out on .*: 1 person\nFull day: alice$/m.test(output()), 10_000, 'who is out');
    type('/team');
    type('@flotilla help');
    await until(() => /Now in Globex \(rtm\)\.\nflotilla: [\s\S]*\bping\b/.test(output()), 10_000, 'help from the RTM workspace');
    type('/status');
    await until(() => /TEAM\s+NAME[\s\S]*Globex\s+rtm\s+connected/.test(output()), 10_000, 'the fleet table');

    const dataDir = /FLOTILLA_DATA_DIR=(\S+) flotilla/.exec(output())?.[1];
    expect(dataDir).toBeDefined();
    await access(dataDir!);
    type('/quit');
    expect(await exited).toBe(0);
    await expect(access(dataDir!)).rejects.toThrow(); // the throw-away database is gone
    expect(output()).not.toMatch(/xox[bp]-\d|xapp-\d/);
  }, 90_000);

  it('cleans up on SIGTERM', async () => {
    demo = spawnFlotilla(['demo'], {});
    await until(() => demo!.output().includes('Ready: Acme'), 45_000, 'the demo ready');
    const dataDir = /FLOTILLA_DATA_DIR=(\S+) flotilla/.exec(demo.output())![1]!;
    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
    await expect(access(dataDir)).rejects.toThrow();
  }, 90_000);

  it('ends cleanly when its input ends', async () => {
    demo = spawnFlotilla(['demo'], {});
    await until(() => demo!.output().includes('Ready: Acme'), 45_000, 'the demo ready');
    demo.child.stdin!.end();
    expect(await demo.exited).toBe(0);
  }, 90_000);
});
