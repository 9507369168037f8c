import { plainQuotes } from '../slack/normalize.js';

/**
 * Splits command text into arguments: whitespace separates; `"…"` keeps its
 * spaces (an unclosed `"` runs to the end); `'…'` does too when the quote
 * opens a word and closes one, so apostrophes (`Bob's`, `don't`) stay plain
 * letters. Smart quotes count as plain ones. Pure; never throws.
 */
export function tokenize(text: string): string[] {
  const args: string[] = [];
  const pattern = /"([^"]*)"?|'((?:[^']|'(?=\S))*)'(?=\s|$)|(\S+)/g;
  for (const match of plainQuotes(text).matchAll(pattern)) {
    args.push(match[1] ?? match[2] ?? match[3] ?? '');
  }
  return args;
}

/** `text` without its first word (and the whitespace after it); newlines inside the rest are kept. */
export function afterFirstWord(text: string): string {
  return text.replace(/^\s*\S+[ \t]*/, '').replace(/^\r?\n/, '').trimEnd();
}

/** Edit distance between two short words (for "did you mean"). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word`, if it is within `maxDistance` (default: a typo's worth). */
export function closest(word: string, candidates: readonly string[], maxDistance?: number): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word.toLowerCase(), name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  const limit = maxDistance ?? Math.max(2, Math.floor(word.length / 2));
  return best && best.distance <= limit ? best.name : undefined;
}
