import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'kysely';
import type { EmulatedApp, EmulatedWorkspace, SlackEmulator } from '../../src/emulator/index.js';
import { startHarness, type Harness } from '../support/harness.js';
import { until } from '../support/until.js';

interface Page {
  readonly url: string;
  readonly status: number;
  readonly location: string | null;
  readonly body: string;
  readonly headers: Headers;
}

/** Every page a browser got from the public listener, for the secrets grep. */
const pagesSeen: Page[] = [];

/** A browser, enough of one: a cookie jar, manual redirects, its own source address (behind the TLS proxy). */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly pages: Page[] = [];

  constructor(private readonly address: string) {}

  async get(url: string, init: { method?: string; body?: string } = {}): Promise<Page> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      redirect: 'manual', method: init.method ?? 'GET', ...(init.body === undefined ? {} : { body: init.body }),
      headers: { 'x-forwarded-for': this.address, ...(cookie === '' ? {} : { cookie }) },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const [name, value] = pair!.split('=') as [string, string];
      if (attributes.some((a) => /^max-age=0$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const page = { url, status: response.status, location: response.headers.get('location'), body: await response.text(), headers: response.headers };
    this.pages.push(page);
    pagesSeen.push(page);
    return page;
  }
}

let addresses = 0;
const newBrowser = (): Browser => new Browser(`198.51.100.${++addresses}`);

/** The Add to Slack link of the install page, unescaped. */
function authorizeLink(html: string): string {
  const escaped = /class="add" href="([^"]+)"/.exec(html)?.[1];
  if (escaped === undefined) throw new Error(`no Add to Slack link in ${html}`);
  return escaped.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

function appWith(slack: SlackEmulator): EmulatedApp {
  return slack.createApp({ name: 'flotilla', oauth: { clientId: '1111111111.2222222222', clientSecret: 'cs-0123456789abcdef0123456789abcdef' } });
}

