/**
 * Bot-directed detection. A message is for the bot when it starts with the
 * bot's mention (`<@U123>` or `<@U123|name>`), or when it is in a DM with the bot.
 */

const LEADING_MENTION = /^\s*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>[\s:,]*/;

/**
 * The command text of a bot-directed message (mention stripped, trimmed), or
 * `undefined` when the message is not for the bot. Pure; never throws.
 */
export function directedText(text: string, botUserId: string, isDirectMessage: boolean): string | undefined {
  const match = LEADING_MENTION.exec(text);
  if (match && match[1] === botUserId) return text.slice(match[0].length).trim();
  if (isDirectMessage) return text.trim();
  return undefined;
}
