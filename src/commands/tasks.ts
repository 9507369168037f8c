import type { TaskRecord } from '../db/tasks-repository.js';
import { defuse } from './blocks.js';
import { defineCommand } from './command.js';
import { DATE_HELP, looksLikeDate, parseDate, parseTaskNumber, parseUserMention, todayIn } from './parse.js';
import { displayNames, isWorkspaceAdmin, teamToday, type CommandServices, type TeamContext } from './services.js';
import { parseTaskAdd, titleFrom } from './task-args.js';
import { findSubcommand, replyUnknownSubcommand, replyUsage, type SubcommandTable } from './subcommands.js';
import { taskListReply, taskReply } from './task-view.js';

const USAGE: Readonly<Record<string, string>> = {
  add: 'task add <title> [for @user] [due <date>]',
  list: 'task list [mine | @user | all | done]',
  done: 'task done <n>',
  reopen: 'task reopen <n>',
  edit: 'task edit <n> <title>',
  assign: 'task assign <n> @user|me|nobody',
  due: 'task due <n> <date>|none',
  delete: 'task delete <n>',
};

type Handler = (context: TeamContext, args: readonly string[]) => Promise<void>;

/** Answers with one form's usage line (wrong arguments). */
function usageOf(context: TeamContext, form: string, problem = ''): Promise<void> {
  return replyUsage(context, USAGE[form]!, problem);
}

/** The task named by `raw` in this team, or a reply saying why there is none. */
async function findTask(context: TeamContext, raw: string | undefined, form: string): Promise<TaskRecord | undefined> {
  const number = parseTaskNumber(raw);
  if (number === undefined) {
    await usageOf(context, form);
    return undefined;
  }
  const task = await context.services.tasks.get(context.teamId, number);
  if (!task) await context.reply(`There is no task #${number}. See them with \`task list\`.`);
  return task;
}

/** Creator, assignee or a workspace admin may change a task; anyone else gets a polite no. */
async function mayChange(context: TeamContext, task: TaskRecord, action: string): Promise<boolean> {
  if (task.createdBy === context.userId || task.assignee === context.userId) return true;
  if (await isWorkspaceAdmin(context, context.userId)) return true;
  await context.reply(`Sorry, only the person who created task #${task.number}, its assignee or a workspace admin can ${action} it.`);
  return false;
}

const add: Handler = async (context, args) => {
  const today = await teamToday(context);
  const parsed = parseTaskAdd(args, context.userId, today);
  if (!parsed.ok) return usageOf(context, 'add', parsed.problem);
  const task = await context.services.tasks.add({
    teamId: context.teamId, title: parsed.title, createdBy: context.userId, assignee: parsed.assignee, dueOn: parsed.dueOn,
  });
  await context.reply(taskReply('Added', task, todayIn(today)));
};

const STATUS_TITLES = { open: 'Open tasks', all: 'All tasks', done: 'Finished tasks' } as const;

/** `[mine | @user | all | done]` → a filter, or undefined when it is none of those. */
function listFilter(context: TeamContext, args: readonly string[]): { status: 'open' | 'all' | 'done'; person?: string } | undefined {
  if (args.length > 1) return undefined;
  const word = args[0]?.toLowerCase();
  if (word === undefined) return { status: 'open' };
  if (word === 'all' || word === 'done') return { status: word };
  if (word === 'mine' || word === 'me') return { status: 'open', person: context.userId };
  const person = parseUserMention(args[0]!);
  return person === undefined ? undefined : { status: 'open', person };
}

const list: Handler = async (context, args) => {
  const filter = listFilter(context, args);
  if (!filter) return usageOf(context, 'list');
  const found = await context.services.tasks.list(context.teamId, filter);
  const people = found.tasks.flatMap((task) => (task.assignee ? [task.assignee] : []));
  const names = await displayNames(context, filter.person ? [...people, filter.person] : people);
  const nameOf = (id: string): string => names.get(id) ?? `<@${id}>`;
  const whose = filter.person === undefined ? '' : filter.person === context.userId ? ' for you' : ` for ${nameOf(filter.person)}`;
  const title = `${STATUS_TITLES[filter.status]}${whose}`;
  const empty = `No ${STATUS_TITLES[filter.status].toLowerCase()}${whose} yet. Add one with \`task add <title>\`.`;
  await context.reply(taskListReply(title, found, nameOf, todayIn(await teamToday(context)), empty));
};

