import type { Reply } from '../slack/types.js';
import type { SettingsPatch, WorkspaceSettings } from '../db/settings-repository.js';
import { contextLine, message, section } from './blocks.js';
import { defineCommand } from './command.js';
import { parseTime, parseUserMention } from './parse.js';
import { isWorkspaceAdmin, teamCalendar, type CommandServices, type TeamContext } from './services.js';
import { canonicalTimeZone, parseChannel, parseLeaveTypes, parseWorkdays, workdaysText } from './settings-args.js';
import { replyUnknownSubcommand, replyUsage } from './subcommands.js';

const USAGE: Readonly<Record<string, string>> = {
  show: 'settings',
  timezone: 'settings timezone <IANA zone, e.g. Europe/Paris>',
  'summary-channel': 'settings summary-channel <#channel>',
  'summary-time': 'settings summary-time <HH:MM>',
  workdays: 'settings workdays <mon-fri | mon,tue,…>',
  approvers: 'settings approvers <@user …> | none',
  'leave-types': 'settings leave-types <a,b,…>',
  summary: 'settings summary off|on',
};

/** What a change reads: a patch to store, or why the value cannot be used. */
type Change = { ok: true; patch: SettingsPatch; done: string } | { ok: false; problem: string };
type Reader = (context: TeamContext, args: readonly string[]) => Promise<Change>;

const fail = (problem: string): Change => ({ ok: false, problem });

const READERS: Readonly<Record<string, Reader>> = {
  async timezone(_context, args) {
    if (args.length === 1 && ['slack', 'default'].includes(args[0]!.toLowerCase())) return { ok: true, patch: { timeZone: null }, done: 'The time zone now follows Slack\'s workspace setting.' };
    const zone = args.length === 1 ? canonicalTimeZone(args[0]!) : undefined;
    if (!zone) return fail(`${args[0] ? `\`${args[0]}\` is not a time zone I know. ` : ''}Use an IANA name such as \`Europe/Paris\` or \`America/New_York\` (\`slack\` to follow Slack).`);
    return { ok: true, patch: { timeZone: zone }, done: `Time zone set to ${zone}.` };
  },
  async 'summary-channel'(context, args) {
    const channel = args.length === 1 ? parseChannel(args[0]!) : undefined;
    if (!channel) return fail('Name the channel as a link: type `#` and pick it.');
    const info = await context.slack.call<{ channel?: { is_member?: boolean; is_archived?: boolean } }>('conversations.info', { channel }).catch(() => undefined);
    if (!info || info.channel?.is_member === false) return fail(`I can't see <#${channel}>. Invite me there first (\`/invite @flotilla\`).`);
    if (info.channel?.is_archived) return fail(`<#${channel}> is archived.`);
    return { ok: true, patch: { summaryChannel: channel, isSummaryEnabled: true }, done: `The daily summary goes to <#${channel}>.` };
  },
  async 'summary-time'(_context, args) {
    const time = args.length === 1 ? parseTime(args[0]!) : undefined;
    if (!time) return fail('Give a 24-hour time such as `09:00` or `13:30`.');
    return { ok: true, patch: { summaryTime: time }, done: `The daily summary is posted at ${time}.` };
  },
  async workdays(_context, args) {
    const days = parseWorkdays(args);
    if (!days) return fail('Give a range such as `mon-fri` or `sun-thu`, or a list such as `mon,tue,thu`.');
    return { ok: true, patch: { workdays: days }, done: `Workdays: ${workdaysText(days)}.` };
  },
  async approvers(context, args) {
    if (args.length === 1 && ['none', 'admins', 'nobody'].includes(args[0]!.toLowerCase())) {
      return { ok: true, patch: { approvers: [] }, done: 'No approvers: workspace admins and owners decide leave.' };
    }
    const ids = args.map((a) => parseUserMention(a));
    if (ids.length === 0 || ids.some((id) => id === undefined)) return fail('Mention each approver (`@alice @bob`), or say `none`.');
    for (const id of ids as string[]) {
      const person = await context.services.people.get(context.teamId, id, context.slack).catch(() => undefined);
      if (!person || person.isBot || person.isDeleted) return fail(`<@${id}> can't approve leave: ${person ? 'not an active person' : 'I don\'t know them here'}.`);
    }
    const unique = [...new Set(ids as string[])];
    return { ok: true, patch: { approvers: unique }, done: `Approvers: ${unique.map((id) => `<@${id}>`).join(', ')}.` };
  },
  async 'leave-types'(_context, args) {
    const types = parseLeaveTypes(args);
    if (!types) return fail('Give 1 to 20 names in lower case, separated by commas, e.g. `vacation,sick,parental`; the first is the default.');
    return { ok: true, patch: { leaveTypes: types }, done: `Leave types: ${types.join(', ')} (default ${types[0]}).` };
  },
  async summary(_context, args) {
    const word = args.length === 1 ? args[0]!.toLowerCase() : '';
    if (word !== 'on' && word !== 'off') return fail('Say `settings summary off` or `settings summary on`.');
    return { ok: true, patch: { isSummaryEnabled: word === 'on' }, done: `The daily summary is ${word}.` };
  },
};

/** The settings as a reply. */
function settingsReply(settings: WorkspaceSettings, timeZone: string): Reply {
  const summary = settings.summaryChannel === null ? 'not set up (`settings summary-channel #channel`)'
    : `${settings.isSummaryEnabled ? 'on' : 'off'}: <#${settings.summaryChannel}> at ${settings.summaryTime} on workdays that are not holidays`;
  const lines = [
    `• Time zone: ${timeZone}${settings.timeZone === null ? ' (from Slack)' : ''}`,
    `• Daily "who is out" summary: ${summary}`,
    `• Workdays: ${workdaysText(settings.workdays)}`,
    `• Approvers: ${settings.approvers.length > 0 ? settings.approvers.map((id) => `<@${id}>`).join(', ') : 'none (workspace admins and owners decide)'}`,
    `• Leave types: ${settings.leaveTypes.join(', ')} (default ${settings.leaveTypes[0]})`,
  ];
  const hint = 'Workspace admins change them: `help settings`. Holidays: `holiday list`.';
  return message(['Settings of this workspace:', ...lines, hint].join('\n'), [section(`*Settings of this workspace*\n${lines.join('\n')}`), contextLine(hint)]);
}

/** `settings …`: show them (anyone), change one (workspace admins and owners). */
export const settingsCommand = defineCommand<CommandServices>({
  name: 'settings',
  aliases: ['setting', 'config'],
  usage: Object.values(USAGE).join('\n'),
  summary: 'The workspace\'s leave and summary settings (admins change them).',
  subcommands: Object.keys(READERS),
  examples: ['settings', 'settings timezone Europe/Paris', 'settings summary-channel #team', 'settings workdays mon-fri', 'settings approvers @alice @bob'],
  async run(context) {
    const [word, ...args] = context.args;
    if (word === undefined) {
      const calendar = await teamCalendar(context);
      return context.reply(settingsReply(calendar.settings, calendar.today.timeZone));
    }
    const key = word.toLowerCase().replace(/_/g, '-');
    const reader = READERS[key];
    if (!reader) return replyUnknownSubcommand(context, { family: 'settings', handlers: READERS }, word);
    if (!(await isWorkspaceAdmin(context, context.userId))) return context.reply('Sorry, only workspace admins and owners can change settings.');
    const change = await reader(context, args);
    if (!change.ok) return replyUsage(context, USAGE[key]!, change.problem);
    await context.services.settings.update(context.teamId, change.patch, context.userId);
    await context.reply(change.done);
  },
});
