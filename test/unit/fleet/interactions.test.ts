import { describe, expect, it } from '@jest/globals';
import type { EventLedger } from '../../../src/fleet/event-ledger.js';
import { RecentKeys } from '../../../src/fleet/dedupe.js';
import type { EventDropReason, FleetEvents } from '../../../src/fleet/fleet-events.js';
import { handleEnvelope, type InboundDeps } from '../../../src/fleet/inbound.js';
import type { InboundEnvelope } from '../../../src/fleet/transports/transport.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { SafeEmitter } from '../../../src/lib/typed-events.js';
import type { EventContext, InteractionContext, RequestHandler } from '../../../src/slack/types.js';

/** An interactive envelope whose acks are recorded, as the Socket Mode transport would send them. */
function envelope(payload: Record<string, unknown>): { envelope: InboundEnvelope; acks: Array<Readonly<Record<string, unknown>> | undefined> } {
  const acks: Array<Readonly<Record<string, unknown>> | undefined> = [];
  return { acks, envelope: { kind: 'interactive', teamId: 'T1', payload, ack: async (response) => { acks.push(response); } } };
}

function deps(handler: RequestHandler): { deps: InboundDeps; drops: EventDropReason[] } {
  const events = new SafeEmitter<FleetEvents>(silentLogger());
  const drops: EventDropReason[] = [];
  events.on('event:dropped', (_team, reason) => drops.push(reason));
  const slack = { call: async <T>() => ({}) as T, userInfo: async () => ({ isAdmin: false, name: 'x' }) };
  return {
    drops,
    deps: {
      teamId: 'T1', identity: { teamId: 'T1', teamName: 'Acme', botUserId: 'UBOT', botId: 'B1', appId: 'A1' },
      caller: { call: async () => ({}) as never }, slack, handler, recent: new RecentKeys(),
      ledger: {} as EventLedger, events, logger: silentLogger(), signal: new AbortController().signal, onTokenDead: () => undefined,
    },
  };
}

const submission = { type: 'view_submission', user: { id: 'U1' }, trigger_id: 'trig', view: { callback_id: 'leave' } };

describe('interactions (the seam between transports and handlers)', () => {
  it('hands the handler the request and sends its response in the one ack', async () => {
    const seen: InteractionContext[] = [];
    const handler: RequestHandler = {
      handle: async () => undefined,
      handleInteraction: async (context) => {
        seen.push(context);
        await context.ack({ response_action: 'errors', errors: { from: 'Pick a date' } });
        await context.ack({ ignored: true });
      },
    };
    const { envelope: e, acks } = envelope({ ...submission, channel: { id: 'C9' } });
    await handleEnvelope(e, deps(handler).deps);
    expect(acks).toEqual([{ response_action: 'errors', errors: { from: 'Pick a date' } }]);
    expect(seen[0]?.interaction).toMatchObject({ teamId: 'T1', userId: 'U1', type: 'view_submission', triggerId: 'trig', channelId: 'C9' });
  });

  it('acks empty for a handler that does not ack, once', async () => {
    const handler: RequestHandler = { handle: async () => undefined, handleInteraction: async () => undefined };
    const { envelope: e, acks } = envelope(submission);
    await handleEnvelope(e, deps(handler).deps);
    expect(acks).toEqual([undefined]);
  });

  it('acks empty once and logs when the handler throws', async () => {
    const handler: RequestHandler = { handle: async () => undefined, handleInteraction: async () => { throw new Error('bug'); } };
    const { envelope: e, acks } = envelope(submission);
    await handleEnvelope(e, deps(handler).deps);
    expect(acks).toEqual([undefined]);
  });

  it('acks and drops interactions when no handler takes them, and malformed ones', async () => {
    const plain = deps({ handle: async () => undefined });
    const first = envelope(submission);
    await handleEnvelope(first.envelope, plain.deps);
    const second = envelope({ type: 'block_actions' });
    await handleEnvelope(second.envelope, plain.deps);
    expect(first.acks).toEqual([undefined]);
    expect(second.acks).toEqual([undefined]);
    expect(plain.drops).toEqual(['not_for_bot', 'malformed']);
  });

  it('hands user_change events to handleEvent once per event id, and drops them without one', async () => {
    const seen: EventContext[] = [];
    const handler: RequestHandler = { handle: async () => undefined, handleEvent: async (context) => { seen.push(context); } };
    const { deps: withEvents } = deps(handler);
    const event = (eventId: string): InboundEnvelope => ({
      kind: 'event', teamId: 'T1', eventId, retryAttempt: 0, ack: async () => undefined,
      event: { type: 'user_change', user: { id: 'U7', name: 'seven' } },
    });
    await handleEnvelope(event('Ev1'), withEvents);
    await handleEnvelope(event('Ev1'), withEvents);
    await handleEnvelope(event('Ev2'), withEvents);
    expect(seen.map((c) => [c.teamId, c.event['type'], (c.event['user'] as { id: string }).id])).toEqual([['T1', 'user_change', 'U7'], ['T1', 'user_change', 'U7']]);
    const plain = deps({ handle: async () => undefined });
    await handleEnvelope(event('Ev3'), plain.deps);
    expect(plain.drops).toEqual(['not_a_message']);
  });
});
