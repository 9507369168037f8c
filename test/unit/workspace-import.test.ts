import { describe, expect, it } from '@jest/globals';
import { IMPORT_CONCURRENCY, importRows, type IdentifiedWorkspace, type ImportSteps } from '../../src/admin/workspace-import.js';
import { InvalidInputError, SlackCallError } from '../../src/lib/errors.js';

/** A stand-in for the workspace service's steps: tokens `xoxb-<team>-<n>` belong to team `<team>`. */
function fakeSteps(): ImportSteps & { stored: string[]; maxInFlight: number } {
  let inFlight = 0;
  const steps = {
    stored: [] as string[],
    maxInFlight: 0,
    async identify(input: { botToken: string }): Promise<IdentifiedWorkspace> {
      inFlight += 1;
      steps.maxInFlight = Math.max(steps.maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      const match = /^xoxb-(T\w+)-\d+$/.exec(input.botToken);
      if (input.botToken === 'xoxb-dead') throw new SlackCallError('auth.test', 'invalid_auth');
      if (!match) throw new InvalidInputError('the bot token must start with xoxb-');
      return { teamId: match[1]!, teamName: match[1]!, connection: { transport: 'rtm' }, botToken: input.botToken, appId: null, botUserId: 'U1', botId: null };
    },
    async storeAll(identified: readonly IdentifiedWorkspace[]): Promise<void> {
      steps.stored.push(...identified.map((workspace) => workspace.teamId));
    },
  };
  return steps;
}

describe('importRows', () => {
  it('refuses duplicates of an earlier row (same token, or same team) and bad rows, keeps the order, stores the rest', async () => {
    const steps = fakeSteps();
    const outcomes = await importRows([
      { row: 2, botToken: 'xoxb-TA-1' },
      { row: 3, botToken: 'xoxb-dead' },
      { row: 5, botToken: 'xoxb-TA-1' },
      { row: 6, botToken: 'xoxb-TA-2' },
      { row: 7, botToken: 'nope' },
      { row: 8, botToken: 'xoxb-TB-1', transport: 'carrier-pigeon' },
      { row: 9, botToken: 'xoxb-TB-2', transport: 'rtm' },
    ], steps);
    expect(outcomes).toEqual([
      { row: 2, teamId: 'TA' },
      { row: 3, error: 'Slack auth.test failed: invalid_auth' },
      { row: 5, error: 'duplicate of row 2 (the same bot token)' },
      { row: 6, error: 'duplicate of row 2 (the same team TA)' },
      { row: 7, error: 'the bot token must start with xoxb-' },
      { row: 8, error: 'transport must be socket-mode, rtm or http' },
      { row: 9, teamId: 'TB' },
    ]);
    expect(steps.stored.sort()).toEqual(['TA', 'TB']);
  });

  it(`asks Slack about at most ${IMPORT_CONCURRENCY} rows at once`, async () => {
    const steps = fakeSteps();
    const rows = Array.from({ length: 200 }, (_, i) => ({ row: i + 1, botToken: `xoxb-T${i}-1` }));
    const outcomes = await importRows(rows, steps);
    expect(outcomes.every((outcome, i) => 'teamId' in outcome && outcome.teamId === `T${i}`)).toBe(true);
    expect(steps.maxInFlight).toBe(IMPORT_CONCURRENCY);
    expect(steps.stored).toHaveLength(200);
  });
});
