import type { EmulatedWorkspace, PostedMessage } from '../../src/emulator/index.js';
import type { Harness } from '../support/harness.js';
import { until } from '../support/until.js';
import type { Member } from './ask.js';

/** The bot's IM with `userId` (the channel its DMs to them land in), as `conversations.open` answers. */
export async function dmOf(h: Harness, team: EmulatedWorkspace, userId: string): Promise<string> {
  const response = await fetch(`${h.slack.apiUrl}conversations.open`, {
    method: 'POST', headers: { authorization: `Bearer ${team.botToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ users: userId }),
  });
  const answer = await response.json() as { ok: boolean; channel?: { id: string }; error?: string };
  if (!answer.ok || !answer.channel) throw new Error(`conversations.open: ${answer.error ?? 'no channel'}`);
  return answer.channel.id;
}

/** A member whose DMs with the bot are the IM the bot itself opens (so requests and notifications share it). */
export async function person(h: Harness, team: EmulatedWorkspace, name?: string, options: { isAdmin?: boolean; userId?: string } = {}): Promise<Member> {
  const userId = options.userId ?? h.slack.createUser(team.teamId, { name: name ?? 'someone', ...(options.isAdmin ? { isAdmin: true } : {}) }).userId;
  return { team, userId, dmChannel: await dmOf(h, team, userId) };
}

/** Messages posted to `who`'s DM with the bot, oldest first (one method, default chat.postMessage). */
export function dmsTo(h: Harness, who: Member, method: PostedMessage['method'] = 'chat.postMessage'): PostedMessage[] {
  return h.slack.posted({ teamId: who.team.teamId, channel: who.dmChannel, method });
}

/** Waits until `who` has more than `count` DMs and resolves with the newest. */
export async function nextDm(h: Harness, who: Member, count: number, what = 'a DM'): Promise<PostedMessage> {
  await until(() => dmsTo(h, who).length > count, 10_000, what);
  return dmsTo(h, who).at(-1)!;
}

/** The action ids of a message's buttons. */
export function buttons(message: PostedMessage | undefined): string[] {
  const blocks = (message?.blocks ?? []) as Array<{ type?: string; elements?: Array<{ type?: string; action_id?: string }> }>;
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => (b.elements ?? []).filter((e) => e.type === 'button').map((e) => e.action_id ?? ''));
}

/** Two connected workspaces, Acme and Globex, and Acme's default member (alice) and admin. */
export async function acmeAndGlobex(h: Harness): Promise<{ acme: EmulatedWorkspace; globex: EmulatedWorkspace; alice: Member; admin: Member }> {
  const acme = h.slack.createWorkspace({ name: 'Acme' });
  const globex = h.slack.createWorkspace({ name: 'Globex' });
  await h.add(acme);
  await h.add(globex);
  return { acme, globex, alice: await person(h, acme, 'alice', { userId: acme.userId }), admin: await person(h, acme, 'admin', { userId: acme.adminUserId }) };
}
