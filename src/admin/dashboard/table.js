// @ts-check
/**
 * The workspace table: every row kept in a Map by team id, filtered (state,
 * text), sorted by any column and shown a page at a time. Only the shown page
 * is in the DOM (its <tr>s are reused), so 10,000 rows cost one filter and
 * one sort per change, not 10,000 elements. Every value from Slack or the
 * daemon goes in through textContent or an attribute, never as HTML.
 */
import { ago, count, duration, fullTime } from './format.js';

/**
 * @typedef {{teamId: string, teamName: string, transport: string, state: string, connectedSince: string | null,
 *   lastEventAt: string | null, restarts: number, lastError: string | null, owner: string}} Row
 * @typedef {{row: Row, search: string}} Entry
 */

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
const STATE_ORDER = { backoff: 0, connecting: 1, stopped: 2, connected: 3 };

/**
 * How each column sorts; a null value always sorts last.
 * @type {Record<string, (row: Row, now: number) => string | number | null>}
 */
const SORT_VALUE = {
  teamId: (r) => r.teamId,
  teamName: (r) => r.teamName,
  transport: (r) => r.transport,
  state: (r) => STATE_ORDER[/** @type {keyof typeof STATE_ORDER} */ (r.state)] ?? 9,
  connectedFor: (r, now) => (r.connectedSince === null ? null : now - Date.parse(r.connectedSince)),
  lastEvent: (r, now) => (r.lastEventAt === null ? null : now - Date.parse(r.lastEventAt)),
  restarts: (r) => r.restarts,
  lastError: (r) => r.lastError,
  owner: (r) => r.owner,
};

export class WorkspaceTable {
  /** @type {Map<string, Entry>} */ #entries = new Map();
  /** @type {Entry[] | null} the filtered and sorted rows; null when it must be computed again */ #view = null;
  #sortKey = 'teamId';
  #sortDirection = 1;
  #state = '';
  #text = '';
  #page = 0;
  #pageSize = 100;
  #isRenderQueued = false;

  /**
   * @param {{tbody: HTMLTableSectionElement, summary: HTMLElement, pageInfo: HTMLElement, prev: HTMLButtonElement,
   *   next: HTMLButtonElement, headers: HTMLTableCellElement[], onOpen: (teamId: string) => void,
   *   onRestart: (row: Row) => void, onCounts: (counts: Record<string, number>) => void}} ui
   */
  constructor(ui) {
    this.ui = ui;
  }

