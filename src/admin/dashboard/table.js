// @ts-check
/**
 * The workspace table: every row kept in a Map by team id, filtered (state,
 * text), sorted by any column and shown a page at a time. Only the shown page
 * is in the DOM (its <tr>s are reused), so 10,000 rows cost one filter and
 * one sort per change, not 10,000 elements. Every value from Slack or the
 * daemon goes in through textContent or an attribute, never as HTML.
 */
import { ago, count, duration } from './format.js';

/**
 * @typedef {{teamId: string, teamName: string, transport: string, state: string, connectedSince: string | null,
 *   lastEventAt: string | null, restarts: number, lastError: string | null, owner: string}} Row
 * @typedef {{row: Row, search: string, teamKey: string, keys: Map<string, string | number | null>}} Entry
 */

const STATE_ORDER = { backoff: 0, connecting: 1, stopped: 2, connected: 3 };

/**
 * A text as a key that sorts with plain comparisons: case-insensitive, digit
 * runs compared as numbers ("Bench 9" before "Bench 10"). Ten times cheaper
 * than Intl.Collator at 10,000 rows, and computed once per row and column.
 * @param {string} text
 */
function textKey(text) {
  return text.toLowerCase().replace(/\d+/g, (digits) => digits.padStart(12, '0'));
}

/**
 * How each column sorts, as a value independent of the clock (so a sorted
 * order stays valid as time passes); a null value always sorts last.
 * "Connected for" ascending is the latest connection first; "last event"
 * ascending the most recent first.
 * @type {Record<string, (row: Row) => string | number | null>}
 */
const SORT_VALUE = {
  teamId: (r) => textKey(r.teamId),
  teamName: (r) => textKey(r.teamName),
  transport: (r) => r.transport,
  state: (r) => STATE_ORDER[/** @type {keyof typeof STATE_ORDER} */ (r.state)] ?? 9,
  connectedFor: (r) => (r.connectedSince === null ? null : -Date.parse(r.connectedSince)),
  lastEvent: (r) => (r.lastEventAt === null ? null : -Date.parse(r.lastEventAt)),
  restarts: (r) => r.restarts,
  lastError: (r) => (r.lastError === null ? null : textKey(r.lastError)),
  owner: (r) => textKey(r.owner),
};

