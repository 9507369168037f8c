import { whoIsOutReply } from '../jobs/who-is-out.js';
import { defineCommand } from './command.js';
import { DATE_HELP, formatDate, parseDate, todayIn, weekdayOf } from './parse.js';
import { displayNames, teamCalendar, type CommandServices } from './services.js';

/** `out [date]`: who is out (approved leave) that day, full days and half days apart. */
export const outCommand = defineCommand<CommandServices>({
  name: 'out',
  aliases: ['away'],
  usage: 'out [date]',
  summary: 'Who is out (approved leave) today, or on a date.',
  examples: ['out', 'out tomorrow', 'out fri'],
  async run(context) {
    const calendar = await teamCalendar(context);
    const today = todayIn(calendar.today);
    const day = context.args.length === 0 ? today : context.args.length === 1 ? parseDate(context.args[0]!, calendar.today, 'future') : undefined;
    if (day === undefined) return context.reply(`Usage: \`out [date]\`\n${DATE_HELP}`);
    const [leave, holidays] = await Promise.all([
      context.services.leave.outOn(context.teamId, day),
      context.services.settings.holidays(context.teamId, { from: day, to: day }),
    ]);
    const names = await displayNames(context, leave.map((r) => r.userId));
    const reply = whoIsOutReply(day, today, leave, (id) => names.get(id) ?? `<@${id}>`);
    const offDay = holidays[0] ? `${formatDate(day, today)} is a holiday: ${holidays[0].name}.`
      : calendar.settings.workdays.includes(weekdayOf(day)) ? '' : `${formatDate(day, today)} is not a working day here.`;
    if (!offDay) return context.reply(reply);
    await context.reply({ text: `${reply.text}\n(${offDay})`, blocks: [...(reply.blocks ?? []), { type: 'context', elements: [{ type: 'mrkdwn', text: offDay }] }] });
  },
});
