import { DATE_HELP, looksLikeDate, parseDate, parseUserMention, type Today } from './parse.js';

/** The longest title a task may have. */
export const MAX_TITLE_CHARS = 500;

/** `task add`'s arguments, read, or why they cannot be. */
export type TaskAddArgs =
  | { readonly ok: true; readonly title: string; readonly assignee: string | null; readonly dueOn: string | null }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads `<title> [for @user] [due <date>]` (the two trailing parts in either
 * order). `due`/`for` words that are not followed by a date / mention stay in
 * the title, so "fix the due date display" is just a title; a quoted title is
 * never split. `me` works for `for`. Pure.
 */
export function parseTaskAdd(args: readonly string[], userId: string, today: Today): TaskAddArgs {
  const words = [...args];
  let assignee: string | null = null;
  let dueOn: string | null = null;
  for (let round = 0; round < 2 && words.length >= 2; round++) {
    const keyword = words.at(-2)!.toLowerCase();
    const value = words.at(-1)!;
    if (keyword === 'due' && dueOn === null && looksLikeDate(value)) {
      const date = parseDate(value, today, 'future');
      if (date === undefined) return { ok: false, problem: `I can't read the date \`${value}\`. ${DATE_HELP}` };
      dueOn = date;
    } else if (keyword === 'for' && assignee === null && (parseUserMention(value) || value.toLowerCase() === 'me')) {
      assignee = parseUserMention(value) ?? userId;
    } else {
      break;
    }
    words.splice(-2, 2);
  }
  return titleFrom(words, assignee, dueOn);
}

/** A title from words: joined with single spaces, non-empty and not too long. */
export function titleFrom(words: readonly string[], assignee: string | null = null, dueOn: string | null = null): TaskAddArgs {
  const title = words.join(' ').replace(/\s+/g, ' ').trim();
  if (title === '') return { ok: false, problem: '' };
  if (title.length > MAX_TITLE_CHARS) return { ok: false, problem: `That title is too long (${title.length} characters; at most ${MAX_TITLE_CHARS}).` };
  return { ok: true, title, assignee, dueOn };
}
