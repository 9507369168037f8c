import type { LeaveFilter } from '../db/leave-repository.js';
import { defineCommand } from './command.js';
import { parseLeaveArgs } from './leave-args.js';
import { alreadyText, cancelLeave, decideLeave, refusalText, submitLeave, submittedText } from './leave-flow.js';
import { leaveForm } from './leave-form.js';
import { leaveInteractions } from './leave-interactions.js';
import { applyButtonReply, overlapText, requestListReply, spanText } from './leave-view.js';
import { parseTaskNumber, parseUserMention, todayIn } from './parse.js';
import { displayNames, isWorkspaceAdmin, teamCalendar, type CommandServices, type TeamContext } from './services.js';
import { findSubcommand, guessSubcommand, replyUnknownSubcommand, replyUsage, type SubcommandTable } from './subcommands.js';

const USAGE: Readonly<Record<string, string>> = {
  request: 'leave <from> [to <to>] [half am|pm] [<type>] [reason…]',
  form: 'leave',
  list: 'leave list [mine|pending|all|@user]',
  cancel: 'leave cancel <n>',
  approve: 'leave approve <n>',
  reject: 'leave reject <n> [reason]',
};

type Handler = (context: TeamContext, args: readonly string[]) => Promise<void>;

function usageOf(context: TeamContext, form: string, problem = ''): Promise<void> {
  return replyUsage(context, USAGE[form]!, problem);
}

/** `leave <from> …`: a request, checked and stored, or why not (nothing stored). */
async function request(context: TeamContext, args: readonly string[]): Promise<void> {
  const calendar = await teamCalendar(context);
  const parsed = parseLeaveArgs(args, calendar.today, calendar.settings.leaveTypes);
  if (!parsed.ok) return usageOf(context, 'request', parsed.problem);
  const { ok: _ok, ...fields } = parsed;
  const outcome = await submitLeave(context, fields, { isAnsweredInDm: context.request.source === 'direct' });
  const today = todayIn(calendar.today);
  if (outcome.kind === 'invalid') return usageOf(context, 'request', outcome.problem);
  if (outcome.kind === 'overlap') return context.reply(overlapText(outcome.existing, today));
  const unreachable = outcome.unreachable.length > 0
    ? `\nI could not reach ${outcome.unreachable.join(', ')}; they can still decide with \`leave approve ${outcome.request.number}\`.`
    : '';
  await context.reply(`${submittedText(outcome.request, today, outcome.days, outcome.deciders)}${unreachable}`);
}

/** `leave` alone: the form at once from `/flotilla leave`, else a message with an "Apply for leave" button. */
async function form(context: TeamContext): Promise<void> {
  const triggerId = context.request.triggerId;
  if (context.request.source !== 'slash_command' || triggerId === undefined) return context.reply(applyButtonReply());
  const calendar = await teamCalendar(context);
  try {
    await context.slack.call('views.open', { trigger_id: triggerId, view: leaveForm(calendar.settings.leaveTypes, todayIn(calendar.today)) });
  } catch {
    await context.reply(`I could not open the form in time. ${applyButtonReply().text}`);
  }
}

/** `[mine|pending|all|@user]` → who and what a list shows, or undefined. */
function listFilter(context: TeamContext, args: readonly string[]): { filter: LeaveFilter; title: string; person?: string } | undefined {
  if (args.length > 1) return undefined;
  const word = args[0]?.toLowerCase();
  if (word === undefined || word === 'mine' || word === 'me') return { filter: { userId: context.userId }, title: 'Your leave' };
  if (word === 'pending') return { filter: { statuses: ['pending'], order: 'soonest' }, title: 'Leave waiting for a decision' };
  if (word === 'all') return { filter: {}, title: 'All leave' };
  const person = parseUserMention(args[0]!);
  return person === undefined ? undefined : { filter: { userId: person }, title: 'Leave of', person };
}

const list: Handler = async (context, args) => {
  const chosen = listFilter(context, args);
  if (!chosen) return usageOf(context, 'list');
  const [found, calendar] = await Promise.all([context.services.leave.list(context.teamId, chosen.filter), teamCalendar(context)]);
  const names = await displayNames(context, [...found.requests.map((r) => r.userId), ...(chosen.person ? [chosen.person] : [])]);
  const nameOf = (id: string): string => names.get(id) ?? `<@${id}>`;
  const isApprover = calendar.settings.approvers.includes(context.userId)
    || (calendar.settings.approvers.length === 0 && (await isWorkspaceAdmin(context, context.userId).catch(() => false)));
  const title = chosen.person ? `${chosen.title} ${nameOf(chosen.person)}` : chosen.title;
  const empty = chosen.filter.statuses ? 'No leave is waiting for a decision.' : `No leave yet. Ask for some with \`${USAGE.request}\`.`;
  await context.reply(requestListReply(title, found, nameOf, todayIn(calendar.today), (r) => isApprover || r.userId === context.userId, empty));
};

