import type { TaskRecord } from '../db/tasks-repository.js';
import type { Reply } from '../slack/types.js';
import { contextLine, defuse, message, section, sectionsOf } from './blocks.js';
import { formatDate } from './parse.js';

/** How a task's people are shown: display names by user id (lists), or mentions (confirmations). */
export type NameOf = (userId: string) => string;

/** `<@U…>`: Slack renders it as the user's name (and notifies them). */
export const mention: NameOf = (userId) => `<@${userId}>`;

/** Whether an open task's due date is before `today`. */
export function isOverdue(task: TaskRecord, today: string): boolean {
  return task.doneAt === null && task.dueOn !== null && task.dueOn < today;
}

/** The parts after a task's title: assignee, due date, overdue / done marks. */
function details(task: TaskRecord, nameOf: NameOf, today: string): { plain: string[]; markdown: string[] } {
  const plain: string[] = [];
  const markdown: string[] = [];
  if (task.assignee !== null) {
    plain.push(`for ${nameOf(task.assignee)}`);
    markdown.push(`for ${nameOf(task.assignee)}`);
  }
  if (task.dueOn !== null) {
    const due = task.dueOn === today ? 'due today' : `due ${formatDate(task.dueOn, today)}`;
    plain.push(isOverdue(task, today) ? `${due} (OVERDUE)` : due);
    markdown.push(isOverdue(task, today) ? `:warning: *${due} (overdue)*` : due);
  }
  if (task.doneAt !== null) {
    plain.push('done');
    markdown.push(':white_check_mark: done');
  }
  return { plain, markdown };
}

/** One task as a plain line: `#3 Fix login · for alice · due Fri 16 May (OVERDUE)`. */
export function taskPlainLine(task: TaskRecord, nameOf: NameOf, today: string): string {
  return [`#${task.number} ${defuse(task.title)}`, ...details(task, nameOf, today).plain].join(' · ');
}

/** One task as a mrkdwn line; done tasks struck through. */
export function taskMarkdownLine(task: TaskRecord, nameOf: NameOf, today: string): string {
  const title = task.doneAt === null ? `*#${task.number}* ${defuse(task.title)}` : `~#${task.number} ${defuse(task.title)}~`;
  return [title, ...details(task, nameOf, today).markdown].join('  ·  ');
}

/** A list of tasks under a title, with "showing N of M" when cut, or `empty` when there are none. */
export function taskListReply(
  title: string,
  list: { tasks: readonly TaskRecord[]; total: number },
  nameOf: NameOf,
  today: string,
  empty: string,
): Reply {
  if (list.tasks.length === 0) return { text: empty, blocks: [section(empty)] };
  const overdue = list.tasks.filter((task) => isOverdue(task, today)).length;
  const heading = `${title} (${list.total}${overdue > 0 ? `, ${overdue} overdue` : ''})`;
  const more = list.total > list.tasks.length ? `Showing ${list.tasks.length} of ${list.total}.` : '';
  const plain = [`${heading}:`, ...list.tasks.map((task) => taskPlainLine(task, nameOf, today)), ...(more ? [more] : [])];
  return message(plain.join('\n'), [
    section(`*${heading}*`),
    ...sectionsOf(list.tasks.map((task) => taskMarkdownLine(task, nameOf, today))),
    contextLine(more || 'Mark one finished with `task done <n>`; see `help task` for more.'),
  ]);
}

/** A one-task confirmation, e.g. `Added task #3: Fix login · for @bob · due Fri 16 May`. */
export function taskReply(verb: string, task: TaskRecord, today: string): Reply {
  return message(`${verb} task ${taskPlainLine(task, mention, today)}`, [
    section(`${verb} task ${taskMarkdownLine(task, mention, today)}`),
  ]);
}
