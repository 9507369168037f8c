import { contextLine, defuse, message, section } from './blocks.js';
import { defineCommand } from './command.js';
import { addDays, DATE_HELP, formatDate, looksLikeDate, parseDate, todayIn } from './parse.js';
import { isWorkspaceAdmin, teamCalendar, type CommandServices, type TeamContext } from './services.js';
import { findSubcommand, replyUnknownSubcommand, replyUsage, type SubcommandTable } from './subcommands.js';

const USAGE: Readonly<Record<string, string>> = {
  add: 'holiday add <date> <name>',
  list: 'holiday list',
  remove: 'holiday remove <date>',
};
const MAX_NAME_CHARS = 100;

type Handler = (context: TeamContext, args: readonly string[]) => Promise<void>;

function usageOf(context: TeamContext, form: string, problem = ''): Promise<void> {
  return replyUsage(context, USAGE[form]!, problem);
}

/** The date in `word` (a bare weekday is the coming one), or undefined after answering why not. */
async function dateOf(context: TeamContext, word: string | undefined, form: string): Promise<string | undefined> {
  const calendar = await teamCalendar(context);
  const day = word === undefined ? undefined : parseDate(word, calendar.today, 'future');
  if (day === undefined) await usageOf(context, form, word !== undefined && looksLikeDate(word) ? `I can't read the date \`${word}\`. ${DATE_HELP}` : DATE_HELP);
  return day;
}

async function isAllowed(context: TeamContext): Promise<boolean> {
  if (await isWorkspaceAdmin(context, context.userId)) return true;
  await context.reply('Sorry, only workspace admins and owners can change holidays.');
  return false;
}

const add: Handler = async (context, args) => {
  if (!(await isAllowed(context))) return;
  const name = args.slice(1).join(' ').replace(/\s+/g, ' ').trim();
  const day = await dateOf(context, args[0], 'add');
  if (day === undefined) return;
  if (name === '' || name.length > MAX_NAME_CHARS) return usageOf(context, 'add', name === '' ? 'Give the holiday a name.' : `That name is too long (at most ${MAX_NAME_CHARS} characters).`);
  const isNew = await context.services.settings.addHoliday(context.teamId, { day, name }, context.userId);
  const today = todayIn((await teamCalendar(context)).today);
  await context.reply(`${isNew ? 'Added' : 'Renamed'} the holiday on ${formatDate(day, today)}: ${defuse(name)}. No summary is posted that day.`);
};

const list: Handler = async (context, args) => {
  if (args.length > 0) return usageOf(context, 'list');
  const today = todayIn((await teamCalendar(context)).today);
  const holidays = await context.services.settings.holidays(context.teamId, { from: today, to: addDays(today, 366) });
  if (holidays.length === 0) return context.reply('No holidays ahead. An admin adds one with `holiday add <date> <name>`.');
  const lines = holidays.map((h) => `• ${formatDate(h.day, today)}: ${defuse(h.name)}`);
  const heading = `Holidays in the coming year (${holidays.length})`;
  await context.reply(message([`${heading}:`, ...lines].join('\n'), [section(`*${heading}*\n${lines.join('\n')}`), contextLine('No daily summary is posted on a holiday.')]));
};

const remove: Handler = async (context, args) => {
  if (!(await isAllowed(context))) return;
  if (args.length !== 1) return usageOf(context, 'remove');
  const day = await dateOf(context, args[0], 'remove');
  if (day === undefined) return;
  const removed = await context.services.settings.removeHoliday(context.teamId, day);
  const today = todayIn((await teamCalendar(context)).today);
  if (!removed) return context.reply(`There is no holiday on ${formatDate(day, today)}. See them with \`holiday list\`.`);
  await context.reply(`Removed the holiday on ${formatDate(day, today)}: ${defuse(removed.name)}.`);
};

const SUBCOMMANDS: SubcommandTable<CommandServices> = {
  family: 'holiday', handlers: { add, list, remove }, aliases: { ls: 'list', delete: 'remove', rm: 'remove', new: 'add' },
};

/** `holiday add|list|remove`: the workspace's holidays (no summary, not counted as working days). */
export const holidayCommand = defineCommand<CommandServices>({
  name: 'holiday',
  aliases: ['holidays'],
  usage: Object.values(USAGE).join('\n'),
  summary: 'The workspace\'s holidays (admins add and remove them).',
  subcommands: Object.keys(SUBCOMMANDS.handlers),
  examples: ['holiday add 2025-12-25 Christmas', 'holiday list', 'holiday remove 2025-12-25'],
  async run(context) {
    const [word, ...args] = context.args;
    if (word === undefined) return list(context, []);
    const handler = findSubcommand(SUBCOMMANDS, word);
    return handler ? handler(context, args) : replyUnknownSubcommand(context, SUBCOMMANDS, word);
  },
});