function oauthEnv(app: EmulatedApp, extra: Record<string, string> = {}): Record<string, string> {
  return {
    FLOTILLA_PUBLIC_ADDR: '127.0.0.1:0', SLACK_CLIENT_ID: app.oauth!.clientId, SLACK_CLIENT_SECRET: app.oauth!.clientSecret, ...extra,
  };
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('Add to Slack (OAuth install) on the public listener', () => {
  let h: Harness;
  let app: EmulatedApp;
  let publicUrl: string;
  const codes: string[] = [];
  const states: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      logLevel: 'trace',
      env: (slack) => {
        app = appWith(slack);
        return oauthEnv(app, { SLACK_APP_TOKEN: app.appToken });
      },
    });
    publicUrl = h.daemon.publicUrl!;
  });

  afterAll(async () => {
    await h?.stop();
  });

  /** The install page, then Slack's consent (decided ahead), up to the redirect back; nothing followed there yet. */
  async function startInstall(browser: Browser, team: EmulatedWorkspace, as?: string): Promise<{ redirect: string; state: string }> {
    const page = await browser.get(`${publicUrl}/slack/install`);
    expect(page.status).toBe(200);
    const authorizeUrl = authorizeLink(page.body);
    const state = new URL(authorizeUrl).searchParams.get('state')!;
    states.push(state);
    h.slack.setNextAuthorization({ teamId: team.teamId, ...(as === undefined ? {} : { userId: as }) });
    const consent = await browser.get(authorizeUrl);
    expect(consent.status).toBe(302);
    const code = new URL(consent.location!).searchParams.get('code');
    if (code !== null) codes.push(code);
    return { redirect: consent.location!, state };
  }

  async function row(teamId: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await sql<Record<string, unknown>>`select * from workspaces where team_id = ${teamId}`.execute(h.daemon.db.kysely);
    return rows[0];
  }

  it('installs end to end: the row stored encrypted with installed_by, the workspace connected at once and answering a mention', async () => {
    const team = h.slack.createWorkspace({ name: 'Acme <b>&</b> Co' });
    const browser = newBrowser();
    const { redirect, state } = await startInstall(browser, team, team.userId);
    const setCookie = browser.pages[0]!.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/^slack-app-oauth-state=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=600$/); // no Secure: the public URL is http here
    expect(browser.pages[0]!.body).toContain(`${h.slack.origin}/oauth/v2/authorize?`);
    expect(new URL(redirect).pathname).toBe('/slack/oauth_redirect');

    const done = await browser.get(redirect);
    expect(done.status).toBe(200);
    expect(done.body).toContain('flotilla is installed in Acme &#60;b&#62;&#38;&#60;/b&#62; Co');
    expect(done.body).not.toContain('<b>');
    expect(done.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(done.headers.get('x-frame-options')).toBe('DENY');
    expect(browser.cookies.size).toBe(0); // the state cookie is cleared

    const installation = h.slack.installations(team.teamId)[0]!;
    const stored = (await row(team.teamId))!;
    expect(stored).toMatchObject({ transport: 'socket-mode', installed_by: team.userId, app_id: app.appId, bot_user_id: installation.botUserId, team_name: 'Acme <b>&</b> Co' });
    expect(String(stored.bot_token_enc)).not.toContain('xoxb-');
    expect(String(stored.app_token_enc)).not.toContain('xapp-');
    expect((await h.daemon.repo.get(team.teamId))!.botToken).toBe(installation.botToken);
    const { rows: stateRows } = await sql<{ state_hash: string; used_at: Date | null }>`select state_hash, used_at from oauth_states`.execute(h.daemon.db.kysely);
    expect(stateRows.find((r) => r.state_hash === sha256(state))?.used_at).toBeInstanceOf(Date);
    expect(JSON.stringify(stateRows)).not.toContain(state);

    await until(() => h.state(team.teamId) === 'connected', 10_000, 'the installed workspace connected');
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${installation.botUserId}> ping` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes('pong'), 10_000);
  });

  it('reinstalls a known team: its tokens updated, its data kept', async () => {
    const team = h.slack.createWorkspace({ name: 'Globex' });
    await h.add(team); // the operator's way in: the team's own app
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${team.botUserId}> task add Buy milk` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.text.includes('Buy milk'), 10_000);

    const browser = newBrowser();
    const first = await browser.get((await startInstall(browser, team, team.adminUserId)).redirect);
    expect(first.status).toBe(200);
    const installation = h.slack.installations(team.teamId)[0]!;
    const record = (await h.daemon.repo.get(team.teamId))!;
    expect(record).toMatchObject({ botToken: installation.botToken, appId: app.appId, botUserId: installation.botUserId, installedBy: team.adminUserId });
    expect(record.connection).toEqual({ transport: 'socket-mode', appToken: app.appToken });

    await until(() => h.state(team.teamId) === 'connected' && h.slack.openSockets({ appId: team.appId }) === 0, 10_000, 'the workspace moved to the distributed app');
    const since = Date.now();
    h.slack.postUserMessage(team.teamId, { user: team.userId, channel: team.generalChannelId, text: `<@${installation.botUserId}> task list` });
    await h.slack.waitForPosted((m) => m.teamId === team.teamId && m.at >= since && m.text.includes('Buy milk'), 10_000);

    // The same app again, by another admin: Slack keeps the bot token; the installer is recorded anew.
    const before = (await row(team.teamId))!;
    const again = await browser.get((await startInstall(browser, team, team.userId)).redirect);
    expect(again.status).toBe(200);
    const after = (await row(team.teamId))!;
    expect(after.installed_by).toBe(team.userId);
    expect((after.updated_at as Date).getTime()).toBeGreaterThanOrEqual((before.updated_at as Date).getTime());
    const { rows } = await sql<{ n: string }>`select count(*) as n from tasks where team_id = ${team.teamId}`.execute(h.daemon.db.kysely);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  describe('refusals store nothing', () => {
    let team: EmulatedWorkspace;
    let accessCalls: number;

    beforeAll(() => {
      team = h.slack.createWorkspace({ name: 'Initech' });
    });

    const expectNothingStored = async (): Promise<void> => {
      expect(await row(team.teamId)).toBeUndefined();
      expect(h.slack.installations(team.teamId)).toEqual([]);
    };

    it('a replayed redirect (same state and cookie) is refused: 400, no second code exchange', async () => {
      const other = h.slack.createWorkspace({ name: 'Replay' });
      const browser = newBrowser();
      const { redirect, state } = await startInstall(browser, other);
      expect((await browser.get(redirect)).status).toBe(200);
      const stored = (await row(other.teamId))!;
      accessCalls = h.slack.calls('oauth.v2.access').length;
      browser.cookies.set('slack-app-oauth-state', state); // an attacker holding both
      const replay = await browser.get(redirect);
      expect(replay.status).toBe(400);
      expect(replay.body).toContain('Install link already used');
      expect(h.slack.calls('oauth.v2.access')).toHaveLength(accessCalls);
      expect(((await row(other.teamId))!.updated_at as Date).getTime()).toBe((stored.updated_at as Date).getTime());
    });

    it('an unknown state is refused', async () => {
      const browser = newBrowser();
      await browser.get(`${publicUrl}/slack/install`);
      browser.cookies.set('slack-app-oauth-state', 'forged-state');
      const page = await browser.get(`${publicUrl}/slack/oauth_redirect?code=123.456.abc&state=forged-state`);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Install link not recognised');
      await expectNothingStored();
    });

    it('an expired state is refused', async () => {
      const browser = newBrowser();
      const { redirect, state } = await startInstall(browser, team);
      await sql`update oauth_states set expires_at = now() - interval '1 second' where state_hash = ${sha256(state)}`.execute(h.daemon.db.kysely);
      accessCalls = h.slack.calls('oauth.v2.access').length;
      const page = await browser.get(redirect);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Install link expired');
      expect(h.slack.calls('oauth.v2.access')).toHaveLength(accessCalls);
      await expectNothingStored();
    });

    it('a redirect without the cookie (another browser) is refused, and does not burn the state for its own browser', async () => {
      const browser = newBrowser();
      const { redirect } = await startInstall(browser, team);
      const elsewhere = await newBrowser().get(redirect);
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body).toContain('Install link not from this browser');
      await expectNothingStored();
      expect((await browser.get(redirect)).status).toBe(200); // the rightful browser still completes it
      team = h.slack.createWorkspace({ name: 'Initech 2' }); // the next refusals on a team not installed
    });

    it('access_denied shows the cancelled page', async () => {
      const browser = newBrowser();
      await browser.get(`${publicUrl}/slack/install`);
      const authorizeUrl = authorizeLink(browser.pages[0]!.body);
      h.slack.setNextAuthorization({ deny: true });
      const consent = await browser.get(authorizeUrl);
      expect(new URL(consent.location!).searchParams.get('error')).toBe('access_denied');
      const page = await browser.get(consent.location!);
      expect(page.status).toBe(200);
      expect(page.body).toContain('Install cancelled');
      await expectNothingStored();
    });

    it('Slack refusing the code gets its own page', async () => {
      const browser = newBrowser();
      const { redirect } = await startInstall(browser, team);
      h.slack.failMethod('oauth.v2.access', 'invalid_code', { count: 1 });
      const page = await browser.get(redirect);
      expect(page.status).toBe(400);
      expect(page.body).toContain('Slack refused the install');
      expect(page.body).toContain('(invalid_code)');
      await expectNothingStored();
    });
  });

  it('serves no admin route, refuses bodies over 1 MB, and rate-limits the install routes per address', async () => {
    const browser = newBrowser();
    for (const path of ['/v1/workspaces', '/metrics', '/healthz', '/readyz', '/', '/v1/instances']) {
      expect((await browser.get(`${publicUrl}${path}`)).status).toBe(404);
    }
    const big = await browser.get(`${publicUrl}/slack/oauth_redirect`, { method: 'POST', body: 'x'.repeat(1024 * 1024 + 1) });
    expect(big.status).toBe(413);
    const limited = newBrowser();
    let last: Page | undefined;
    for (let i = 0; i < 31; i += 1) last = await limited.get(`${publicUrl}/slack/install`);
    expect(last!.status).toBe(429);
    expect(last!.body).toContain('Too many requests');
    expect((await newBrowser().get(`${publicUrl}/slack/install`)).status).toBe(200); // another address is not affected
  });

  it('leaks no client secret, code, state or token into the logs (at trace) or the pages', async () => {
    const secrets = [
      app.oauth!.clientSecret, app.appToken, ...codes, ...states,
      ...h.slack.installations().map((i) => i.botToken),
    ];
    expect(codes.length).toBeGreaterThan(3);
    const logs = h.logs.join('\n');
    expect(h.logs.some((line) => line.includes('"level":"debug"'))).toBe(true); // the logger ran at trace: everything down to debug and trace was kept
    for (const secret of secrets) expect(logs).not.toContain(secret);
    // Every page but the install page itself, whose link carries the state meant for that browser.
    const pages = pagesSeen.filter((page) => page.url.startsWith(publicUrl) && !page.body.includes('class="add"')).map((page) => `${page.location ?? ''}\n${page.body}`).join('\n');
    expect(pagesSeen.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(pages).not.toContain(secret);
  });
});

