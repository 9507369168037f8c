import { postToResponseUrl } from '../slack/response-url.js';
import type { CommandInteractions, InteractionCommandContext } from './command.js';
import { checkLeaveFields, type LeaveField } from './leave-args.js';
import { decideLeave, refusalText, sendDm, submitLeave } from './leave-flow.js';
import { fieldsFromSubmission, FORM_CALLBACK_ID, leaveForm } from './leave-form.js';
import { ACTION_APPROVE, ACTION_OPEN_FORM, ACTION_REJECT, overlapText } from './leave-view.js';
import { todayIn } from './parse.js';
import { bestEffort, teamCalendar, type CommandServices } from './services.js';

type Context = InteractionCommandContext<CommandServices>;

interface ActionJson { action_id?: unknown; value?: unknown }

/**
 * Tells the clicker alone (the `response_url`, else `chat.postEphemeral` in
 * the message's channel). Never rejects: a failure is logged with a reference.
 */
async function tellClicker(context: Context, text: string): Promise<void> {
  const { responseUrl, channelId } = context.interaction;
  await bestEffort(context, 'answer a click', async () => {
    if (responseUrl) return postToResponseUrl(responseUrl, { text }, context.signal);
    if (channelId) return context.slack.call('chat.postEphemeral', { channel: channelId, user: context.userId, text });
    throw new Error('the click came with neither a response_url nor a channel');
  }, { userId: context.userId });
}

/** Approve / Reject on an approver's message: acked at once, then decided; anyone else is refused in an ephemeral. */
async function onDecision(context: Context, action: ActionJson): Promise<void> {
  await context.ack();
  const number = Number(action.value);
  if (!Number.isInteger(number) || number <= 0) return tellClicker(context, 'That button does not name a leave request.');
  const outcome = await decideLeave(context, number, action.action_id === ACTION_APPROVE ? 'approved' : 'rejected', null);
  if (outcome.kind !== 'decided') await tellClicker(context, refusalText(outcome, context.userId));
}

/** "Apply for leave": the form, opened with the click's trigger (valid for 3 s). */
async function onOpenForm(context: Context): Promise<void> {
  await context.ack();
  const calendar = await teamCalendar(context);
  try {
    await context.slack.call('views.open', {
      trigger_id: context.interaction.triggerId, view: leaveForm(calendar.settings.leaveTypes, todayIn(calendar.today)),
    });
  } catch {
    await tellClicker(context, 'I could not open the form in time; click again, or type `leave <from> [to <to>] [half am|pm] [<type>] [reason…]`.');
  }
}

/**
 * The form's submission: every field checked (dates, type, overlap with the
 * person's own leave) before answering; a problem goes back beside its field
 * (`response_action: errors`) and nothing is stored. A valid form closes and
 * the request goes out like a typed one (the requester gets a DM).
 */
async function onSubmit(context: Context): Promise<void> {
  const view = (context.interaction.payload['view'] ?? {}) as Readonly<Record<string, unknown>>;
  const read = fieldsFromSubmission(view);
  if (!read.ok) return context.ack({ response_action: 'errors', errors: read.errors });
  const calendar = await teamCalendar(context);
  const errors: Partial<Record<LeaveField, string>> = {};
  const invalid = checkLeaveFields(read.fields, calendar.today);
  if (invalid) errors[invalid.field] = invalid.problem;
  if (!calendar.settings.leaveTypes.includes(read.fields.type)) errors.type = `Pick one of: ${calendar.settings.leaveTypes.join(', ')}.`;
  if (!invalid) {
    const existing = await context.services.leave.overlapping(context.teamId, context.userId, read.fields);
    if (existing) errors.from = overlapText(existing, todayIn(calendar.today));
  }
  if (Object.keys(errors).length > 0) return context.ack({ response_action: 'errors', errors });
  await context.ack();
  const outcome = await submitLeave(context, read.fields, { isAnsweredInDm: false });
  // Lost a race with another request of the same person (or the settings changed): say so in the DM.
  if (outcome.kind === 'overlap') await sendDm(context, context.userId, { text: overlapText(outcome.existing, todayIn(calendar.today)) });
  if (outcome.kind === 'invalid') await sendDm(context, context.userId, { text: `Your leave request was not sent: ${outcome.problem}` });
}

/** The leave family's buttons and form. */
export const leaveInteractions: CommandInteractions<CommandServices> = {
  actionIds: [ACTION_APPROVE, ACTION_REJECT, ACTION_OPEN_FORM],
  callbackIds: [FORM_CALLBACK_ID],
  async handle(context) {
    const { interaction } = context;
    if (interaction.type === 'view_submission') return onSubmit(context);
    if (interaction.type !== 'block_actions') return context.ack();
    const action = ((interaction.payload['actions'] as ActionJson[] | undefined) ?? [])[0] ?? {};
    if (action.action_id === ACTION_OPEN_FORM) return onOpenForm(context);
    return onDecision(context, action);
  },
};