export class WorkspaceTable {
  /** @type {Map<string, Entry>} */ #entries = new Map();
  /** @type {Entry[] | null} every row, sorted; null when it must be sorted again */ #sorted = null;
  /** @type {Entry[] | null} the sorted rows that pass the filters; null when it must be computed again */ #view = null;
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
    // One listener for every row's buttons: a page of rows is cheap to create.
    ui.tbody.addEventListener('click', (event) => {
      const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
      const teamId = button?.closest('tr')?.dataset['team'];
      if (!button || teamId === undefined) return;
      if (button.getAttribute('data-action') === 'open') ui.onOpen(teamId);
      const row = this.#entries.get(teamId)?.row;
      if (button.getAttribute('data-action') === 'restart' && row) ui.onRestart(row);
    });
  }

  get size() { return this.#entries.size; }

  /** @param {string} teamId */
  row(teamId) { return this.#entries.get(teamId)?.row; }

  /** Replaces every row (a full list from `GET /v1/workspaces`). @param {Row[]} rows */
  setAll(rows) {
    this.#entries = new Map(rows.map((row) => [row.teamId, entry(row)]));
    this.#changed();
  }

  /**
   * Adds or updates rows (from the live stream). Rows are updated in place, and
   * the sorted order is kept when no new row came and no sort value moved (the
   * usual tick: a few hundred rows whose last event changed, sorted by team).
   * @param {Row[]} rows
   */
  upsert(rows) {
    const column = this.#column();
    const valueOf = /** @type {(row: Row) => string | number | null} */ (SORT_VALUE[column]);
    let isOrderKept = true;
    for (const row of rows) {
      const known = this.#entries.get(row.teamId);
      if (!known) {
        this.#entries.set(row.teamId, entry(row));
        isOrderKept = false;
        continue;
      }
      const before = known.keys.has(column) ? known.keys.get(column) : valueOf(known.row);
      const after = valueOf(row);
      Object.assign(known, entry(row));
      known.keys.set(column, after);
      if (after !== before) isOrderKept = false;
    }
    if (!isOrderKept) this.#sorted = null;
    this.ui.onCounts(this.#counts());
    this.#filtered();
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
    this.#filtered();
  }

  /** @param {string} text matched, case-insensitively, against team, name, transport, state, last error and owner */
  filterText(text) {
    this.#text = text.trim().toLowerCase();
    this.#page = 0;
    this.#filtered();
  }

  /** Sorts by `key`; the same key again reverses the order. @param {string} key */
  sortBy(key) {
    if (!(key in SORT_VALUE)) return;
    this.#sortDirection = key === this.#sortKey ? -this.#sortDirection : 1;
    this.#sortKey = key;
    this.#sorted = null;
    this.#showSort();
    this.#filtered();
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
    const view = (this.#view ??= this.#filter((this.#sorted ??= this.#sort())));
    const pages = Math.max(1, Math.ceil(view.length / this.#pageSize));
    this.#page = Math.min(Math.max(0, this.#page), pages - 1);
    const first = this.#page * this.#pageSize;
    const shown = view.slice(first, first + this.#pageSize);
    this.#renderRows(shown, now);
    const { summary, pageInfo, prev, next } = this.ui;
    const total = this.#entries.size;
    summary.textContent = view.length === total
      ? `${count(total)} workspaces`
      : `${count(view.length)} of ${count(total)} workspaces match`;
    pageInfo.textContent = view.length === 0 ? 'No rows' : `Rows ${count(first + 1)}–${count(first + shown.length)} of ${count(view.length)} (page ${this.#page + 1} of ${pages})`;
    prev.disabled = this.#page === 0;
    next.disabled = this.#page >= pages - 1;
  }

  /** The headers say the order at once (aria-sort), before the rows follow at the next frame. */
  #showSort() {
    for (const th of this.ui.headers) {
      const key = th.querySelector('button')?.dataset['sort'];
      if (key !== undefined) th.setAttribute('aria-sort', key === this.#sortKey ? (this.#sortDirection === 1 ? 'ascending' : 'descending') : 'none');
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

  /** The rows changed: sort and filter again at the next frame. */
  #changed() {
    this.#sorted = null;
    this.ui.onCounts(this.#counts());
    this.#filtered();
  }

  /** A filter changed: filter the sorted rows again at the next frame. */
  #filtered() {
    this.#view = null;
    if (this.#isRenderQueued) return;
    this.#isRenderQueued = true;
    requestAnimationFrame(() => {
      this.#isRenderQueued = false;
      this.render();
    });
  }

  #column() {
    return this.#sortKey in SORT_VALUE ? this.#sortKey : 'teamId';
  }

  /** Every row in the chosen order, ties by team id. */
  #sort() {
    const column = this.#column();
    const valueOf = /** @type {(row: Row) => string | number | null} */ (SORT_VALUE[column]);
    const direction = this.#sortDirection;
    const entries = [...this.#entries.values()];
    // Keys in an array beside the rows, indices sorted: no Map lookup inside the comparisons.
    const keys = entries.map((e) => {
      if (!e.keys.has(column)) e.keys.set(column, valueOf(e.row));
      return e.keys.get(column) ?? null;
    });
    const teams = entries.map((e) => e.teamKey);
    const order = entries.map((_, i) => i);
    order.sort((i, j) => {
      const x = keys[i] ?? null;
      const y = keys[j] ?? null;
      if (x !== y) {
        if (x === null) return 1;
        if (y === null) return -1;
        return (x < y ? -1 : 1) * direction;
      }
      const a = teams[i] ?? '';
      const b = teams[j] ?? '';
      return a < b ? -1 : a > b ? 1 : 0;
    });
    return order.map((i) => /** @type {Entry} */ (entries[i]));
  }

  /** The sorted rows that pass the state and text filters. @param {Entry[]} sorted */
  #filter(sorted) {
    const state = this.#state;
    const text = this.#text;
    if (state === '' && text === '') return sorted;
    return sorted.filter((e) => (state === '' || e.row.state === state) && (text === '' || e.search.includes(text)));
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
    if (tbody.rows.length < shown.length) {
      const fragment = document.createDocumentFragment();
      for (let i = tbody.rows.length; i < shown.length; i++) fragment.append(this.#newRow());
      tbody.append(fragment);
    }
    shown.forEach((e, i) => fillRow(/** @type {HTMLTableRowElement} */ (tbody.rows[i]), e.row, now));
  }

  #newRow() {
    const tr = document.createElement('tr');
    const team = document.createElement('button');
    team.type = 'button';
    team.className = 'link';
    team.dataset['action'] = 'open';
    const restart = document.createElement('button');
    restart.type = 'button';
    restart.className = 'small';
    restart.textContent = 'Restart';
    restart.dataset['action'] = 'restart';
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
  return { row, search, teamKey: textKey(row.teamId), keys: new Map() };
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
  connected?.setAttribute('title', row.connectedSince === null ? 'not connected' : `since ${row.connectedSince}`);
  setText(event, ago(row.lastEventAt, now));
  event?.setAttribute('title', row.lastEventAt ?? '');
}
