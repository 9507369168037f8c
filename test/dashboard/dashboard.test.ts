import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { EmulatedWorkspace } from '../../src/emulator/index.js';
import { launchBrowser, type Browser } from '../support/browser.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

/** A free port from the OS, so the daemon restarted in the last test listens where the page looks. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

const XSS_NAME = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';
/** `UPDATE_SCREENSHOT=1 npm test -- test/dashboard` refreshes the README's picture; otherwise it goes to the data dir. */
const SCREENSHOT = process.env['UPDATE_SCREENSHOT'] === '1' ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url)) : undefined;

describe('dashboard in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  let token: string;
  let acme: EmulatedWorkspace;
  let globex: EmulatedWorkspace;
  let initech: EmulatedWorkspace;
  const requestUrls: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  const row = (teamId: string) => page.locator(`#rows tr[data-team="${teamId}"]`);
  const cell = async (teamId: string, name: string) => (await row(teamId).locator(`td.${name}`).textContent()) ?? '';
  const seen = (teamId: string, name: string, expected: string, message = `${teamId} ${name} = ${expected}`) =>
    until(async () => (await row(teamId).count()) === 1 && (await cell(teamId, name)) === expected, 10_000, message);

  beforeAll(async () => {
    h = await startHarness({ env: { FLOTILLA_ADMIN_ADDR: `127.0.0.1:${await freePort()}` } });
    token = (await readFile(join(h.db.dataDir, 'admin-token'), 'utf8')).trim();
    acme = h.slack.createWorkspace({ name: 'Acme' });
    globex = h.slack.createWorkspace({ name: 'Globex' });
    initech = h.slack.createWorkspace({ name: 'Initech' });
    await h.add(acme);
    await h.add(globex, 'rtm');
    await h.add(initech);
    h.slack.failToken(initech.appToken, 'internal_error'); // its socket dies and every reopen fails: backoff
    await until(() => h.state(initech.teamId) === 'backoff', 10_000, 'Initech in backoff');
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? await browser.context.newPage();
    page.on('request', (request) => requestUrls.push(request.url()));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  it('serves the page with a strict Content-Security-Policy and no fleet data, without a token', async () => {
    const response = await page.goto(h.daemon.adminUrl);
    expect(response?.status()).toBe(200);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response?.headers()['x-content-type-options']).toBe('nosniff');
    const html = await response?.text() ?? '';
    expect(html).not.toMatch(/<script>|\sstyle=|\son[a-z]+=/i); // no inline script, style attribute or handler
    for (const team of [acme, globex, initech]) expect(html).not.toContain(team.teamId);
    await page.locator('#login').waitFor({ state: 'visible' });
  });

  it('says a wrong token is wrong, then signs in with the right one, never putting it in a URL', async () => {
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#login-form button[type=submit]');
    await until(async () => /Wrong admin token/.test(await page.textContent('#login-error') ?? ''), 5_000, 'wrong-token message');
    expect(await page.isVisible('#fleet')).toBe(false);
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.fill('#token', token);
    await page.press('#token', 'Enter');
    await page.locator('#fleet').waitFor({ state: 'visible' });
    expect(await page.evaluate("sessionStorage.getItem('flotilla.adminToken')")).toBe(token);
    await page.evaluate('window.marker = 42'); // gone if the page ever reloads
  });

  it('shows every workspace with its state, transport and counts by state', async () => {
    await seen(acme.teamId, 'state', 'connected');
    await seen(globex.teamId, 'state', 'connected');
    await seen(initech.teamId, 'state', h.state(initech.teamId) ?? 'backoff');
    expect(await cell(globex.teamId, 'transport')).toBe('rtm');
    expect(await cell(acme.teamId, 'name')).toBe('Acme');
    expect(await cell(acme.teamId, 'owner')).toBe(h.daemon.instanceId);
    expect(await cell(initech.teamId, 'error')).toBe('internal_error');
    expect(await page.textContent('#count-all')).toBe('3');
    await until(async () => Number(await page.textContent('#count-connected')) === 2, 5_000, 'two connected');
    for (let i = 0; i < 12; i++) {
      const team = i % 3 === 0 ? globex : acme;
      h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> ping` });
    }
    await until(() => h.slack.posted().length >= 12, 10_000, 'twelve replies');
    await until(async () => /[1-9]\d* replies\.$/.test(await page.textContent('#rates-now') ?? ''), 5_000, 'replies in the chart summary');
    expect(await page.getAttribute('#rates-chart', 'role')).toBe('img');
    expect(await page.locator('#rates-chart polyline').count()).toBe(2);
    await page.screenshot({ path: SCREENSHOT ?? join(h.db.dataDir, 'dashboard.png'), fullPage: true });
  });

  it('shows a state change and a reconnect live, without a reload', async () => {
    h.slack.restoreToken(initech.appToken);
    // Its worker's own retry may be a minute away by now (full-jitter backoff): an operator's restart retries at once.
    const restart = await fetch(`${h.daemon.adminUrl}/v1/workspaces/${initech.teamId}/restart`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(restart.status).toBe(202);
    await until(() => h.state(initech.teamId) === 'connected', 20_000, 'Initech reconnected by the daemon');
    await seen(initech.teamId, 'state', 'connected', 'Initech back to connected on the page');
    const before = h.restarts(globex.teamId);
    h.slack.dropConnections(globex.teamId);
    await until(() => h.restarts(globex.teamId) === before + 1, 10_000, 'Globex reconnected');
    await seen(globex.teamId, 'restarts', String(before + 1), 'Globex restart count on the page');
    await until(async () => Number(await page.textContent('#reconnects-total')) >= 1, 5_000, 'reconnects counted');
    expect(await page.evaluate('window.marker')).toBe(42);
  });

  it('filters by text and by state, and sorts by a column with the keyboard', async () => {
    await page.fill('#text-filter', 'glob');
    await until(async () => (await page.locator('#rows tr').count()) === 1, 5_000, 'one row for "glob"');
    expect(await row(globex.teamId).count()).toBe(1);
    expect(await page.textContent('#table-summary')).toBe('1 of 3 workspaces match');
    await page.fill('#text-filter', '');
    await page.selectOption('#state-filter', 'backoff');
    await until(async () => (await page.locator('#rows tr').count()) === 0, 5_000, 'no row in backoff');
    await page.click('.count[data-state="connected"]');
    expect(await page.inputValue('#state-filter')).toBe('connected');
    await until(async () => (await page.locator('#rows tr').count()) === 3, 5_000, 'three connected rows');
    await page.click('.count[data-state=""]');
    const nameHeader = page.locator('th:has(button[data-sort="teamName"])');
    await page.focus('button[data-sort="teamName"]');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await until(async () => (await nameHeader.getAttribute('aria-sort')) === 'descending', 5_000, 'name header says descending');
    await until(async () => (await page.locator('#rows td.name').allTextContents()).join() === 'Initech,Globex,Acme', 5_000, 'names descending');
  });

  it('restarts one workspace from the page, shows its count growing and its history in the detail pane', async () => {
    const before = h.restarts(acme.teamId);
    await row(acme.teamId).locator('td.actions button').click();
    await until(async () => /Restart requested for Acme/.test(await page.textContent('#notice') ?? ''), 5_000, 'restart notice');
    await until(() => h.restarts(acme.teamId) === before + 1, 10_000, 'Acme restarted');
    await seen(acme.teamId, 'restarts', String(before + 1));
    const secret = 'the quarterly numbers are confidential';
    h.slack.postUserMessage(acme.teamId, { user: acme.userId, channel: acme.generalChannelId, text: `<@${acme.botUserId}> ${secret}` });
    await h.slack.waitForPosted((m) => m.teamId === acme.teamId);
    await row(acme.teamId).locator('td.team button').focus();
    await page.keyboard.press('Enter');
    await page.locator('#detail').waitFor({ state: 'visible' });
    expect(await page.evaluate('document.activeElement?.id')).toBe('detail');
    await until(async () => /operator/.test(await page.textContent('#detail-restarts') ?? ''), 5_000, 'restart reason in the history');
    await until(async () => /app_mention/.test(await page.textContent('#detail-events') ?? ''), 5_000, 'event types in the pane');
    expect(await page.textContent('#detail')).not.toContain(secret);
    await page.keyboard.press('Escape');
    await page.locator('#detail').waitFor({ state: 'hidden' });
    expect(await page.evaluate("document.activeElement?.closest('tr')?.getAttribute('data-team')")).toBe(acme.teamId);
  });

  it('restarts all only after a confirmation', async () => {
    const before = [acme, globex, initech].map((t) => h.restarts(t.teamId));
    await page.click('#restart-all');
    await page.locator('#confirm-all').waitFor({ state: 'visible' });
    await page.click('#confirm-cancel');
    await page.locator('#confirm-all').waitFor({ state: 'hidden' });
    expect([acme, globex, initech].map((t) => h.restarts(t.teamId))).toEqual(before);
    await page.click('#restart-all');
    await page.click('#confirm-yes');
    await until(() => [acme, globex, initech].every((t, i) => h.restarts(t.teamId) > (before[i] as number)), 10_000, 'all restarted');
    await seen(initech.teamId, 'restarts', String(h.restarts(initech.teamId)));
  });

  it('shows a team name containing markup as text: nothing runs, nothing is injected', async () => {
    const evil = h.slack.createWorkspace({ name: XSS_NAME });
    await h.add(evil);
    await seen(evil.teamId, 'name', XSS_NAME);
    await page.fill('#text-filter', '<script>');
    await until(async () => (await page.locator('#rows tr').count()) === 1, 5_000, 'the evil row found by its name');
    await row(evil.teamId).locator('td.team button').click();
    await until(async () => (await page.textContent('#detail-title') ?? '').includes(XSS_NAME), 5_000, 'name in the pane title');
    await page.click('#detail-close');
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('#rows img, #detail img').count()).toBe(0);
    await page.fill('#text-filter', '');
  });

  it('shows the instances panel from GET /v1/instances, and hides it on 404', async () => {
    // This daemon answers the route (several instances on one database): itself, marked as the one answering.
    await page.locator('#instances').waitFor({ state: 'visible', timeout: 10_000 });
    const own = await page.locator('#instance-rows tr').allTextContents();
    expect(own).toHaveLength(1);
    expect(own[0]).toContain(`${h.daemon.instanceId} (this one)`);
    // A fleet of two, as the contract gives it, served to the page by the browser.
    const heartbeatAt = new Date(Date.now() - 2_000).toISOString();
    await page.route('**/v1/instances', (route) => route.fulfill({
      json: {
        instances: [
          { id: h.daemon.instanceId, host: 'vm-a', version: '0.1.0', startedAt: heartbeatAt, heartbeatAt, heartbeatAgeMs: 2_000, connections: 3, isSelf: true },
          { id: 'vm-b-77', host: 'vm-b', version: '0.1.0', startedAt: heartbeatAt, heartbeatAt, heartbeatAgeMs: 61_000, connections: 0, isSelf: false },
        ],
      },
    }));
    // A reload of the tab also shows that the token outlives it (sessionStorage) without asking again.
    await page.reload();
    await page.locator('#instances').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.isHidden('#login')).toBe(true);
    await page.evaluate('window.marker = 42');
    await until(async () => (await page.locator('#instance-rows tr').count()) === 2, 10_000, 'two instances on the page');
    const rows = await page.locator('#instance-rows tr').allTextContents();
    expect(rows[0]).toContain(`${h.daemon.instanceId} (this one)`);
    expect(rows[1]).toContain('vm-b-77');
    expect(await page.locator('#instance-rows tr:nth-child(2) td:nth-child(5)').textContent()).toMatch(/^1 m \d+ s$/);
    // A daemon of a version without the route answers 404: the panel goes.
    await page.unroute('**/v1/instances');
    await page.route('**/v1/instances', (route) => route.fulfill({ status: 404, json: { error: { code: 'flotilla_not_found', message: 'no route GET /v1/instances' } } }));
    await page.locator('#instances').waitFor({ state: 'hidden', timeout: 10_000 });
    await page.unroute('**/v1/instances');
  });

  it('works in a narrow window: no sideways scroll of the page, controls reachable', async () => {
    await page.setViewportSize({ width: 380, height: 800 });
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    expect(await page.isVisible('#restart-all')).toBe(true);
    expect(await page.isVisible('#text-filter')).toBe(true);
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('says when it loses the daemon and when the daemon is back', async () => {
    const stopped = h.daemon.stop();
    await until(async () => /Lost the daemon/.test(await page.textContent('#connection') ?? ''), 15_000, 'lost message');
    await stopped;
    await h.restartDaemon();
    await until(async () => /^Back/.test(await page.textContent('#connection') ?? ''), 20_000, 'back message');
    await seen(acme.teamId, 'state', 'connected');
    expect(await page.evaluate('window.marker')).toBe(42);
  }, 60_000);

  it('never sent the token in a URL, broke no CSP rule and threw nothing', () => {
    expect(requestUrls.length).toBeGreaterThan(5);
    for (const url of requestUrls) expect(url).not.toContain(token);
    expect(cspViolations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
