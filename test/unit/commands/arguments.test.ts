import { describe, expect, it } from '@jest/globals';
import { defuse } from '../../../src/commands/blocks.js';
import { TtlCache } from '../../../src/lib/ttl-cache.js';
import { entryLines, meetingLines } from '../../../src/commands/plan.js';
import { parseTaskAdd } from '../../../src/commands/task-args.js';
import { afterFirstWord, closest, tokenize } from '../../../src/commands/tokenize.js';

const today = { now: new Date('2025-05-14T12:00:00Z'), timeZone: 'UTC' };

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted spaces', () => {
    expect(tokenize('task add "Buy milk" for <@U1>')).toEqual(['task', 'add', 'Buy milk', 'for', '<@U1>']);
    expect(tokenize("edit 3 'new title here'")).toEqual(['edit', '3', 'new title here']);
  });

  it('treats the smart quotes Slack produces as plain quotes', () => {
    expect(tokenize('add \u201CWrite the notes\u201D due fri')).toEqual(['add', 'Write the notes', 'due', 'fri']);
    expect(tokenize('add \u2018two words\u2019')).toEqual(['add', 'two words']);
  });

  it('leaves apostrophes inside words alone', () => {
    expect(tokenize("fix Bob's bug, don't wait")).toEqual(['fix', "Bob's", 'bug,', "don't", 'wait']);
    expect(tokenize('fix Bob\u2019s bug')).toEqual(['fix', "Bob's", 'bug']);
  });

  it('runs an unclosed double quote to the end', () => {
    expect(tokenize('add "no end here')).toEqual(['add', 'no end here']);
    expect(tokenize('')).toEqual([]);
  });

  it('drops the first word and keeps the lines after it', () => {
    expect(afterFirstWord('plan one\ntwo')).toBe('one\ntwo');
    expect(afterFirstWord('plan\none\ntwo')).toBe('one\ntwo');
    expect(afterFirstWord('  standup  ')).toBe('');
  });
});

describe('closest', () => {
  it('names a typo, not a stranger', () => {
    expect(closest('tsak', ['task', 'plan'])).toBe('task');
    expect(closest('task lst', ['task list', 'task add'], 2)).toBe('task list');
    expect(closest('weather', ['task', 'plan'])).toBeUndefined();
  });
});

describe('parseTaskAdd', () => {
  it('reads a title with an assignee and a due date in either order', () => {
    expect(parseTaskAdd(['Write', 'notes', 'for', '<@U2>', 'due', 'fri'], 'U1', today))
      .toEqual({ ok: true, title: 'Write notes', assignee: 'U2', dueOn: '2025-05-16' });
    expect(parseTaskAdd(['Write', 'notes', 'due', '2025-06-01', 'for', 'me'], 'U1', today))
      .toEqual({ ok: true, title: 'Write notes', assignee: 'U1', dueOn: '2025-06-01' });
  });

  it('keeps due and for in the title when no date or mention follows', () => {
    expect(parseTaskAdd(['Fix', 'the', 'due', 'date'], 'U1', today)).toMatchObject({ title: 'Fix the due date', dueOn: null });
    expect(parseTaskAdd(['Buy', 'cake', 'for', 'Sam'], 'U1', today)).toMatchObject({ title: 'Buy cake for Sam', assignee: null });
    expect(parseTaskAdd(['Meet up for due diligence due tomorrow'], 'U1', today)).toMatchObject({ title: 'Meet up for due diligence due tomorrow' });
  });

  it('refuses an unreadable date, an empty or an overlong title', () => {
    expect(parseTaskAdd(['Report', 'due', '32/13'], 'U1', today)).toMatchObject({ ok: false, problem: expect.stringContaining('32/13') });
    expect(parseTaskAdd(['for', '<@U2>'], 'U1', today)).toMatchObject({ ok: false });
    expect(parseTaskAdd([], 'U1', today)).toMatchObject({ ok: false });
    expect(parseTaskAdd(['x'.repeat(501)], 'U1', today)).toMatchObject({ ok: false, problem: expect.stringContaining('too long') });
  });
});

describe('plan lines', () => {
  it('makes one entry per line, without bullets or wrapping quotes', () => {
    expect(entryLines('Write tests\n- review PR\n\n• 2. deploy\n"quoted one"\n1) triage')).toEqual(['Write tests', 'review PR', '2. deploy', 'quoted one', 'triage']);
  });

  it('reads meeting lines and refuses a line without a time', () => {
    expect(meetingLines(['10:30 Sprint review', '9:00 "1:1 with Sam"'])).toEqual([
      { time: '10:30', text: 'Sprint review' }, { time: '09:00', text: '1:1 with Sam' },
    ]);
    expect(meetingLines(['10:30 review', 'lunch'])).toBeUndefined();
    expect(meetingLines(['25:00 late'])).toBeUndefined();
    expect(meetingLines(['10:00'])).toBeUndefined();
  });
});

describe('defuse', () => {
  it('turns crowd pings into words and keeps user mentions', () => {
    expect(defuse('ping <!channel> and <!here|here> and <!subteam^S1|@devs>, ask <@U1>')).toBe('ping @channel and @here and @devs, ask <@U1>');
  });
});

describe('TtlCache', () => {
  it('shares one load, expires, and forgets failures', async () => {
    let clock = 0;
    const cache = new TtlCache<string>(1_000, 10, () => clock);
    let loads = 0;
    const load = async (): Promise<string> => `v${++loads}`;
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual(['v1', 'v1']);
    clock = 1_001;
    expect(await cache.get('a', load)).toBe('v2');
    await expect(cache.get('b', () => Promise.reject(new Error('slack down')))).rejects.toThrow('slack down');
    expect(await cache.get('b', load)).toBe('v3');
  });
});