/** The request number in `args[0]` (with nothing after it unless `isRestAllowed`), or undefined after answering the usage. */
async function numberOf(context: TeamContext, args: readonly string[], form: string, isRestAllowed: boolean): Promise<number | undefined> {
  const number = parseTaskNumber(args[0]);
  if (number !== undefined && (isRestAllowed || args.length === 1)) return number;
  await usageOf(context, form);
  return undefined;
}

const cancel: Handler = async (context, args) => {
  const number = await numberOf(context, args, 'cancel', false);
  if (number === undefined) return;
  const outcome = await cancelLeave(context, number);
  const calendar = await teamCalendar(context);
  if (outcome.kind === 'missing') return context.reply(`There is no leave request #${number}. See yours with \`leave list\`.`);
  if (outcome.kind === 'not_yours') return context.reply(`Sorry, only <@${outcome.request.userId}> can withdraw leave #${number}.`);
  if (outcome.kind === 'not_cancellable') {
    const { status } = outcome.request;
    if (status === 'rejected') return context.reply(`Leave #${number} cannot be withdrawn: ${alreadyText(outcome.request, calendar.today.timeZone)}`);
    return context.reply(`Leave #${number} cannot be withdrawn: ${status === 'cancelled' ? 'it is already cancelled' : 'it is over'}.`);
  }
  await context.reply(`Withdrew leave #${number} (${outcome.request.type}, ${spanText(outcome.request, todayIn(calendar.today))}).`);
};

function decide(status: 'approved' | 'rejected'): Handler {
  return async (context, args) => {
    const number = await numberOf(context, args, status === 'approved' ? 'approve' : 'reject', status === 'rejected');
    if (number === undefined) return;
    const note = args.slice(1).join(' ').trim();
    const outcome = await decideLeave(context, number, status, note === '' ? null : note);
    if (outcome.kind !== 'decided') return context.reply(refusalText(outcome, context.userId));
    const today = todayIn((await teamCalendar(context)).today);
    const verb = status === 'approved' ? 'Approved' : 'Rejected';
    await context.reply(`${verb} leave #${number} of <@${outcome.request.userId}> (${outcome.request.type}, ${spanText(outcome.request, today)}). I told them.`);
  };
}

const SUBCOMMANDS: SubcommandTable<CommandServices> = {
  family: 'leave',
  handlers: { list, cancel, approve: decide('approved'), reject: decide('rejected') },
  aliases: { ls: 'list', withdraw: 'cancel', decline: 'reject' },
};

/** `leave …`: requests, the form, lists, withdrawals and decisions. */
export const leaveCommand = defineCommand<CommandServices>({
  name: 'leave',
  aliases: ['pto', 'timeoff'],
  usage: Object.values(USAGE).join('\n'),
  summary: 'Ask for leave (or open the form), list requests, withdraw one, approve or reject (approvers).',
  subcommands: Object.keys(SUBCOMMANDS.handlers),
  examples: ['leave tomorrow', 'leave fri to tue vacation Family trip', 'leave 2025-06-02 half pm sick Dentist', 'leave list pending', 'leave approve 3'],
  interactions: leaveInteractions,
  async run(context) {
    const [word, ...args] = context.args;
    if (word === undefined) return form(context);
    const handler = findSubcommand(SUBCOMMANDS, word);
    if (handler) return handler(context, args);
    // A typo of a second word (`leave lst`) is one; anything that reads as a date (`leave mon`) is a request.
    const guess = /\d/.test(word) ? undefined : guessSubcommand(SUBCOMMANDS, word, 2);
    if (guess && !(await looksLikeLeave(context, word))) return replyUnknownSubcommand(context, SUBCOMMANDS, word, guess);
    return request(context, context.args);
  },
});

/** Whether `word` reads as a start date, so `leave mon` is a request and `leave lst` a typo. */
async function looksLikeLeave(context: TeamContext, word: string): Promise<boolean> {
  const calendar = await teamCalendar(context);
  return parseLeaveArgs([word], calendar.today, calendar.settings.leaveTypes).ok;
}
