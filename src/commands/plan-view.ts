import type { PlanEntry, PlanEntryKind } from '../db/plans-repository.js';
import type { Reply } from '../slack/types.js';
import { contextLine, defuse, header, message, section, type Block } from './blocks.js';
import { formatDate } from './parse.js';

const ORDER: readonly PlanEntryKind[] = ['plan', 'did', 'blocked', 'meeting'];
const EMOJI: Readonly<Record<PlanEntryKind, string>> = {
  plan: ':dart:', did: ':white_check_mark:', blocked: ':construction:', meeting: ':calendar:',
};
const PLAIN: Readonly<Record<PlanEntryKind, string>> = { plan: 'plan', did: 'did', blocked: 'blocked', meeting: 'meeting' };

/** A person's entries in display order: plan, did, blocked, then meetings by time. */
function ordered(entries: readonly PlanEntry[]): PlanEntry[] {
  return [...entries].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || (a.time ?? '').localeCompare(b.time ?? ''));
}

/** `plan: write tests` / `meeting 10:00: review` */
function plainLine(entry: PlanEntry): string {
  return `${PLAIN[entry.kind]}${entry.time ? ` ${entry.time}` : ''}: ${defuse(entry.text)}`;
}

function markdownLine(entry: PlanEntry): string {
  return `${EMOJI[entry.kind]} ${entry.time ? `*${entry.time}* ` : ''}${defuse(entry.text)}`;
}

/** Entries grouped by user, users in the order they first appear. */
export function byPerson(entries: readonly PlanEntry[]): Map<string, PlanEntry[]> {
  const groups = new Map<string, PlanEntry[]>();
  for (const entry of entries) groups.set(entry.userId, [...(groups.get(entry.userId) ?? []), entry]);
  return groups;
}

/** One person's day: a section with their name and one line per entry. */
function personSection(name: string, entries: readonly PlanEntry[]): { plain: string; block: Block } {
  const sorted = ordered(entries);
  return {
    plain: [name, ...sorted.map((entry) => `  ${plainLine(entry)}`)].join('\n'),
    block: section([`*${name}*`, ...sorted.map(markdownLine)].join('\n')),
  };
}

/** `plan show`: one person's plan, accomplishments, blockers and meetings for `day` (`name` undefined: the caller's own). */
export function planReply(name: string | undefined, day: string, today: string, entries: readonly PlanEntry[]): Reply {
  const when = day === today ? `today (${formatDate(day, today)})` : formatDate(day, today);
  if (entries.length === 0) {
    const text = `${name === undefined ? 'You have' : `${name} has`} nothing for ${when} yet. Add to it with \`plan <text>\`, \`did <text>\`, \`blocked <text>\` or \`meeting <HH:MM> <text>\`.`;
    return { text, blocks: [section(text)] };
  }
  const person = personSection(name ?? 'You', entries);
  return message(`Plan for ${when}\n${person.plain}`, [header(`Plan for ${when}`), person.block]);
}

/** `standup`: everyone's day, grouped by person, with a count of people and blockers. */
export function standupReply(day: string, today: string, entries: readonly PlanEntry[], nameOf: (id: string) => string): Reply {
  const when = day === today ? `today (${formatDate(day, today)})` : formatDate(day, today);
  if (entries.length === 0) {
    const text = `Nobody has posted anything for ${when} yet. Start with \`plan <what you will do>\`.`;
    return { text, blocks: [section(text)] };
  }
  const groups = [...byPerson(entries)].map(([userId, own]) => personSection(nameOf(userId), own));
  const blockers = entries.filter((entry) => entry.kind === 'blocked').length;
  const summary = `${groups.length} ${groups.length === 1 ? 'person' : 'people'} · ${blockers} ${blockers === 1 ? 'blocker' : 'blockers'}`;
  return message(
    [`Stand-up for ${when} (${summary})`, ...groups.map((g) => g.plain)].join('\n'),
    [header(`Stand-up for ${when}`), contextLine(summary), ...groups.map((g) => g.block)],
  );
}
