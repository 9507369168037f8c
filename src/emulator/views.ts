import { randomBytes } from 'node:crypto';
import { slackId } from './state.js';
import type { EmulatedWorkspace } from './types.js';
import { jsonObject, teamOf, type MethodSpec } from './web-methods.js';

/** How long a trigger_id may be exchanged (Slack: 3 s). */
export const TRIGGER_TTL_MS = 3_000;
/** How many views a modal's stack may hold (Slack: 3). */
export const MAX_VIEW_STACK = 3;

interface Trigger {
  readonly teamId: string;
  readonly userId: string;
  issuedAt: number;
  isUsed: boolean;
}

/** What a trigger exchange found: the user it belongs to, or Slack's error. */
export type TriggerExchange = { readonly ok: true; readonly userId: string } | { readonly ok: false; readonly error: string };

/**
 * Slack's trigger_ids: one per slash command or interaction, single use,
 * valid for 3 s. Shaped like Slack's (`132456.7890123.abcdef`): anything else
 * is `invalid_trigger_id`, a second use `exchanged_trigger_id`, a late one
 * `expired_trigger_id`.
 */
export class Triggers {
  readonly #triggers = new Map<string, Trigger>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh trigger for `userId` in `teamId`. */
  issue(teamId: string, userId: string): string {
    const id = `${Math.floor(this.now() / 1000)}.${Math.floor(Math.random() * 1e10)}.${randomBytes(16).toString('hex')}`;
    this.#triggers.set(id, { teamId, userId, issuedAt: this.now(), isUsed: false });
    return id;
  }

  /** Uses `id` up (when valid for `teamId`). */
  exchange(id: string | undefined, teamId: string): TriggerExchange {
    const trigger = id === undefined ? undefined : this.#triggers.get(id);
    if (id === undefined || !/^\d+\.\d+\.[0-9a-f]+$/.test(id) || trigger === undefined || trigger.teamId !== teamId) {
      return { ok: false, error: 'invalid_trigger_id' };
    }
    if (trigger.isUsed) return { ok: false, error: 'exchanged_trigger_id' };
    if (this.now() - trigger.issuedAt > TRIGGER_TTL_MS) return { ok: false, error: 'expired_trigger_id' };
    trigger.isUsed = true;
    return { ok: true, userId: trigger.userId };
  }

  /** Makes every trigger issued so far too old (tests of `expired_trigger_id`, without waiting 3 s). */
  expireAll(): void {
    for (const trigger of this.#triggers.values()) trigger.issuedAt = -Infinity;
  }
}

/** One open view as Slack describes it (`views.open` answer), plus who sees it. */
export interface OpenView {
  readonly teamId: string;
  readonly userId: string;
  /** The view JSON as Slack returns it: `id`, `hash`, `callback_id`, `private_metadata`, `state`, `blocks`, … */
  view: Record<string, unknown>;
}

/**
 * The modals users have open, per user as a stack (at most 3, `views.push`),
 * and the `views.open` / `views.update` / `views.push` methods over them.
 */
export class Views {
  readonly #stacks = new Map<string, OpenView[]>();

  constructor(private readonly triggers: Triggers) {}

  /** The views open for `userId` in `teamId`, root first (empty when none). */
  stack(teamId: string, userId: string): readonly OpenView[] {
    return this.#stacks.get(`${teamId}/${userId}`) ?? [];
  }

