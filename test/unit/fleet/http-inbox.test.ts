import { describe, expect, it } from '@jest/globals';
import { HttpInbox, type HttpMember } from '../../../src/fleet/http-inbox.js';
import type { InboundEnvelope } from '../../../src/fleet/transports/transport.js';

const envelope: InboundEnvelope = { kind: 'event', teamId: 'T1', eventId: 'Ev1', event: { type: 'app_mention' }, retryAttempt: 0, ack: async () => undefined };

/** A worker double that takes envelopes unless it is draining. */
function member(isDraining = false): HttpMember & { taken: InboundEnvelope[] } {
  const taken: InboundEnvelope[] = [];
  return { taken, onEnvelope: (e) => (isDraining ? false : (taken.push(e), true)) };
}

describe('HttpInbox', () => {
  it('hands an envelope to the running worker of its team', async () => {
    const worker = member();
    const inbox = new HttpInbox({ workerOf: (t) => (t === 'T1' ? worker : undefined), isInstalled: async () => true, reconcile: () => undefined });
    expect(await inbox.deliver('T1', envelope)).toBe('taken');
    expect(worker.taken).toEqual([envelope]);
  });

  it('says unavailable (Slack retries) when the worker is starting or stopping', async () => {
    const inbox = new HttpInbox({ workerOf: () => member(true), isInstalled: async () => true, reconcile: () => undefined });
    expect(await inbox.deliver('T1', envelope)).toBe('unavailable');
  });

  it('for a team not running here: unavailable and a reconcile when it is installed, unknown_team when not, asking the database once a while', async () => {
    const asked: string[] = [];
    let reconciles = 0;
    const inbox = new HttpInbox({
      workerOf: () => undefined,
      isInstalled: async (teamId) => { asked.push(teamId); return teamId === 'TNEW'; },
      reconcile: () => { reconciles += 1; },
    });
    expect(await inbox.deliver('TNEW', envelope)).toBe('unavailable');
    expect(reconciles).toBe(1);
    expect(await inbox.deliver('TGONE', envelope)).toBe('unknown_team');
    expect(await inbox.deliver('TGONE', envelope)).toBe('unknown_team');
    expect(asked).toEqual(['TNEW', 'TGONE']);
    expect(reconciles).toBe(1);
  });

  it('says unavailable when the database cannot tell (Slack retries later)', async () => {
    const inbox = new HttpInbox({ workerOf: () => undefined, isInstalled: async () => { throw new Error('database down'); }, reconcile: () => undefined });
    expect(await inbox.deliver('T1', envelope)).toBe('unavailable');
  });
});
