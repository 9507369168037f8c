// @ts-check
/**
 * The dashboard's entry: sign-in (the admin token, kept in sessionStorage for
 * this tab only and sent as a bearer header), then the fleet at a glance, the
 * workspace table, the detail pane and the restart buttons, kept live by
 * LiveConnection.
 */
import { Api, UnauthorizedError } from './api.js';
import { RatesChart } from './chart.js';
import { DetailPane } from './detail.js';
import { count } from './format.js';
import { InstancesPanel } from './instances.js';
import { LiveConnection } from './live.js';
import { showReconnects } from './reconnects.js';
import { WorkspaceTable } from './table.js';

const TOKEN_KEY = 'flotilla.adminToken';
const STATES = ['connected', 'connecting', 'backoff', 'stopped'];

/** @template {Element} [T=HTMLElement] @param {string} id @returns {T} */
function $(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return /** @type {T} */ (/** @type {unknown} */ (element));
}

/** @type {Api | null} */
let api = null;
/** @type {LiveConnection | null} */
let live = null;
const needApi = () => {
  if (api === null) throw new UnauthorizedError('not signed in');
  return api;
};

const chart = new RatesChart(/** @type {SVGSVGElement} */ ($('rates-chart')), $('rates-now'));
const instances = new InstancesPanel($('instances'), $('instance-rows'));
const table = new WorkspaceTable({
  tbody: $('rows'), summary: $('table-summary'), pageInfo: $('page-info'), prev: $('prev-page'), next: $('next-page'),
  headers: [...document.querySelectorAll('#workspace-table thead th')].map((th) => /** @type {HTMLTableCellElement} */ (th)),
  onOpen: (teamId) => void detail.open(teamId),
  onRestart: (row) => void restartOne(row.teamId, row.teamName),
  onCounts: showCounts,
});
const detail = new DetailPane({
  pane: $('detail'), title: $('detail-title'), message: $('detail-message'), fields: $('detail-fields'),
  restarts: $('detail-restarts'), events: $('detail-events'), close: $('detail-close'), restart: $('detail-restart'),
}, needApi, (teamId, name) => restartOne(teamId, name), handleError);

/** @param {string} text @param {'live' | 'lost' | 'back' | 'loading'} kind */
function setStatus(text, kind) {
  const element = $('connection');
  element.textContent = text;
  element.className = `connection ${kind}`;
}

/** @type {ReturnType<typeof setTimeout> | undefined} */
let noticeTimer;

/** Shows a short message at the bottom for 10 s (errors until the next message). @param {string} text @param {boolean} [isError] */
function notify(text, isError = false) {
  const element = $('notice');
  element.textContent = text;
  element.className = isError ? 'notice error' : 'notice';
  clearTimeout(noticeTimer);
  if (!isError) noticeTimer = setTimeout(() => { element.textContent = ''; }, 10_000);
}

/** @param {unknown} error */
function handleError(error) {
  if (error instanceof UnauthorizedError) signOut('The daemon refused the token (it may have been changed): sign in again.');
  else notify(error instanceof Error ? error.message : String(error), true);
}

/** @param {Record<string, number>} counts */
function showCounts(counts) {
  $('count-all').textContent = count(counts['all'] ?? 0);
  for (const state of STATES) $(`count-${state}`).textContent = count(counts[state] ?? 0);
}

async function loadAll() {
  const client = needApi();
  const [{ workspaces }, stats] = await Promise.all([client.get('/v1/workspaces'), client.get('/v1/stats')]);
  table.setAll(workspaces);
  chart.load(stats);
  showReconnects($('reconnects-total'), $('reconnect-reasons'), stats.reconnects);
  await instances.load(client);
}

/** @param {string} name @param {any} data */
function onEvent(name, data) {
  if (name === 'stats') {
    chart.add(data);
    showReconnects($('reconnects-total'), $('reconnect-reasons'), data.reconnects);
  } else if (name === 'workspaces') {
    table.upsert(data.rows);
    if (detail.teamId !== null && data.rows.some((/** @type {{teamId: string}} */ r) => r.teamId === detail.teamId)) void detail.refresh();
  } else if (name === 'removed') {
    table.remove(data.teamIds);
  }
}

/** @param {string} teamId @param {string} name */
async function restartOne(teamId, name) {
  try {
    await needApi().post(`/v1/workspaces/${encodeURIComponent(teamId)}/restart`);
    notify(`Restart requested for ${name} (${teamId}): its connection is being reopened.`);
  } catch (error) {
    handleError(error);
  }
}

