import type { Inbound } from './inbound.js';
import type { EmulatorState, StoredMessage, UserRecord } from './state.js';
import type { AckRecord } from './types.js';
import type { Triggers, Views, OpenView } from './views.js';
import { userJson } from './web-methods.js';

type Json = Record<string, unknown>;

/** A click on a button of a message the bot posted. */
export interface ButtonClickInput {
  /** Who clicks. */
  readonly user: string;
  readonly channel: string;
  /** The message's ts. */
  readonly ts: string;
  readonly actionId: string;
  /** Overrides the button's `value`. */
  readonly value?: string;
}

/** A user submitting a modal. */
export interface ViewSubmitInput {
  readonly user: string;
  /** Default: the user's top view. */
  readonly viewId?: string;
  /** By input block id: a text, a date (`YYYY-MM-DD`), an option's value, or several for multi-selects; null or absent = empty. */
  readonly values: Readonly<Record<string, string | readonly string[] | null>>;
}

/** How the bot answered a submission: its ack payload (`response_action`…), absent for an empty ack. */
export interface ViewSubmissionResult {
  readonly envelopeId: string;
  readonly response?: Record<string, unknown>;
}

const ACK_WAIT_MS = 5_000;

/**
 * What a user does with the bot's buttons and forms, turned into Slack's
 * `interactive` payloads: `block_actions` for a click on a message's button
 * (with a fresh trigger_id and a response_url) and `view_submission` for a
 * submitted modal (its `state.values` built from the view's input blocks).
 * Submissions resolve with the bot's ack payload, which is applied to the
 * user's views as Slack's client would (errors keep the form open).
 */
export class Interactions {
  readonly #waiting = new Map<string, { open: OpenView; resolve: (result: ViewSubmissionResult) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly state: EmulatorState,
    private readonly inbound: Inbound,
    private readonly views: Views,
    private readonly triggers: Triggers,
  ) {}

  /** Sends the `block_actions` payload of `user` clicking the button `actionId` on a stored message. Throws when there is no such button. */
  clickButton(teamId: string, input: ButtonClickInput): { envelopeId: string; triggerId: string; responseUrl: string } {
    const team = this.state.team(teamId);
    const message = this.state.findMessage(input.channel, input.ts);
    if (message === undefined || message.teamId !== teamId) throw new Error(`emulator: no message ${input.ts} in ${input.channel}`);
    const found = findButton(message, input.actionId);
    if (found === undefined) throw new Error(`emulator: message ${input.ts} has no button with action_id ${input.actionId}`);
    const user = this.#user(teamId, input.user);
    const triggerId = this.triggers.issue(teamId, user.id);
    const responseUrl = this.inbound.responseUrlFor({ teamId, channel: input.channel, user: user.id });
    const channel = this.state.channels.get(input.channel);
    const payload: Json = {
      type: 'block_actions', user: userRef(user), api_app_id: team.appId, trigger_id: triggerId,
      container: { type: 'message', message_ts: message.ts, channel_id: input.channel, is_ephemeral: false },
      channel: { id: input.channel, name: channel?.isIm ? 'directmessage' : channel?.name ?? 'unknown' },
      message: messageJson(message, team.botUserId, team.botId, team.appId), state: { values: {} },
      response_url: responseUrl, is_enterprise_install: false, enterprise: null,
      actions: [{
        ...found.button, block_id: found.blockId, action_ts: this.state.nextTs(),
        ...(input.value === undefined ? {} : { value: input.value }),
      }],
    };
    const { envelopeId } = this.inbound.sendInteractive(teamId, payload);
    return { envelopeId, triggerId, responseUrl };
  }

  /**
   * Sends the `view_submission` of the user's top view (or `viewId`) with
   * `values` keyed by block id. Throws, as Slack's client refuses to submit,
   * when a required input is empty. Resolves with the ack payload.
   */
  submitView(teamId: string, input: ViewSubmitInput): Promise<ViewSubmissionResult> {
    const team = this.state.team(teamId);
    const user = this.#user(teamId, input.user);
    const open = input.viewId === undefined ? this.views.stack(teamId, user.id).at(-1) : this.views.find(input.viewId);
    if (open === undefined || open.userId !== user.id) throw new Error(`emulator: ${user.id} has no open view${input.viewId ? ` ${input.viewId}` : ''}`);
    const values = stateValues(open.view, input.values);
    const payload: Json = {
      type: 'view_submission', user: userRef(user), api_app_id: team.appId, trigger_id: this.triggers.issue(teamId, user.id),
      view: { ...open.view, app_id: team.appId, bot_id: team.botId, state: { values } },
      response_urls: [], is_enterprise_install: false, enterprise: null,
    };
    const { envelopeId } = this.inbound.sendInteractive(teamId, payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(envelopeId);
        reject(new Error(`emulator: the view_submission ${envelopeId} was not acked within ${ACK_WAIT_MS} ms`));
      }, ACK_WAIT_MS);
      this.#waiting.set(envelopeId, { open, resolve, timer });
    });
  }

  /** Takes every ack: a submission's answer is applied to the views and resolves its promise. */
  onAck(record: AckRecord): void {
    const waiting = this.#waiting.get(record.envelopeId);
    if (waiting === undefined) return;
    this.#waiting.delete(record.envelopeId);
    clearTimeout(waiting.timer);
    const response = typeof record.payload === 'object' && record.payload !== null ? record.payload as Json : undefined;
    this.views.applySubmissionAnswer(waiting.open, response);
    waiting.resolve({ envelopeId: record.envelopeId, ...(response === undefined ? {} : { response }) });
  }

  /** Changes a user's record and sends `user_change` with the full user, as Slack does. */
  changeUser(teamId: string, userId: string, patch: Partial<Pick<UserRecord, 'name' | 'isAdmin' | 'isOwner' | 'isDeleted' | 'tz'>>): void {
    const team = this.state.team(teamId);
    const updated: UserRecord = { ...this.#user(teamId, userId), ...patch };
    this.state.users.set(userId, updated);
    this.inbound.sendEvent(teamId, { type: 'user_change', user: userJson(updated, team), cache_ts: Math.floor(Date.now() / 1000), event_ts: this.state.nextTs() });
  }

  /** Stops waiting for acks. */
  stop(): void {
    for (const waiting of this.#waiting.values()) clearTimeout(waiting.timer);
    this.#waiting.clear();
  }

  #user(teamId: string, userId: string): UserRecord {
    const user = this.state.users.get(userId);
    if (user === undefined || user.teamId !== teamId) throw new Error(`emulator: unknown user ${userId} in ${teamId}`);
    return user;
  }
}

