import { readFile } from 'node:fs/promises';
import type { ImportRowBody } from '../admin/api-types.js';

/** A row the file itself got wrong: refused before anything is sent. `reason` never holds a token. */
export interface RefusedRow {
  readonly row: number;
  readonly error: string;
}

/** What a file holds: rows to send (numbered by their line) and rows refused on reading. */
export interface ImportFile {
  readonly rows: ImportRowBody[];
  readonly refused: RefusedRow[];
}

/** The file as a whole cannot be read (no header, an unknown column). */
export class ImportFileError extends Error {}

/** The text of `from`: a file, or stdin for `-`. Rejects with the file system's error. */
export async function readImportSource(from: string): Promise<string> {
  if (from !== '-') return readFile(from, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const KEYS = ['botToken', 'appToken', 'transport'] as const;
type Key = (typeof KEYS)[number];

/**
 * Reads an import file: JSON lines (`{"botToken": "xoxb-…", "appToken": "xapp-…", "transport": "socket-mode"}`)
 * when its first line is an object, else CSV with a header naming its columns (botToken, appToken,
 * transport; case, `_` and `-` ignored). Blank lines and lines starting with `#` are skipped. A
 * row's number is its line in the file (a CSV header is line 1). Empty values count as absent.
 * Throws ImportFileError when the file cannot be read at all; never echoes a value.
 */
export function parseImportFile(text: string): ImportFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((line, i) => ({ number: i + 1, text: line.trim() }))
    .filter((line) => line.text !== '' && !line.text.startsWith('#'));
  if (lines.length === 0) throw new ImportFileError('the file has no rows');
  return lines[0]!.text.startsWith('{') ? jsonLines(lines) : csv(lines);
}

interface Line { readonly number: number; readonly text: string }

function jsonLines(lines: readonly Line[]): ImportFile {
  const rows: ImportRowBody[] = [];
  const refused: RefusedRow[] = [];
  for (const line of lines) {
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      refused.push({ row: line.number, error: 'not valid JSON' }); // JSON.parse's message quotes the text
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      refused.push({ row: line.number, error: 'not a JSON object' });
      continue;
    }
    const unknown = Object.keys(value).find((key) => !(KEYS as readonly string[]).includes(key));
    if (unknown !== undefined) {
      refused.push({ row: line.number, error: `unknown key ${JSON.stringify(unknown.slice(0, 40))} (expected ${KEYS.join(', ')})` });
      continue;
    }
    const fields = value as Record<string, unknown>;
    const wrong = KEYS.find((key) => fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== 'string');
    if (wrong !== undefined) {
      refused.push({ row: line.number, error: `${wrong} must be a string` });
      continue;
    }
    pushRow(line.number, (key) => fields[key] as string | null | undefined, rows, refused);
  }
  return { rows, refused };
}

function csv(lines: readonly Line[]): ImportFile {
  const [header, ...data] = lines;
  const columns = splitCsv(header!.text).map((name) => {
    const normalized = name.toLowerCase().replace(/[\s_-]/g, '');
    const key = KEYS.find((k) => k.toLowerCase() === normalized);
    if (key === undefined) throw new ImportFileError(`line ${header!.number}: unknown column ${JSON.stringify(name.slice(0, 40))} in the CSV header (expected ${KEYS.join(', ')})`);
    return key;
  });
  if (!columns.includes('botToken')) throw new ImportFileError(`line ${header!.number}: the CSV header has no botToken column (expected ${KEYS.join(', ')})`);
  const rows: ImportRowBody[] = [];
  const refused: RefusedRow[] = [];
  for (const line of data) {
    const fields = splitCsv(line.text);
    if (fields.length !== columns.length) {
      refused.push({ row: line.number, error: `${fields.length} field(s) where the header has ${columns.length}` });
      continue;
    }
    pushRow(line.number, (key) => fields[columns.indexOf(key)], rows, refused);
  }
  return { rows, refused };
}

function pushRow(row: number, field: (key: Key) => string | null | undefined, rows: ImportRowBody[], refused: RefusedRow[]): void {
  const value = (key: Key): string | undefined => {
    const text = field(key)?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const botToken = value('botToken');
  if (botToken === undefined) {
    refused.push({ row, error: 'no botToken' });
    return;
  }
  const appToken = value('appToken');
  const transport = value('transport');
  rows.push({ row, botToken, ...(appToken === undefined ? {} : { appToken }), ...(transport === undefined ? {} : { transport }) });
}

/** One CSV line's fields: commas separate, double quotes enclose (a doubled quote inside is one quote). */
function splitCsv(text: string): string[] {
  const fields: string[] = [];
  let field = '';
  let isQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (isQuoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') isQuoted = false;
      else field += char;
    } else if (char === '"') isQuoted = true;
    else if (char === ',') {
      fields.push(field.trim());
      field = '';
    } else field += char;
  }
  fields.push(field.trim());
  return fields;
}
