// @ts-check
/**
 * The detail pane of one workspace: its fields, restart history and recent
 * events (types only: the daemon never keeps message text), from
 * `GET /v1/workspaces/:team`, refreshed while open. Escape or Close returns
 * focus to where it came from.
 */
import { ApiError } from './api.js';
import { ago, clock, count, duration, fullTime } from './format.js';

/** @typedef {import('./api.js').Api} Api */

const REFRESH_MS = 3_000;

export class DetailPane {
  /** @type {string | null} */ #teamId = null;
  /** @type {HTMLElement | null} */ #returnFocus = null;
  /** @type {ReturnType<typeof setInterval> | undefined} */ #timer;
  #generation = 0;

  /**
   * @param {{pane: HTMLElement, title: HTMLElement, message: HTMLElement, fields: HTMLElement, restarts: HTMLOListElement,
   *   events: HTMLOListElement, close: HTMLButtonElement, restart: HTMLButtonElement}} ui
   * @param {() => Api} api
   * @param {(teamId: string, name: string) => Promise<void>} onRestart
   * @param {(error: unknown) => void} onError
   */
  constructor(ui, api, onRestart, onError) {
    this.ui = ui;
    this.api = api;
    this.onError = onError;
    ui.close.addEventListener('click', () => this.close());
    ui.pane.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    ui.restart.addEventListener('click', async () => {
      if (this.#teamId === null) return;
      ui.restart.disabled = true;
      try {
        await onRestart(this.#teamId, ui.title.textContent ?? this.#teamId);
        await this.refresh();
      } finally {
        ui.restart.disabled = false;
      }
    });
  }

  get teamId() { return this.#teamId; }

  /** Opens the pane on `teamId` and moves focus into it. @param {string} teamId */
  async open(teamId) {
    this.#returnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    this.#teamId = teamId;
    this.ui.title.textContent = teamId;
    this.ui.message.textContent = 'Loading…';
    this.ui.fields.replaceChildren();
    this.ui.restarts.replaceChildren();
    this.ui.events.replaceChildren();
    this.ui.pane.hidden = false;
    this.ui.pane.focus();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    await this.refresh();
  }

  close() {
    if (this.#teamId === null) return;
    this.#teamId = null;
    this.#generation++;
    clearInterval(this.#timer);
    this.ui.pane.hidden = true;
    this.#returnFocus?.focus();
  }

  /** Loads the open workspace again (also called when the live stream says it changed). */
  async refresh() {
    const teamId = this.#teamId;
    if (teamId === null) return;
    const generation = ++this.#generation;
    try {
      const { workspace } = await this.api().get(`/v1/workspaces/${encodeURIComponent(teamId)}`);
      if (generation !== this.#generation) return;
      this.#show(workspace);
    } catch (error) {
      if (generation !== this.#generation) return;
      if (error instanceof ApiError && error.status === 404) {
        this.ui.message.textContent = `${teamId} is not running on the instance you are connected to: its detail is on its owner's dashboard.`;
        return;
      }
      this.ui.message.textContent = error instanceof Error ? error.message : String(error);
      this.onError(error);
    }
  }

  /** @param {any} w */
  #show(w) {
    const now = Date.now();
    this.ui.title.textContent = `${w.teamName} (${w.teamId})`;
    this.ui.message.textContent = `Updated ${clock(now)}`;
    /** @type {[string, string, string?][]} */
    const fields = [
      ['Team', w.teamId], ['Name', w.teamName], ['Transport', w.transport], ['State', w.state],
      ['Connected for', w.connectedSince === null ? '–' : duration(now - Date.parse(w.connectedSince)), fullTime(w.connectedSince)],
      ['Last event', ago(w.lastEventAt, now), fullTime(w.lastEventAt)],
      ['Restarts', count(w.restarts)], ['Last error', w.lastError ?? '–'], ['Owner', w.owner],
    ];
    this.ui.fields.replaceChildren(...fields.flatMap(([term, value, title]) => {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      if (title) dd.title = title;
      return [dt, dd];
    }));
    const history = /** @type {{at: string, reason: string}[]} */ (w.restartHistory ?? []);
    fillLog(this.ui.restarts, history.map((r) => [r.at, r.reason]), 'No restarts since this worker started.');
    const events = /** @type {{at: string, kind: string, detail: string}[]} */ (w.recentEvents ?? []);
    fillLog(this.ui.events, events.map((e) => [e.at, e.detail ? `${e.kind} (${e.detail})` : e.kind]), 'No events yet.');
  }
}

/**
 * Newest first.
 * @param {HTMLOListElement} list @param {[string, string][]} items @param {string} empty
 */
function fillLog(list, items, empty) {
  if (items.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = empty;
    list.replaceChildren(li);
    return;
  }
  list.replaceChildren(...items.slice().reverse().map(([at, text]) => {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = at;
    time.title = fullTime(at);
    time.textContent = clock(at);
    li.append(time, ` ${text}`);
    return li;
  }));
}
