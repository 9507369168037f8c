import { describe, expect, it } from '@jest/globals';
import { normalizeEvent, plainQuotes } from '../../../src/slack/normalize.js';

const self = { botUserId: 'UBOT', botId: 'BBOT' };
const base = { type: 'message', channel: 'C1', user: 'U1', text: 'hello', ts: '1.0001' };

describe('normalizeEvent', () => {
  it('keeps a plain human message', () => {
    expect(normalizeEvent(base, self)).toEqual({
      kind: 'message', channelId: 'C1', userId: 'U1', text: 'hello', ts: '1.0001',
      threadTs: undefined, isDirectMessage: false, dedupeKey: 'C1:1.0001',
    });
  });

  it('gives message and app_mention of the same message one dedupe key', () => {
    const a = normalizeEvent(base, self);
    const b = normalizeEvent({ ...base, type: 'app_mention' }, self);
    expect(a.kind === 'message' && b.kind === 'message' && a.dedupeKey === b.dedupeKey).toBe(true);
  });

  it('takes user and text from the nested message of an edit, with its own key', () => {
    const edit = {
      type: 'message', subtype: 'message_changed', channel: 'C1',
      message: { user: 'U2', text: '<@UBOT> ping', ts: '1.0001' },
      previous_message: { user: 'U2', text: 'ping', ts: '1.0001' },
    };
    const out = normalizeEvent(edit, self);
    expect(out).toMatchObject({ kind: 'message', userId: 'U2', text: '<@UBOT> ping', ts: '1.0001' });
    expect(out.kind === 'message' && out.dedupeKey).not.toBe('C1:1.0001');
  });

  it('drops an edit whose text did not change (a link unfurl)', () => {
    const unfurl = {
      type: 'message', subtype: 'message_changed', channel: 'C1',
      message: { user: 'U2', text: 'see https://x', ts: '1.0001', attachments: [{ title: 'x' }] },
      previous_message: { user: 'U2', text: 'see https://x', ts: '1.0001' },
    };
    expect(normalizeEvent(unfurl, self)).toEqual({ kind: 'dropped', reason: 'unchanged_edit' });
  });

  it('turns smart quotes into plain quotes', () => {
    expect(plainQuotes('task add \u201Cbuy milk\u201D it\u2019s')).toBe('task add "buy milk" it\'s');
    expect(normalizeEvent({ ...base, text: '\u201Ca b\u201D' }, self)).toMatchObject({ text: '"a b"' });
  });

  it.each([
    [{ ...base, user: 'UBOT' }, 'own_message'],
    [{ ...base, bot_id: 'BBOT' }, 'own_message'],
    [{ ...base, bot_id: 'BOTHER' }, 'bot_message'],
    [{ ...base, subtype: 'bot_message', user: undefined, bot_id: 'B9' }, 'bot_message'],
    [{ ...base, subtype: 'message_deleted' }, 'subtype'],
    [{ ...base, subtype: 'channel_join' }, 'subtype'],
    [{ ...base, user: undefined }, 'no_author'],
    [{ ...base, type: 'reaction_added' }, 'not_a_message'],
    [{ ...base, channel: undefined }, 'malformed'],
    [{ ...base, text: 42 }, 'malformed'],
    [{ ...base, subtype: 'message_changed', message: 'nope' }, 'malformed'],
    [null, 'malformed'],
    ['text', 'malformed'],
  ])('drops %j as %s', (event, reason) => {
    expect(normalizeEvent(event, self)).toEqual({ kind: 'dropped', reason });
  });

  it('marks DMs and keeps the thread of a reply', () => {
    expect(normalizeEvent({ ...base, channel: 'D1' }, self)).toMatchObject({ isDirectMessage: true });
    expect(normalizeEvent({ ...base, channel_type: 'im' }, self)).toMatchObject({ isDirectMessage: true });
    expect(normalizeEvent({ ...base, thread_ts: '0.5' }, self)).toMatchObject({ threadTs: '0.5' });
    expect(normalizeEvent({ ...base, subtype: 'thread_broadcast', thread_ts: '0.5' }, self)).toMatchObject({ kind: 'message' });
  });
});
