import type { LeaveRecord } from '../db/leave-repository.js';
import { formatDate } from '../lib/calendar.js';
import type { Reply } from '../slack/types.js';

/** How people are named: display names by user id (no notification). */
export type NameOf = (userId: string) => string;

/** Who is out on one day, grouped: full day, morning, afternoon. */
export interface OutGroups {
  readonly fullDay: readonly LeaveRecord[];
  readonly morning: readonly LeaveRecord[];
  readonly afternoon: readonly LeaveRecord[];
  /** How many people (someone off both halves counts once). */
  readonly people: number;
}

/** Groups approved leave covering `day` (others are ignored). Pure. */
export function groupOut(day: string, leave: readonly LeaveRecord[]): OutGroups {
  const covering = leave.filter((r) => r.status === 'approved' && r.from <= day && r.to >= day);
  return {
    fullDay: covering.filter((r) => r.halfDay === null),
    morning: covering.filter((r) => r.halfDay === 'am'),
    afternoon: covering.filter((r) => r.halfDay === 'pm'),
    people: new Set(covering.map((r) => r.userId)).size,
  };
}

/** A display name with Slack's three control characters escaped (a `<@U…>` mention stays one). */
function escaped(text: string): string {
  if (/^<@[UW][A-Z0-9]+>$/.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function person(request: LeaveRecord, day: string, today: string, nameOf: NameOf): string {
  const name = escaped(nameOf(request.userId));
  return request.to > day ? `${name} (until ${formatDate(request.to, today)})` : name;
}

/**
 * The "who is out" message for `day` (the daily summary and `out`): a
 * heading with the day and the count, then full day / morning / afternoon
 * lines, each person with "until <date>" when their leave runs on; a short
 * line when no one is out. Pure.
 */
export function whoIsOutReply(day: string, today: string, leave: readonly LeaveRecord[], nameOf: NameOf): Reply {
  const groups = groupOut(day, leave);
  const when = day === today ? `today (${formatDate(day, today)})` : `on ${formatDate(day, today)}`;
  if (groups.people === 0) {
    const none = `No one is out ${when}.`;
    return { text: none, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `:white_check_mark: ${none}` } }] };
  }
  const heading = `Who is out ${when}: ${groups.people} ${groups.people === 1 ? 'person' : 'people'}`;
  const lines: Array<[string, readonly LeaveRecord[]]> = [
    ['Full day', groups.fullDay], ['Half day, morning', groups.morning], ['Half day, afternoon', groups.afternoon],
  ];
  const shown = lines.filter(([, requests]) => requests.length > 0)
    .map(([label, requests]) => [label, requests.map((r) => person(r, day, today, nameOf)).join(', ')] as const);
  return {
    text: [heading, ...shown.map(([label, names]) => `${label}: ${names}`)].join('\n'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:palm_tree: *${heading}*` } },
      ...shown.map(([label, names]) => ({ type: 'section', text: { type: 'mrkdwn', text: `*${label}:* ${names}` } })),
    ],
  };
}