function userRef(user: UserRecord): Json {
  return { id: user.id, username: user.name, name: user.name, team_id: user.teamId };
}

function messageJson(message: StoredMessage, botUserId: string, botId: string, appId: string): Json {
  return {
    type: 'message', user: message.user, text: message.text, ts: message.ts, team: message.teamId,
    ...(message.user === botUserId ? { bot_id: botId, app_id: appId } : {}),
    ...(message.blocks === undefined ? {} : { blocks: message.blocks }),
  };
}

/** The button with `actionId` in an `actions` block or a section's accessory. */
function findButton(message: StoredMessage, actionId: string): { button: Json; blockId: string } | undefined {
  for (const raw of message.blocks ?? []) {
    const block = raw as Json;
    const elements = block['type'] === 'actions' && Array.isArray(block['elements']) ? block['elements'] as Json[] : [];
    const accessory = block['accessory'] as Json | undefined;
    for (const element of [...elements, ...(accessory ? [accessory] : [])]) {
      if (element['type'] === 'button' && element['action_id'] === actionId) {
        return { button: { type: 'button', action_id: actionId, text: element['text'], value: element['value'], ...(element['style'] ? { style: element['style'] } : {}) }, blockId: String(block['block_id'] ?? '') };
      }
    }
  }
  return undefined;
}

/**
 * `view.state.values` for a submission: for each input block, its element's
 * value in Slack's shape (`value`, `selected_date`, `selected_option`,
 * `selected_options`, `selected_user`, …) from `given[block_id]` (a string,
 * or an array for multi-selects). Throws for an empty required input.
 */
function stateValues(view: Json, given: Readonly<Record<string, string | readonly string[] | null>>): Json {
  const values: Json = {};
  for (const raw of (view['blocks'] as Json[] | undefined) ?? []) {
    if (raw['type'] !== 'input') continue;
    const blockId = String(raw['block_id'] ?? '');
    const element = (raw['element'] ?? {}) as Json;
    const actionId = String(element['action_id'] ?? '');
    const value = given[blockId] ?? null;
    if ((value === null || value === '') && raw['optional'] !== true) {
      throw new Error(`emulator: the required field ${blockId} is empty (Slack's client would not submit)`);
    }
    values[blockId] = { [actionId]: elementState(element, value) };
  }
  return values;
}

function elementState(element: Json, value: string | readonly string[] | null): Json {
  const type = String(element['type'] ?? '');
  const option = (v: string): Json | undefined => ((element['options'] as Json[] | undefined) ?? []).find((o) => o['value'] === v);
  const single = Array.isArray(value) ? value[0] ?? null : value as string | null;
  switch (type) {
    case 'datepicker': return { type, selected_date: single };
    case 'timepicker': return { type, selected_time: single };
    case 'static_select': case 'radio_buttons': return { type, selected_option: single === null ? null : option(single) ?? null };
    case 'checkboxes': case 'multi_static_select': {
      const list = Array.isArray(value) ? value : value === null ? [] : [value];
      return { type, selected_options: list.map((v) => option(v)).filter(Boolean) };
    }
    case 'users_select': return { type, selected_user: single };
    case 'multi_users_select': return { type, selected_users: Array.isArray(value) ? value : value === null ? [] : [value] };
    case 'conversations_select': case 'channels_select': return { type, [type === 'channels_select' ? 'selected_channel' : 'selected_conversation']: single };
    default: return { type, value: single };
  }
}
