/**
 * The install flow's pages: small, static HTML, no script (the public listener's
 * CSP forbids it), every given string escaped. None carries a secret: the
 * authorize URL on the install page holds a `state` meant for this browser only.
 */

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}
a.add{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;background:#4a154b;color:#fff;text-decoration:none;font-weight:600}
.note{color:#616061;font-size:.9rem}</style></head>
<body>${body}</body></html>
`;
}

/** The page at `/slack/install`: one "Add to Slack" link to Slack's authorize URL. */
export function installPage(authorizeUrl: string): string {
  return page('Add flotilla to Slack', `<h1>Add flotilla to your Slack workspace</h1>
<p>flotilla keeps your team's tasks, daily plans and leave in Slack. Slack will ask you to choose a workspace and to allow the bot in.</p>
<p><a class="add" href="${escapeHtml(authorizeUrl)}">Add to Slack</a></p>
<p class="note">The link works once, in this browser, for ten minutes.</p>`);
}

/** After a good install (or reinstall). */
export function installedPage(teamName: string): string {
  return page('Installed', `<h1>flotilla is installed in ${escapeHtml(teamName)}</h1>
<p>The bot is connecting now. Mention it in a channel (<code>@flotilla help</code>) or send it a direct message to start.</p>`);
}

/** The user pressed Cancel on Slack's consent screen. */
export function cancelledPage(): string {
  return page('Install cancelled', `<h1>Install cancelled</h1>
<p>Nothing was installed. <a href="install">Start again</a> whenever you like.</p>`);
}

/** Why an install was refused, as the user should read it. */
export type RefusalReason = 'no-cookie' | 'unknown' | 'used' | 'expired' | 'malformed' | 'slack-error' | 'code-refused' | 'store-failed';

const REFUSALS: Readonly<Record<RefusalReason, { readonly title: string; readonly text: string }>> = {
  'no-cookie': { title: 'Install link not from this browser', text: 'This install was not started in this browser (or its cookie is gone). Start again from the install page, in the same browser.' },
  unknown: { title: 'Install link not recognised', text: 'This install link is not one we issued. Start again from the install page.' },
  used: { title: 'Install link already used', text: 'This install link has been used already; each one works once. Start again from the install page.' },
  expired: { title: 'Install link expired', text: 'This install link is older than ten minutes. Start again from the install page.' },
  malformed: { title: 'Incomplete install link', text: 'The link back from Slack is missing what it needs. Start again from the install page.' },
  'slack-error': { title: 'Slack reported an error', text: 'Slack did not complete the install.' },
  'code-refused': { title: 'Slack refused the install', text: 'Slack did not accept the install code, so nothing was installed. Start again from the install page; if it keeps happening, the app\'s client id, secret or redirect URL may be misconfigured.' },
  'store-failed': { title: 'Install could not be saved', text: 'Slack approved the install, but it could not be saved just now. Start again from the install page in a minute.' },
};

/** A refusal page; `detail` (a Slack error code) is shown escaped. */
export function refusedPage(reason: RefusalReason, detail?: string): string {
  const { title, text } = REFUSALS[reason];
  const extra = detail === undefined ? '' : ` <span class="note">(${escapeHtml(detail)})</span>`;
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}${extra}</p>
<p><a href="install">Back to the install page</a></p>`);
}

/** Too many requests from one address. */
export function tooManyPage(): string {
  return page('Too many requests', '<h1>Too many requests</h1><p>Please wait a minute and try again.</p>');
}
