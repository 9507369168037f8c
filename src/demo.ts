import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AdminClient, resolveAdminTarget } from './admin/client.js';
import { formatWorkspaces } from './cli/format.js';
import { loadConfig } from './config.js';
import { installCrashGuards } from './crash-guards.js';
import { Daemon } from './daemon.js';
import { SlackEmulator, type EmulatedWorkspace, type PostedMessage } from './emulator/index.js';
import { errorMessage } from './lib/errors.js';
import { createLogger, redactSecrets } from './lib/logger.js';

export interface DemoOptions {
  readonly version: string;
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
}

interface Seat {
  readonly team: EmulatedWorkspace;
  readonly transport: 'socket-mode' | 'rtm';
  /** The bot's DM with alice and with admin (the IMs its own DMs land in). */
  dms?: { readonly alice: string; readonly admin: string };
}

/** A message with buttons, so `/click <label>` can press one. */
interface Clickable {
  readonly seat: Seat;
  readonly channel: string;
  readonly ts: string;
  readonly buttons: ReadonlyArray<{ readonly label: string; readonly actionId: string }>;
}

const HELP = [
  'Type as a Slack user would, in #general:',
  '  @flotilla help      mention the bot (try: @flotilla ping, @flotilla task add Buy milk)',
  '  /flotilla help      the slash command (Socket Mode workspaces)',
  '  /dm  /channel       talk to the bot in a direct message / back to #general',
  '  /team               switch to the other workspace',
  '  /admin              type as the workspace admin (again: back to alice)',
  '  @flotilla leave tomorrow   ask for leave; the approver\'s DM is shown as [DM to admin], with its buttons',
  '  /click Approve      press a button of the last message that has it (as whoever you are now)',
  '  /status             the fleet as operators see it (flotilla workspace list)',
  '  /help  /quit        this help / stop the demo (or Ctrl-D)',
].join('\n');

/**
 * `flotilla demo`: the built-in Slack emulator, the daemon on a throw-away
 * embedded database, two sample workspaces (one Socket Mode, one RTM) added
 * through the admin API, and a terminal chat in which the user types as a
 * Slack user and sees the bot's replies. The environment is ignored on
 * purpose: the demo never touches a real database or Slack. Resolves to the
 * exit code once the input ends or `/quit` is typed; removes its temp dir.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const write = (line: string): void => void output.write(`${line}\n`);
  write('Starting the flotilla demo: Slack emulator, daemon on a throw-away embedded database, two workspaces…');
  const dataDir = await mkdtemp(join(tmpdir(), 'flotilla-demo-'));
  const logPath = join(dataDir, 'flotilla.log');
  const logStream = createWriteStream(logPath);
  const slack = await SlackEmulator.start();
  let daemon: Daemon | undefined;
  try {
    const config = loadConfig({ FLOTILLA_DATA_DIR: dataDir, SLACK_API_URL: slack.apiUrl, FLOTILLA_ADMIN_ADDR: '127.0.0.1:0', LOG_LEVEL: 'debug' });
    const logger = createLogger({ level: 'debug', destination: logStream });
    installCrashGuards(logger);
    daemon = await Daemon.start({ config, logger, version: options.version });
    const admin = new AdminClient(await resolveAdminTarget({ dataDir, adminUrl: daemon.adminUrl, isAdminUrlSet: true, adminToken: undefined }));
    const seats: Seat[] = [
      { team: slack.createWorkspace({ name: 'Acme' }), transport: 'socket-mode' },
      { team: slack.createWorkspace({ name: 'Globex' }), transport: 'rtm' },
    ];
    for (const { team, transport } of seats) {
      await admin.addWorkspace({ botToken: team.botToken, transport, ...(transport === 'socket-mode' ? { appToken: team.appToken } : {}) });
    }
    await waitConnected(admin, seats.length);
    for (const seat of seats) seat.dms = { alice: await openIm(slack, seat.team, seat.team.userId), admin: await openIm(slack, seat.team, seat.team.adminUserId) };
    const banner = [
      `Ready: ${seats.map((s) => `${s.team.teamName} (${s.team.teamId}, ${s.transport})`).join(' and ')} are connected.`,
      `Daemon log: ${logPath}`,
      `Admin API: ${daemon.adminUrl}; in another terminal: FLOTILLA_DATA_DIR=${dataDir} flotilla workspace list`,
      HELP,
    ].join('\n');
    await chat({ slack, admin, seats, input, output, banner });
    return 0;
  } catch (error) {
    write(`flotilla demo: ${redactSecrets(errorMessage(error))} (log: ${logPath})`);
    return 1;
  } finally {
    await daemon?.stop();
    await slack.stop();
    await new Promise<void>((resolve) => logStream.end(resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function waitConnected(admin: AdminClient, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const workspaces = await admin.listWorkspaces();
    if (workspaces.length === count && workspaces.every((w) => w.state === 'connected')) return;
    if (Date.now() > deadline) throw new Error(`workspaces did not connect: ${workspaces.map((w) => `${w.teamName} ${w.state} ${w.lastError ?? ''}`).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ChatDeps {
  readonly slack: SlackEmulator;
  readonly admin: AdminClient;
  readonly seats: Seat[];
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Printed in one write once the session takes signals: whoever reads "Ready" may send SIGTERM at once. */
  readonly banner: string;
}