  get size() { return this.#entries.size; }

  /** @param {string} teamId */
  row(teamId) { return this.#entries.get(teamId)?.row; }

  /** Replaces every row (a full list from `GET /v1/workspaces`). @param {Row[]} rows */
  setAll(rows) {
    this.#entries = new Map(rows.map((row) => [row.teamId, entry(row)]));
    this.#changed();
  }

  /** Adds or updates rows (from the live stream). @param {Row[]} rows */
  upsert(rows) {
    for (const row of rows) this.#entries.set(row.teamId, entry(row));
    this.#changed();
  }

  /** @param {string[]} teamIds */
  remove(teamIds) {
    for (const teamId of teamIds) this.#entries.delete(teamId);
    this.#changed();
  }

  /** @param {string} state one of the four states, or '' for all */
  filterState(state) {
    this.#state = state;
    this.#page = 0;
    this.#changed();
  }

  /** @param {string} text matched, case-insensitively, against team, name, transport, state, last error and owner */
  filterText(text) {
    this.#text = text.trim().toLowerCase();
    this.#page = 0;
    this.#changed();
  }

  /** Sorts by `key`; the same key again reverses the order. @param {string} key */
  sortBy(key) {
    if (!(key in SORT_VALUE)) return;
    this.#sortDirection = key === this.#sortKey ? -this.#sortDirection : 1;
    this.#sortKey = key;
    this.#changed();
  }

  /** @param {number} delta pages forward (negative: back) */
  turn(delta) {
    this.#page += delta;
    this.render();
  }

  /** @param {number} size */
  setPageSize(size) {
    this.#pageSize = size;
    this.#page = 0;
    this.render();
  }

  /** Renders now: filter and sort if anything changed, then the current page. */
  render() {
    const now = Date.now();
    const view = (this.#view ??= this.#compute(now));
    const pages = Math.max(1, Math.ceil(view.length / this.#pageSize));
    this.#page = Math.min(Math.max(0, this.#page), pages - 1);
    const first = this.#page * this.#pageSize;
    const shown = view.slice(first, first + this.#pageSize);
    this.#renderRows(shown, now);
    const { summary, pageInfo, prev, next, headers } = this.ui;
    const total = this.#entries.size;
    summary.textContent = view.length === total
      ? `${count(total)} workspaces`
      : `${count(view.length)} of ${count(total)} workspaces match`;
    pageInfo.textContent = view.length === 0 ? 'No rows' : `Rows ${count(first + 1)}–${count(first + shown.length)} of ${count(view.length)} (page ${this.#page + 1} of ${pages})`;
    prev.disabled = this.#page === 0;
    next.disabled = this.#page >= pages - 1;
    for (const th of headers) {
      const key = th.querySelector('button')?.dataset['sort'];
      th.setAttribute('aria-sort', key === this.#sortKey ? (this.#sortDirection === 1 ? 'ascending' : 'descending') : 'none');
    }
  }

  /** Updates the times of the shown rows ("connected for", "last event") without filtering or sorting again. */
  tick() {
    const now = Date.now();
    for (const tr of this.ui.tbody.rows) {
      const row = this.#entries.get(tr.dataset['team'] ?? '')?.row;
      if (row) setTimes(tr, row, now);
    }
  }

  #changed() {
    this.#view = null;
    this.ui.onCounts(this.#counts());
    if (this.#isRenderQueued) return;
    this.#isRenderQueued = true;
    requestAnimationFrame(() => {
      this.#isRenderQueued = false;
      this.render();
    });
  }

  /** @param {number} now */
  #compute(now) {
    const state = this.#state;
    const text = this.#text;
    /** @type {Entry[]} */
    const matching = [];
    for (const e of this.#entries.values()) {
      if ((state === '' || e.row.state === state) && (text === '' || e.search.includes(text))) matching.push(e);
    }
    const valueOf = SORT_VALUE[this.#sortKey] ?? SORT_VALUE['teamId'];
    const direction = this.#sortDirection;
    const keyed = matching.map((e) => ({ e, v: /** @type {NonNullable<typeof valueOf>} */ (valueOf)(e.row, now) }));
    keyed.sort((a, b) => {
      if (a.v === null || b.v === null) return a.v === b.v ? collator.compare(a.e.row.teamId, b.e.row.teamId) : a.v === null ? 1 : -1;
      const order = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : collator.compare(String(a.v), String(b.v));
      return order !== 0 ? order * direction : collator.compare(a.e.row.teamId, b.e.row.teamId);
    });
    return keyed.map((k) => k.e);
  }

  #counts() {
    /** @type {Record<string, number>} */
    const counts = { all: this.#entries.size, connected: 0, connecting: 0, backoff: 0, stopped: 0 };
    for (const e of this.#entries.values()) counts[e.row.state] = (counts[e.row.state] ?? 0) + 1;
    return counts;
  }

  /** @param {Entry[]} shown @param {number} now */
  #renderRows(shown, now) {
    const { tbody } = this.ui;
    while (tbody.rows.length > shown.length) tbody.deleteRow(-1);
    while (tbody.rows.length < shown.length) tbody.append(this.#newRow());
    shown.forEach((e, i) => fillRow(/** @type {HTMLTableRowElement} */ (tbody.rows[i]), e.row, now));
  }

  #newRow() {
    const tr = document.createElement('tr');
    const team = document.createElement('button');
    team.type = 'button';
    team.className = 'link';
    team.addEventListener('click', () => this.ui.onOpen(tr.dataset['team'] ?? ''));
    const restart = document.createElement('button');
    restart.type = 'button';
    restart.className = 'small';
    restart.textContent = 'Restart';
    restart.addEventListener('click', () => {
      const row = this.#entries.get(tr.dataset['team'] ?? '')?.row;
      if (row) this.ui.onRestart(row);
    });
    const cells = ['team', 'name', 'transport', 'state', 'connected', 'event', 'restarts num', 'error', 'owner', 'actions'];
    for (const name of cells) {
      const td = document.createElement('td');
      td.className = name;
      tr.append(td);
    }
    tr.cells[0]?.append(team);
    tr.cells[9]?.append(restart);
    return tr;
  }
}

/** @param {Row} row @returns {Entry} */
function entry(row) {
  const search = `${row.teamId}\n${row.teamName}\n${row.transport}\n${row.state}\n${row.lastError ?? ''}\n${row.owner}`.toLowerCase();
  return { row, search };
}

/** @param {HTMLElement | undefined} element @param {string} text */
function setText(element, text) {
  if (element && element.textContent !== text) element.textContent = text;
}

/** @param {HTMLTableRowElement} tr @param {Row} row @param {number} now */
function fillRow(tr, row, now) {
  tr.dataset['team'] = row.teamId;
  const [team, name, transport, state, , , restarts, error, owner, actions] = tr.cells;
  const teamButton = team?.querySelector('button');
  setText(teamButton ?? undefined, row.teamId);
  teamButton?.setAttribute('aria-label', `Details of ${row.teamId} (${row.teamName})`);
  setText(name, row.teamName);
  setText(transport, row.transport);
  setText(state, row.state);
  if (state) state.className = `state state-${row.state}`;
  setText(restarts, count(row.restarts));
  setText(error, row.lastError ?? '');
  error?.setAttribute('title', row.lastError ?? '');
  setText(owner, row.owner);
  actions?.querySelector('button')?.setAttribute('aria-label', `Restart ${row.teamId} (${row.teamName})`);
  setTimes(tr, row, now);
}

/** @param {HTMLTableRowElement} tr @param {Row} row @param {number} now */
function setTimes(tr, row, now) {
  const connected = tr.cells[4];
  const event = tr.cells[5];
  setText(connected, row.connectedSince === null ? '–' : duration(now - Date.parse(row.connectedSince)));
  connected?.setAttribute('title', row.connectedSince === null ? 'not connected' : `since ${fullTime(row.connectedSince)}`);
  setText(event, ago(row.lastEventAt, now));
  event?.setAttribute('title', fullTime(row.lastEventAt));
}