async function restartAll() {
  try {
    const { restarted } = await needApi().post('/v1/workspaces/all/restart');
    notify(`Restart requested for ${count(restarted)} workspaces: connections reopen paced (FLOTILLA_CONNECT_RATE).`);
  } catch (error) {
    handleError(error);
  }
}

/** @param {string} token */
function start(token) {
  api = new Api(token);
  $('login').hidden = true;
  $('fleet').hidden = false;
  $('logout').hidden = false;
  setStatus('Connecting to the daemon…', 'loading');
  live = new LiveConnection(needApi, {
    loadAll, onEvent, setStatus, onUnauthorized: (message) => signOut(`The daemon refused the token: ${message}. Sign in again.`),
  });
  void live.run();
}

/** @param {string} [message] */
function signOut(message = '') {
  live?.stop();
  live = null;
  api = null;
  sessionStorage.removeItem(TOKEN_KEY);
  detail.close();
  $('fleet').hidden = true;
  $('logout').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  setStatus('Signed out', 'loading');
  /** @type {HTMLInputElement} */ ($('token')).value = '';
  $('token').focus();
}

/** Checks a token against the daemon before keeping it. @param {SubmitEvent} event */
async function onLogin(event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('token'));
  const error = $('login-error');
  const token = input.value.trim();
  if (token === '') {
    error.textContent = 'Enter the admin token.';
    return;
  }
  error.textContent = 'Checking…';
  try {
    await new Api(token).get('/v1/stats');
  } catch (problem) {
    error.textContent = problem instanceof UnauthorizedError
      ? 'Wrong admin token: the daemon refused it. Copy it again from FLOTILLA_ADMIN_TOKEN or $FLOTILLA_DATA_DIR/admin-token.'
      : `Cannot check the token: ${problem instanceof Error ? problem.message : String(problem)}`;
    input.select();
    return;
  }
  error.textContent = '';
  sessionStorage.setItem(TOKEN_KEY, token);
  start(token);
}

function wireControls() {
  $('login-form').addEventListener('submit', (event) => void onLogin(/** @type {SubmitEvent} */ (event)));
  $('logout').addEventListener('click', () => signOut());
  const stateFilter = /** @type {HTMLSelectElement} */ ($('state-filter'));
  const setState = (/** @type {string} */ state) => {
    stateFilter.value = state;
    table.filterState(state);
    for (const button of document.querySelectorAll('.count')) {
      button.setAttribute('aria-pressed', String(/** @type {HTMLElement} */ (button).dataset['state'] === state));
    }
  };
  stateFilter.addEventListener('change', () => setState(stateFilter.value));
  for (const button of document.querySelectorAll('.count')) {
    button.addEventListener('click', () => setState(/** @type {HTMLElement} */ (button).dataset['state'] ?? ''));
  }
  const textFilter = /** @type {HTMLInputElement} */ ($('text-filter'));
  textFilter.addEventListener('input', () => table.filterText(textFilter.value));
  for (const button of document.querySelectorAll('#workspace-table thead button[data-sort]')) {
    button.addEventListener('click', () => table.sortBy(/** @type {HTMLElement} */ (button).dataset['sort'] ?? 'teamId'));
  }
  $('prev-page').addEventListener('click', () => table.turn(-1));
  $('next-page').addEventListener('click', () => table.turn(1));
  const pageSize = /** @type {HTMLSelectElement} */ ($('page-size'));
  pageSize.addEventListener('change', () => table.setPageSize(Number(pageSize.value)));
  const dialog = /** @type {HTMLDialogElement} */ ($('confirm-all'));
  $('restart-all').addEventListener('click', () => {
    $('confirm-text').textContent = `This drops and reopens the connection of every workspace (${count(table.size)} listed), paced by FLOTILLA_CONNECT_RATE. Each counts as a restart.`;
    dialog.showModal();
    $('confirm-cancel').focus();
  });
  $('confirm-cancel').addEventListener('click', () => dialog.close());
  $('confirm-yes').addEventListener('click', () => {
    dialog.close();
    void restartAll();
  });
  let seconds = 0;
  setInterval(() => {
    table.tick();
    instances.render();
    // Heartbeats move every few seconds: read them often; a daemon without the route is asked again each minute.
    seconds += 1;
    if (api !== null && seconds % (instances.section.hidden ? 60 : 5) === 0) instances.load(api).catch(() => undefined);
  }, 1_000);
}

wireControls();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else signOut();