/** The terminal session; resolves when the input ends or the user quits. */
function chat({ slack, admin, seats, input, output, banner }: ChatDeps): Promise<void> {
  const isTty = (output as { isTTY?: boolean }).isTTY === true && (input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({ input, output, terminal: isTty });
  let seat = seats[0]!;
  let isDm = false;
  let isAdmin = false;
  const prompt = (): void => {
    if (!isTty) return;
    rl.setPrompt(`${isAdmin ? 'admin' : 'alice'}@${seat.team.teamName} ${isDm ? '(DM with flotilla)' : '#general'}> `);
    rl.prompt(true);
  };
  const say = (line: string): void => {
    output.write(isTty ? `\r\x1b[K${line}\n` : `${line}\n`);
    prompt();
  };
  const me = (): 'alice' | 'admin' => (isAdmin ? 'admin' : 'alice');
  const channel = (): string => (isDm ? seat.dms![me()] : seat.team.generalChannelId);
  const user = (): string => (isAdmin ? seat.team.adminUserId : seat.team.userId);
  const clickables: Clickable[] = [];

  const unsubscribe = slack.on('posted', (message: PostedMessage) => {
    const from = seats.find((s) => s.team.teamId === message.teamId);
    if (!from) return;
    const where = from === seat ? '' : `[${from.team.teamName}] `;
    const dmOf = message.channel === from.dms?.alice ? 'alice' : message.channel === from.dms?.admin ? 'admin' : undefined;
    const isHere = from === seat && isDm && dmOf === me();
    const only = message.method === 'chat.postEphemeral' || message.responseType === 'ephemeral' ? ' (only visible to you)' : '';
    const to = dmOf && !isHere && !only ? `[DM to ${dmOf}] ` : '';
    const updated = message.method === 'chat.update' ? ' (updated its message)' : '';
    const buttons = buttonsOf(message.blocks);
    if (buttons.length > 0) clickables.unshift({ seat: from, channel: message.channel, ts: message.ts, buttons });
    const shown = buttons.length > 0 ? `  ${buttons.map((b) => `[${b.label}]`).join(' ')}` : '';
    say(`${where}${to}flotilla${only}${updated}: ${plainText(message.text, from.team)}${shown}`);
  });
  const click = (label: string): void => {
    const wanted = label.trim().toLowerCase();
    const target = clickables.find((c) => c.seat === seat && c.buttons.some((b) => b.label.toLowerCase() === wanted));
    const button = target?.buttons.find((b) => b.label.toLowerCase() === wanted);
    if (!target || !button) return say(`(demo) no message in ${seat.team.teamName} has a [${label.trim()}] button.`);
    if (seat.transport !== 'socket-mode') return say('Buttons need Socket Mode; this workspace uses RTM. Type the command instead.');
    slack.clickButton(seat.team.teamId, { user: user(), channel: target.channel, ts: target.ts, actionId: button.actionId });
  };

  const commands: Record<string, () => void | Promise<void>> = {
    '/help': () => say(HELP),
    '/dm': () => { isDm = true; say('Now in a direct message with flotilla (no mention needed).'); },
    '/channel': () => { isDm = false; say('Back in #general.'); },
    '/admin': () => { isAdmin = !isAdmin; say(`You are now ${isAdmin ? 'admin (a workspace admin)' : 'alice'}.`); },
    '/team': () => {
      seat = seats[(seats.indexOf(seat) + 1) % seats.length]!;
      say(`Now in ${seat.team.teamName} (${seat.transport}).`);
    },
    '/status': async () => say(formatWorkspaces(await admin.listWorkspaces())),
    '/quit': () => rl.close(),
    '/exit': () => rl.close(),
  };

  rl.on('line', (line) => {
    const text = line.trim();
    if (text === '') return prompt();
    const command = commands[text.toLowerCase()];
    const run = async (): Promise<void> => {
      if (command) return command();
      if (/^\/click\s/i.test(text)) return click(text.replace(/^\/click\s+/i, ''));
      if (/^\/flotilla\b/i.test(text)) {
        if (seat.transport !== 'socket-mode') return say(`Slash commands arrive over Socket Mode; ${seat.team.teamName} uses RTM. Try /team.`);
        slack.sendSlashCommand(seat.team.teamId, { user: user(), channel: channel(), text: text.replace(/^\/flotilla\s*/i, '') });
        return;
      }
      if (text.startsWith('/')) return say(`Unknown demo command ${text.split(/\s/)[0]}; /help lists them.`);
      slack.postUserMessage(seat.team.teamId, { user: user(), channel: channel(), text: text.replace(/@flotilla\b/gi, `<@${seat.team.botUserId}>`) });
      prompt();
    };
    run().catch((error: unknown) => say(`(demo) ${redactSecrets(errorMessage(error))}`));
  });
  // Ctrl-C at the prompt, or SIGINT/SIGTERM from outside: end the session, so the demo cleans up after itself.
  const quit = (): void => rl.close();
  rl.on('SIGINT', quit);
  // Kept until the process exits: a second signal during clean-up must not kill it half-way.
  process.on('SIGINT', quit);
  process.on('SIGTERM', quit);
  output.write(`${banner}\n`);
  prompt();
  return new Promise((resolve) => rl.once('close', () => {
    unsubscribe();
    resolve();
  }));
}

/** The labels and action ids of a message's buttons (Block Kit `actions` blocks). */
function buttonsOf(blocks: readonly unknown[] | undefined): Array<{ label: string; actionId: string }> {
  const actions = (blocks ?? []) as Array<{ type?: string; elements?: Array<{ type?: string; action_id?: string; text?: { text?: string } }> }>;
  return actions.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button' && e.action_id).map((e) => ({ label: e.text?.text ?? e.action_id!, actionId: e.action_id! }));
}

/** The bot's IM with `userId`, as Slack's `conversations.open` answers (the channel its DMs to them land in). */
async function openIm(slack: SlackEmulator, team: EmulatedWorkspace, userId: string): Promise<string> {
  const response = await fetch(`${slack.apiUrl}conversations.open`, {
    method: 'POST', headers: { authorization: `Bearer ${team.botToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ users: userId }),
  });
  const answer = await response.json() as { channel?: { id?: string } };
  if (!answer.channel?.id) throw new Error('the emulator opened no DM');
  return answer.channel.id;
}

/** Slack's markup as a user sees it: `<@U…>` as a name, `<#C…|name>` and `<url|text>` as their labels. */
function plainText(text: string, team: EmulatedWorkspace): string {
  return text
    .replace(/<@([A-Z0-9]+)(?:\|[^>]*)?>/g, (_m, id: string) => `@${id === team.botUserId ? 'flotilla' : id === team.userId ? 'alice' : id === team.adminUserId ? 'admin' : id}`)
    .replace(/<#[A-Z0-9]+\|([^>]+)>/g, '#$1')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