describe('Add to Slack without SLACK_APP_TOKEN, and without a public address', () => {
  it('stores an OAuth install as an http workspace, listed as such', async () => {
    const h = await startHarness({ env: (slack) => oauthEnv(appWith(slack)) });
    try {
      const team = h.slack.createWorkspace({ name: 'Hooli' });
      const browser = newBrowser();
      const page = await browser.get(`${h.daemon.publicUrl!}/slack/install`);
      h.slack.setNextAuthorization({ teamId: team.teamId });
      const consent = await browser.get(authorizeLink(page.body));
      expect((await browser.get(consent.location!)).status).toBe(200);
      const { rows } = await sql<{ transport: string; app_token_enc: string | null; installed_by: string }>`select transport, app_token_enc, installed_by from workspaces where team_id = ${team.teamId}`.execute(h.daemon.db.kysely);
      expect(rows).toEqual([{ transport: 'http', app_token_enc: null, installed_by: team.adminUserId }]);
      await until(async () => (await h.daemon.workspaces.list()).some((w) => w.teamId === team.teamId && w.transport === 'http'), 10_000, 'listed as http');
    } finally {
      await h.stop();
    }
  });

  it('marks the state cookie Secure and sends HSTS when FLOTILLA_PUBLIC_URL is https', async () => {
    const h = await startHarness({ env: (slack) => oauthEnv(appWith(slack), { FLOTILLA_PUBLIC_URL: 'https://flotilla.example.com' }) });
    try {
      const page = await newBrowser().get(`${h.daemon.publicUrl!}/slack/install`);
      expect(page.headers.getSetCookie()[0]).toMatch(/; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
      expect(page.headers.get('strict-transport-security')).toContain('max-age=');
      expect(new URL(authorizeLink(page.body)).searchParams.get('redirect_uri')).toBe('https://flotilla.example.com/slack/oauth_redirect');
    } finally {
      await h.stop();
    }
  });

  it('opens no public listener when FLOTILLA_PUBLIC_ADDR is unset', async () => {
    const h = await startHarness({ env: (slack) => {
      const { FLOTILLA_PUBLIC_ADDR: _unset, ...env } = oauthEnv(appWith(slack));
      return env;
    } });
    try {
      expect(h.daemon.publicUrl).toBeUndefined();
      expect(h.logs.some((line) => line.includes('public listener up'))).toBe(false);
    } finally {
      await h.stop();
    }
  });
});
