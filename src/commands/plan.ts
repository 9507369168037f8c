import type { NewPlanEntry, PlanEntryKind } from '../db/plans-repository.js';
import { defuse } from './blocks.js';
import { defineCommand } from './command.js';
import { DATE_HELP, parseDate, parseTime, parseUserMention, todayIn } from './parse.js';
import { planReply, standupReply } from './plan-view.js';
import { displayName, displayNames, teamToday, type CommandServices, type TeamContext } from './services.js';

/** The longest one entry may be. */
const MAX_ENTRY_CHARS = 1_000;

/** The request's text as entries: one per non-empty line, list bullets and wrapping quotes removed. */
export function entryLines(rest: string): string[] {
  return rest
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^(?:[-•*‣◦]|\d+[.)])\s+/, '').replace(/^"(.*)"$/, '$1').trim())
    .filter((line) => line !== '');
}

/** Reads `HH:MM text` meeting lines; undefined when any line lacks a time or a subject. */
export function meetingLines(lines: readonly string[]): { time: string; text: string }[] | undefined {
  const meetings: { time: string; text: string }[] = [];
  for (const line of lines) {
    const match = /^(\S+)\s+(.+)$/.exec(line);
    const time = match ? parseTime(match[1]!) : undefined;
    const text = match?.[2]!.trim().replace(/^"(.*)"$/, '$1').trim();
    if (time === undefined || !text) return undefined;
    meetings.push({ time, text });
  }
  return meetings;
}

/** The confirmation's first words per kind, and the noun for counting. */
const CONFIRM: Readonly<Record<PlanEntryKind, [string, string]>> = {
  plan: ['Added to your plan for today', 'items'],
  did: ['Noted what you got done today', 'items'],
  blocked: ['Noted: you need help today (it shows in `standup`)', 'blockers'],
  meeting: ['Added to your meetings today', 'meetings'],
};

/** Stores today's entries of one kind for the caller; nothing is written when any line is malformed. */
async function record(context: TeamContext, kind: PlanEntryKind, usage: string): Promise<void> {
  const lines = entryLines(context.rest);
  const items = kind === 'meeting' ? meetingLines(lines) : lines.map((text) => ({ time: null, text }));
  if (items === undefined || items.length === 0) return context.reply(`Usage: \`${usage}\` (one per line)`);
  if (items.some((item) => item.text.length > MAX_ENTRY_CHARS)) {
    return context.reply(`That is too long: at most ${MAX_ENTRY_CHARS} characters per line.`);
  }
  const day = todayIn(await teamToday(context));
  const entries: NewPlanEntry[] = items.map(({ time, text }) => ({
    teamId: context.teamId, userId: context.userId, day, kind, text, time, channelId: context.request.channelId,
  }));
  await context.services.plans.add(entries);
  const [confirm, noun] = CONFIRM[kind];
  const count = entries.length === 1 ? '' : ` (${entries.length} ${noun})`;
  const list = entries.map((entry) => `• ${entry.time ? `${entry.time} ` : ''}${defuse(entry.text)}`);
  await context.reply([`${confirm}${count}:`, ...list].join('\n'));
}

/** Reads `[@user|me] [date]` in any order (weekdays look back); undefined on anything else. */
async function whoAndWhen(context: TeamContext, args: readonly string[]): Promise<{ userId: string; day: string } | undefined> {
  const today = await teamToday(context);
  let userId: string | undefined;
  let day: string | undefined;
  for (const arg of args) {
    const person = parseUserMention(arg) ?? (arg.toLowerCase() === 'me' ? context.userId : undefined);
    const date = person === undefined ? parseDate(arg, today, 'past') : undefined;
    if (person !== undefined && userId === undefined) userId = person;
    else if (date !== undefined && day === undefined) day = date;
    else return undefined;
  }
  return { userId: userId ?? context.userId, day: day ?? todayIn(today) };
}

/** `plan <text>` and `plan show [@user] [date]`. */
export const planCommand = defineCommand<CommandServices>({
  name: 'plan',
  usage: 'plan <what you will do today>\nplan show [@user] [date]',
  summary: 'Post what you will do today (one item per line), or show someone\'s day.',
  subcommands: ['show'],
  examples: ['plan Review the API changes', 'plan show', 'plan show @alice yesterday'],
  async run(context) {
    if (context.args[0]?.toLowerCase() !== 'show') return record(context, 'plan', 'plan <what you will do today>');
    const target = await whoAndWhen(context, context.args.slice(1));
    if (!target) return context.reply(`Usage: \`plan show [@user] [date]\`\n${DATE_HELP}`);
    const entries = await context.services.plans.forDay(context.teamId, target.day, target.userId);
    const name = target.userId === context.userId ? undefined : await displayName(context, target.userId);
    await context.reply(planReply(name, target.day, todayIn(await teamToday(context)), entries));
  },
});

/** `did <text>`: today's accomplishments. */
export const didCommand = defineCommand<CommandServices>({
  name: 'did', usage: 'did <what you got done>', summary: 'Note what you got done today.',
  examples: ['did Shipped the login fix'],
  run: (context) => record(context, 'did', 'did <what you got done>'),
});

/** `blocked <text>`: help needed today. */
export const blockedCommand = defineCommand<CommandServices>({
  name: 'blocked', usage: 'blocked <what you need help with>', summary: 'Ask for help: say what blocks you today.',
  examples: ['blocked Waiting for access to the staging database'],
  run: (context) => record(context, 'blocked', 'blocked <what you need help with>'),
});

/** `meeting <HH:MM> <text>`: today's meetings. */
export const meetingCommand = defineCommand<CommandServices>({
  name: 'meeting', aliases: ['meetings'], usage: 'meeting <HH:MM> <what>', summary: 'Add a meeting to your day (24-hour time).',
  examples: ['meeting 10:30 Sprint review', 'meeting 14:00 "1:1 with Sam"'],
  run: (context) => record(context, 'meeting', 'meeting <HH:MM> <what>'),
});

/** `standup [date]`: everyone's day, grouped by person. */
export const standupCommand = defineCommand<CommandServices>({
  name: 'standup', aliases: ['stand-up'], usage: 'standup [date]',
  summary: 'Everyone\'s plan, accomplishments, blockers and meetings for a day.',
  examples: ['standup', 'standup yesterday', 'standup mon'],
  async run(context) {
    const today = await teamToday(context);
    const day = context.args.length === 0 ? todayIn(today) : context.args.length === 1 ? parseDate(context.args[0]!, today, 'past') : undefined;
    if (day === undefined) return context.reply(`Usage: \`standup [date]\`\n${DATE_HELP}`);
    const entries = await context.services.plans.forDay(context.teamId, day);
    const names = await displayNames(context, entries.map((entry) => entry.userId));
    await context.reply(standupReply(day, todayIn(today), entries, (id) => names.get(id) ?? `<@${id}>`));
  },
});
