import type { EmulatedWorkspace, PostedMessage } from '../../src/emulator/index.js';
import type { Harness } from '../support/harness.js';
import { until } from '../support/until.js';

/** How a request reaches the bot: an @mention in a channel, a DM, or `/flotilla`. */
export type Via = 'mention' | 'dm' | 'slash';
export const EVERY_WAY: readonly Via[] = ['mention', 'dm', 'slash'];

/** One member of an emulated workspace, with a DM channel of their own. */
export interface Member {
  readonly team: EmulatedWorkspace;
  readonly userId: string;
  readonly dmChannel: string;
}

/** A member for `userId` (default the workspace's ordinary user) with a fresh DM channel. */
export function member(h: Harness, team: EmulatedWorkspace, userId = team.userId): Member {
  return { team, userId, dmChannel: h.slack.createChannel(team.teamId, { isIm: true }).channelId };
}

/**
 * Sends `text` to the bot as `who`, the way `via` says, and resolves to the
 * bot's reply in that channel. Requests in one file run one at a time, so the
 * next message the channel gets is the reply.
 */
export async function ask(h: Harness, who: Member, text: string, via: Via = 'mention', threadTs?: string): Promise<PostedMessage> {
  const { team } = who;
  const channel = via === 'dm' ? who.dmChannel : team.generalChannelId;
  const before = h.slack.posted({ teamId: team.teamId, channel }).length;
  if (via === 'slash') h.slack.sendSlashCommand(team.teamId, { user: who.userId, channel, text });
  else {
    const body = via === 'mention' ? `<@${team.botUserId}> ${text}` : text;
    h.slack.postUserMessage(team.teamId, { user: who.userId, channel, text: body, ...(threadTs ? { threadTs } : {}) });
  }
  await until(() => h.slack.posted({ teamId: team.teamId, channel }).length > before, 10_000, `a reply to "${text}"`);
  return h.slack.posted({ teamId: team.teamId, channel })[before]!;
}

/** The text of every section and context block, for checking what Block Kit shows. */
export function blockText(message: PostedMessage): string {
  const blocks = (message.blocks ?? []) as Array<{ text?: { text?: string }; elements?: Array<{ text?: string }> }>;
  return blocks.flatMap((b) => [b.text?.text ?? '', ...(b.elements ?? []).map((e) => e.text ?? '')]).join('\n');
}
