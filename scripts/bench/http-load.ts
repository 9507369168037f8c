/**
 * Open-loop mention load over HTTP, run INSIDE the emulator's process: it plays Slack's Events API
 * delivery. Each mention is an `event_callback` carrying an `app_mention`, signed as Slack signs
 * (`X-Slack-Signature` = v0= HMAC-SHA256 of `v0:<timestamp>:<body>` with the app's signing secret,
 * `X-Slack-Request-Timestamp`), POSTed to the contender's request URL. Times are taken where Slack
 * would take them: request written → response read (ack latency), request written → the matching
 * `chat.postMessage` recorded by the emulator (reply latency).
 *
 * Each mention goes to a channel of its own (created just before), so a reply is matched to its
 * mention by channel alone: 0 replies = missing, more than 1 = duplicate. Teams are drawn at random
 * from a seeded generator (the same sequence for every contender), and mentions are sent on
 * schedule (t0 + i/R) whatever the answers do.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { SlackEmulator } from '../../src/emulator/index.js';
import type { EmulatedWorkspace } from '../../src/emulator/types.js';
import { summarize, type LatencySummary } from './stats.js';

export interface HttpLoadOptions {
  /** The contender's request URL (`…/slack/events`). */
  readonly url: string;
  readonly signingSecret: string;
  /** Mentions per second. */
  readonly rate: number;
  /** How many mentions in all. */
  readonly count: number;
  /** After the last mention, how long to wait for stragglers. */
  readonly drainMs: number;
  /** An ack later than this (or none, or not a 200) is lost. Slack's limit is 3 s. */
  readonly ackLostMs: number;
  /** Seed of the team sequence. */
  readonly seed: number;
}

export interface HttpLoadResult {
  readonly rate: number;
  readonly sent: number;
  /** Mentions per second actually sent (lower than `rate` when the emulator itself is the bottleneck). */
  readonly sentRate: number;
  readonly ack: LatencySummary;
  readonly reply: LatencySummary;
  /** No response, a response that was not a 200, or one later than `ackLostMs`. */
  readonly lostAcks: number;
  readonly missingReplies: number;
  readonly duplicateReplies: number;
  /** Wall time from the first mention to the last reply (or the drain end). */
  readonly elapsedMs: number;
  /** CPU of the emulator's process while sending (% of one core): near 100 means the emulator limits the rate. */
  readonly emulatorCpuPct: number;
}

interface Mention {
  readonly sentAt: number;
  replyAt: number | null;
  replies: number;
}

/** Slack's many delivery connections, kept alive: enough that queueing here is not what is measured. */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

/** mulberry32: a small seeded generator, so every contender is sent the same teams in the same order. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The headers Slack sends with a signed request. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

let tsCounter = 0;

/** An `event_callback` as Slack delivers it for a mention of the bot in `channel`. */
function mentionCallback(team: EmulatedWorkspace, channel: string): string {
  const now = Date.now();
  const ts = `${Math.floor(now / 1000)}.${String(tsCounter++ % 1_000_000).padStart(6, '0')}`;
  return JSON.stringify({
    token: 'bench-verification-token',
    team_id: team.teamId,
    api_app_id: team.appId,
    event: {
      type: 'app_mention', user: team.userId, text: `<@${team.botUserId}> ping`, ts, channel, event_ts: ts, team: team.teamId,
    },
    type: 'event_callback',
    event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
    event_time: Math.floor(now / 1000),
    authorizations: [{ enterprise_id: null, team_id: team.teamId, user_id: team.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${randomBytes(12).toString('base64url')}`,
  });
}

/** Runs one load step against `url` and resolves with its latencies and losses. */
export async function runHttpLoad(slack: SlackEmulator, teams: readonly EmulatedWorkspace[], options: HttpLoadOptions): Promise<HttpLoadResult> {
  if (teams.length === 0) throw new Error('no workspaces: call setupShared first');
  const random = seeded(options.seed);
  const byChannel = new Map<string, Mention>();
  const ackLatencies: number[] = [];
  let lostAcks = 0;
  let pendingAcks = 0;
  let duplicates = 0;
  let replies = 0;
  const offPosted = slack.on('posted', (message) => {
    const mention = byChannel.get(message.channel);
    if (mention === undefined) return;
    const now = performance.now();
    mention.replies += 1;
    if (mention.replies > 1) duplicates += 1;
    else { mention.replyAt = now; replies += 1; }
  });
  const send = (): void => {
    const team = teams[Math.floor(random() * teams.length)] as EmulatedWorkspace;
    const { channelId } = slack.createChannel(team.teamId);
    const body = mentionCallback(team, channelId);
    const timestamp = Math.floor(Date.now() / 1000);
    const sentAt = performance.now();
    byChannel.set(channelId, { sentAt, replyAt: null, replies: 0 });
    pendingAcks += 1;
    let isSettled = false;
    const settle = (ok: boolean): void => {
      if (isSettled) return;
      isSettled = true;
      pendingAcks -= 1;
      const ms = performance.now() - sentAt;
      if (ok && ms <= options.ackLostMs) ackLatencies.push(ms);
      else lostAcks += 1;
    };
    const req = request(options.url, {
      method: 'POST', agent,
      headers: {
        'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': slackSignature(options.signingSecret, timestamp, body),
      },
    }, (res) => {
      res.resume();
      res.on('end', () => settle(res.statusCode === 200));
      res.on('error', () => settle(false));
    });
    req.setTimeout(options.ackLostMs + options.drainMs, () => req.destroy());
    req.on('error', () => settle(false));
    req.end(body);
  };
  const startedAt = performance.now();
  const cpu0 = process.cpuUsage();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(options.count, Math.floor(((performance.now() - startedAt) * options.rate) / 1000) + 1);
      while (sent < due) {
        send();
        sent += 1;
      }
      if (sent < options.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const sendEndedAt = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const drainUntil = sendEndedAt + options.drainMs;
  while (performance.now() < drainUntil && (replies < sent || pendingAcks > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // A short grace to catch duplicates that trail the first reply.
  await new Promise((resolve) => setTimeout(resolve, 100));
  offPosted();
  const replyLatencies: number[] = [];
  let lastReplyAt = sendEndedAt;
  for (const mention of byChannel.values()) {
    if (mention.replyAt === null) continue;
    replyLatencies.push(mention.replyAt - mention.sentAt);
    lastReplyAt = Math.max(lastReplyAt, mention.replyAt);
  }
  const sendSeconds = (sendEndedAt - startedAt) / 1000;
  return {
    rate: options.rate,
    sent,
    sentRate: Math.round(sent > 1 && sendSeconds > 0 ? (sent - 1) / sendSeconds : sent),
    ack: summarize(ackLatencies),
    reply: summarize(replyLatencies),
    lostAcks: lostAcks + pendingAcks,
    missingReplies: sent - replies,
    duplicateReplies: duplicates,
    elapsedMs: Math.round(lastReplyAt - startedAt),
    emulatorCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, sendEndedAt - startedAt)) * 100),
  };
}