function setDone(isDone: boolean): Handler {
  return async (context, args) => {
    const form = isDone ? 'done' : 'reopen';
    if (args.length !== 1) return usageOf(context, form);
    const task = await findTask(context, args[0], form);
    if (!task) return;
    if ((task.doneAt !== null) === isDone) {
      return context.reply(`Task #${task.number} is ${isDone ? 'already done' : 'not done, so there is nothing to reopen'}.`);
    }
    const updated = await context.services.tasks.update(context.teamId, task.number, { done: isDone ? { by: context.userId } : null });
    if (updated) await context.reply(taskReply(isDone ? 'Finished' : 'Reopened', updated, todayIn(await teamToday(context))));
  };
}

const edit: Handler = async (context, args) => {
  const parsed = titleFrom(args.slice(1));
  if (args.length < 2 || !parsed.ok) return usageOf(context, 'edit', parsed.ok ? '' : parsed.problem);
  const task = await findTask(context, args[0], 'edit');
  if (!task || !(await mayChange(context, task, 'edit'))) return;
  const updated = await context.services.tasks.update(context.teamId, task.number, { title: parsed.title });
  if (updated) await context.reply(taskReply('Renamed', updated, todayIn(await teamToday(context))));
};

const assign: Handler = async (context, args) => {
  const who = args[1]?.toLowerCase();
  const assignee = who === 'me' ? context.userId : who === 'nobody' || who === 'none' ? null : parseUserMention(args[1] ?? '');
  if (args.length !== 2 || assignee === undefined) return usageOf(context, 'assign');
  const task = await findTask(context, args[0], 'assign');
  if (!task || !(await mayChange(context, task, 'reassign'))) return;
  const updated = await context.services.tasks.update(context.teamId, task.number, { assignee });
  if (updated) await context.reply(taskReply(assignee ? 'Assigned' : 'Unassigned', updated, todayIn(await teamToday(context))));
};

const due: Handler = async (context, args) => {
  if (args.length !== 2) return usageOf(context, 'due');
  const today = await teamToday(context);
  const clears = ['none', 'never', 'clear'].includes(args[1]!.toLowerCase());
  const dueOn = clears ? null : parseDate(args[1]!, today, 'future');
  if (dueOn === undefined) return usageOf(context, 'due', looksLikeDate(args[1]!) ? `I can't read the date \`${args[1]}\`. ${DATE_HELP}` : DATE_HELP);
  const task = await findTask(context, args[0], 'due');
  if (!task || !(await mayChange(context, task, 'reschedule'))) return;
  const updated = await context.services.tasks.update(context.teamId, task.number, { dueOn });
  if (updated) await context.reply(taskReply('Rescheduled', updated, todayIn(today)));
};

const remove: Handler = async (context, args) => {
  if (args.length !== 1) return usageOf(context, 'delete');
  const task = await findTask(context, args[0], 'delete');
  if (!task || !(await mayChange(context, task, 'delete'))) return;
  if (await context.services.tasks.delete(context.teamId, task.number)) {
    await context.reply(`Deleted task #${task.number}: ${defuse(task.title)}`);
  }
};

const SUBCOMMANDS: SubcommandTable<CommandServices> = {
  family: 'task',
  handlers: { add, list, done: setDone(true), reopen: setDone(false), edit, assign, due, delete: remove },
  aliases: { ls: 'list', new: 'add', finish: 'done', rm: 'delete', remove: 'delete', rename: 'edit' },
};

/** `task …`: the team's task list, numbered per workspace. */
export const taskCommand = defineCommand<CommandServices>({
  name: 'task',
  aliases: ['tasks', 'todo'],
  usage: Object.values(USAGE).join('\n'),
  summary: 'Add, list, finish and change the team\'s tasks (numbered #1, #2, …).',
  subcommands: Object.keys(SUBCOMMANDS.handlers),
  examples: ['task add "Write the release notes" for @alice due fri', 'task list mine', 'task done 3', 'task due 3 tomorrow'],
  async run(context) {
    const [word, ...args] = context.args;
    if (word === undefined) return context.usage();
    const handler = findSubcommand(SUBCOMMANDS, word);
    return handler ? handler(context, args) : replyUnknownSubcommand(context, SUBCOMMANDS, word);
  },
});