  /** Every open view of `teamId` (tests), the top of each stack last. */
  all(teamId?: string): OpenView[] {
    return [...this.#stacks.values()].flat().filter((v) => teamId === undefined || v.teamId === teamId);
  }

  /** The open view with id `viewId`. */
  find(viewId: string): OpenView | undefined {
    return this.all().find((open) => open.view['id'] === viewId);
  }

  /** Applies a `view_submission` answer (`response_action`) to the user's stack, as Slack's client does. */
  applySubmissionAnswer(open: OpenView, answer: Record<string, unknown> | undefined): void {
    const key = `${open.teamId}/${open.userId}`;
    const stack = this.#stacks.get(key) ?? [];
    const action = answer?.['response_action'];
    const next = jsonObject(answer?.['view']);
    if (action === 'errors') return; // the form stays, its errors shown beside the fields
    if (action === 'clear') this.#stacks.delete(key);
    else if (action === 'update' && next !== undefined) open.view = this.#describe(open.teamId, next, open.view);
    else if (action === 'push' && next !== undefined && stack.length < MAX_VIEW_STACK) {
      stack.push({ teamId: open.teamId, userId: open.userId, view: this.#describe(open.teamId, next, undefined, open.view) });
    } else {
      stack.splice(stack.indexOf(open), 1);
      if (stack.length === 0) this.#stacks.delete(key);
    }
  }

  /** `views.open`, `views.update`, `views.push`. */
  methods(): Record<string, MethodSpec> {
    return {
      'views.open': { tokenKind: 'bot', run: (deps, ctx) => this.#open(teamOf(deps, ctx), ctx.params, false) },
      'views.push': { tokenKind: 'bot', run: (deps, ctx) => this.#open(teamOf(deps, ctx), ctx.params, true) },
      'views.update': { tokenKind: 'bot', run: (deps, ctx) => this.#update(teamOf(deps, ctx), ctx.params) },
    };
  }

  #open(team: EmulatedWorkspace, params: Record<string, unknown>, isPush: boolean): Record<string, unknown> {
    const view = jsonObject(params['view']);
    const problem = checkView(view);
    if (problem !== undefined) return { ok: false, error: problem };
    if (this.#externalIdTaken(team.teamId, view!['external_id'])) return { ok: false, error: 'duplicate_external_id' };
    const trigger = this.triggers.exchange(triggerOf(params), team.teamId);
    if (!trigger.ok) return { ok: false, error: trigger.error };
    const key = `${team.teamId}/${trigger.userId}`;
    const stack = this.#stacks.get(key) ?? [];
    if (isPush && stack.length === 0) return { ok: false, error: 'not_found' };
    if (isPush && stack.length >= MAX_VIEW_STACK) return { ok: false, error: 'push_limit_reached' };
    const open: OpenView = { teamId: team.teamId, userId: trigger.userId, view: this.#describe(team.teamId, view!, undefined, isPush ? stack.at(-1)?.view : undefined) };
    this.#stacks.set(key, isPush ? [...stack, open] : [open]);
    return { ok: true, view: { ...open.view, app_id: team.appId, bot_id: team.botId } };
  }

  #update(team: EmulatedWorkspace, params: Record<string, unknown>): Record<string, unknown> {
    const view = jsonObject(params['view']);
    const problem = checkView(view);
    if (problem !== undefined) return { ok: false, error: problem };
    const viewId = typeof params['view_id'] === 'string' ? params['view_id'] : undefined;
    const externalId = typeof params['external_id'] === 'string' ? params['external_id'] : undefined;
    if (viewId === undefined && externalId === undefined) return { ok: false, error: 'invalid_arguments' };
    const open = this.all(team.teamId).find((o) => (viewId !== undefined ? o.view['id'] === viewId : o.view['external_id'] === externalId));
    if (open === undefined) return { ok: false, error: 'not_found' };
    const hash = typeof params['hash'] === 'string' && params['hash'] !== '' ? params['hash'] : undefined;
    if (hash !== undefined && hash !== open.view['hash']) return { ok: false, error: 'hash_conflict' };
    open.view = this.#describe(team.teamId, view!, open.view);
    return { ok: true, view: { ...open.view, app_id: team.appId, bot_id: team.botId } };
  }

  /** The view as Slack stores it: the given fields plus id, hash, state and the stack links. */
  #describe(teamId: string, view: Record<string, unknown>, replacing?: Record<string, unknown>, previous?: Record<string, unknown>): Record<string, unknown> {
    const id = (replacing?.['id'] as string | undefined) ?? slackId('V');
    return {
      ...view, id, team_id: teamId, private_metadata: view['private_metadata'] ?? '', callback_id: view['callback_id'] ?? '',
      external_id: view['external_id'] ?? '', state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      clear_on_close: view['clear_on_close'] ?? false, notify_on_close: view['notify_on_close'] ?? false,
      root_view_id: (replacing?.['root_view_id'] as string | undefined) ?? (previous?.['root_view_id'] as string | undefined) ?? id,
      previous_view_id: (replacing?.['previous_view_id'] as string | null | undefined) ?? (previous?.['id'] as string | undefined) ?? null,
    };
  }

  #externalIdTaken(teamId: string, externalId: unknown): boolean {
    return typeof externalId === 'string' && externalId !== '' && this.all(teamId).some((o) => o.view['external_id'] === externalId);
  }
}

function triggerOf(params: Record<string, unknown>): string | undefined {
  const value = params['trigger_id'] ?? params['interactivity_pointer'];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Slack's checks of a modal: a JSON object of type `modal` with a title and at most 100 blocks. */
function checkView(view: Record<string, unknown> | undefined): string | undefined {
  if (view === undefined) return 'invalid_arguments';
  if (view['type'] !== 'modal') return 'invalid_arguments';
  const title = jsonObject(view['title']);
  if (title === undefined || typeof title['text'] !== 'string' || title['text'].length > 24) return 'invalid_arguments';
  const blocks = view['blocks'];
  if (!Array.isArray(blocks) || blocks.length > 100) return 'invalid_arguments';
  const hasInput = blocks.some((b) => (b as { type?: unknown } | null)?.type === 'input');
  if (hasInput && jsonObject(view['submit']) === undefined) return 'invalid_arguments'; // input blocks need a submit button
  if (JSON.stringify(view).length > 250_000) return 'view_too_large';
  return undefined;
}
