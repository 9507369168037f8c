import { describe, expect, it } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { DEFAULT_SLACK_SCOPES } from '../../../src/config.js';

/** The list items (`- name`, comments dropped) of the block that starts at the line `header`. */
function listUnder(text: string, header: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => header.test(line));
  if (start < 0) return [];
  const indent = /^\s*/.exec(lines[start]!)![0].length;
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (/^\s*/.exec(line)![0].length <= indent) break;
    const item = /^\s*-\s+([^\s#]+)/.exec(line);
    if (item) items.push(item[1]!);
  }
  return items;
}

describe('slack-app-manifest.http.yaml (a distributed app over HTTP)', () => {
  it('asks for the default scopes and the summary channel\'s, subscribes to the uninstall events, and sends everything to /slack/events', async () => {
    const text = await readFile(new URL('../../../slack-app-manifest.http.yaml', import.meta.url), 'utf8');
    const scopes = listUnder(text, /^\s+bot:\s*$/);
    expect(scopes).toEqual(expect.arrayContaining([...DEFAULT_SLACK_SCOPES.split(','), 'channels:read']));
    expect(listUnder(text, /^\s+bot_events:\s*$/)).toEqual(expect.arrayContaining(['app_mention', 'message.im', 'app_uninstalled', 'tokens_revoked']));
    const urls = [...text.matchAll(/^\s+(?:-\s+)?(?:url|request_url):\s+(\S+)/gm)].map((m) => m[1]);
    expect(urls).toHaveLength(3); // the slash command, the event subscriptions, interactivity
    expect(urls.every((url) => url?.endsWith('/slack/events'))).toBe(true);
    expect(listUnder(text, /^\s+redirect_urls:\s*$/)).toEqual([expect.stringMatching(/\/slack\/oauth_redirect$/)]);
    expect(text).toMatch(/^\s+socket_mode_enabled: false$/m);
    expect(text).toMatch(/^\s+org_deploy_enabled: false$/m);
  });
});
