import type { HalfDay } from '../db/leave-repository.js';
import { MAX_REASON_CHARS, type LeaveField, type LeaveFields } from './leave-args.js';

/** The leave form's `callback_id` (the dispatcher routes its submissions by it). */
export const FORM_CALLBACK_ID = 'leave_request';

const plain = (text: string): Record<string, unknown> => ({ type: 'plain_text', text });
const option = (value: string, text: string): Record<string, unknown> => ({ text: plain(text), value });

/**
 * The "Apply for leave" modal: type, from, to (optional: one day), half day
 * (optional: morning or afternoon) and reason (optional). Each input's
 * `block_id` is the field name, so a problem is shown beside its field.
 */
export function leaveForm(leaveTypes: readonly string[], today: string): Record<string, unknown> {
  const types = leaveTypes.map((type) => option(type, type.charAt(0).toUpperCase() + type.slice(1)));
  return {
    type: 'modal', callback_id: FORM_CALLBACK_ID,
    title: plain('Apply for leave'), submit: plain('Send request'), close: plain('Cancel'),
    blocks: [
      { type: 'input', block_id: 'type', label: plain('Type'),
        element: { type: 'static_select', action_id: 'value', options: types, ...(types[0] ? { initial_option: types[0] } : {}) } },
      { type: 'input', block_id: 'from', label: plain('From'), element: { type: 'datepicker', action_id: 'value', initial_date: today } },
      { type: 'input', block_id: 'to', label: plain('To'), optional: true, hint: plain('Leave empty for a single day.'),
        element: { type: 'datepicker', action_id: 'value' } },
      { type: 'input', block_id: 'half', label: plain('Half day'), optional: true, hint: plain('Only for a single day.'),
        element: { type: 'radio_buttons', action_id: 'value', options: [option('am', 'Morning'), option('pm', 'Afternoon')] } },
      { type: 'input', block_id: 'reason', label: plain('Reason'), optional: true,
        element: { type: 'plain_text_input', action_id: 'value', multiline: true, max_length: MAX_REASON_CHARS } },
    ],
  };
}

type StateValue = { value?: unknown; selected_date?: unknown; selected_option?: { value?: unknown } | null };

/** A submitted field's value (text, date or chosen option), or null when empty. */
function valueOf(view: Readonly<Record<string, unknown>>, blockId: string): string | null {
  const state = (view['state'] as { values?: Record<string, Record<string, StateValue>> } | undefined)?.values ?? {};
  const element = Object.values(state[blockId] ?? {})[0];
  const raw = element?.value ?? element?.selected_date ?? element?.selected_option?.value ?? null;
  return typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : null;
}

/** The form's fields, or a message per field (block id) that is missing or unreadable. Dates are checked later, with the rest. */
export function fieldsFromSubmission(view: Readonly<Record<string, unknown>>): { ok: true; fields: LeaveFields } | { ok: false; errors: Partial<Record<LeaveField, string>> } {
  const type = valueOf(view, 'type');
  const from = valueOf(view, 'from');
  const half = valueOf(view, 'half');
  const errors: Partial<Record<LeaveField, string>> = {};
  if (type === null) errors.type = 'Pick a type of leave.';
  if (from === null || !/^\d{4}-\d{2}-\d{2}$/.test(from)) errors.from = 'Pick the first day of your leave.';
  if (half !== null && half !== 'am' && half !== 'pm') errors.half = 'Pick morning or afternoon.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const to = valueOf(view, 'to') ?? from!;
  return { ok: true, fields: { type: type!.toLowerCase(), from: from!, to, halfDay: half as HalfDay | null, reason: valueOf(view, 'reason') } };
}
