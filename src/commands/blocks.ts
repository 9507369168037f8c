import type { Reply } from '../slack/types.js';

/** A Block Kit block (kept loose: Slack validates the shape). */
export type Block = Readonly<Record<string, unknown>>;

/** Slack's limit on one section's text, with room for an ellipsis. */
const SECTION_MAX_CHARS = 2_900;
/** Slack allows 50 blocks per message. */
const MAX_BLOCKS = 50;

/** A mrkdwn section (text cut to Slack's limit). */
export function section(markdown: string): Block {
  const text = markdown.length > SECTION_MAX_CHARS ? `${markdown.slice(0, SECTION_MAX_CHARS)}…` : markdown;
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** A small grey line of mrkdwn (hints, counts). */
export function contextLine(markdown: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: markdown }] };
}

/** A plain-text header block. */
export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: text.slice(0, 150), emoji: true } };
}

/** Sections holding `lines`, several lines per section, each section under Slack's size limit. */
export function sectionsOf(lines: readonly string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    if (current !== '' && current.length + line.length + 1 > SECTION_MAX_CHARS) {
      blocks.push(section(current));
      current = '';
    }
    current = current === '' ? line : `${current}\n${line}`;
  }
  if (current !== '') blocks.push(section(current));
  return blocks;
}

/** A reply with its plain-text fallback; blocks beyond Slack's 50 are dropped (the fallback keeps everything). */
export function message(text: string, blocks: readonly Block[]): Reply {
  return { text, blocks: blocks.slice(0, MAX_BLOCKS) };
}

/**
 * User-written text made safe to echo: `<!here>`, `<!channel>`, `<!everyone>`
 * and user-group pings become plain words, so a task title never pings a
 * crowd. User and channel mentions and links stay as they are.
 */
export function defuse(text: string): string {
  return text.replace(/<!([^>|]+)(?:\|([^>]*))?>/g, (_match, name: string, label?: string) =>
    `@${label ? label.replace(/^@/, '') : name.replace(/^subteam\^/, 'group ')}`);
}
