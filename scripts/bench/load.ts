/**
 * Open-loop mention load, run INSIDE the emulator's process so every time is taken where Slack
 * would take it: envelope written → ack read (ack latency), mention sent → matching
 * `chat.postMessage` received (reply latency).
 *
 * Each mention goes to a channel of its own (created just before), so a reply is matched to its
 * mention by channel alone: 0 replies = missing, more than 1 = duplicate. Mentions are spread
 * round robin over the workspaces and sent on schedule (t0 + i/R) whatever the replies do.
 */
import { performance } from 'node:perf_hooks';
import type { SlackEmulator } from '../../src/emulator/index.js';
import type { EmulatedWorkspace } from '../../src/emulator/types.js';
import { summarize, type LatencySummary } from './stats.js';

export interface LoadOptions {
  /** Mentions per second. */
  readonly rate: number;
  /** How many mentions in all. */
  readonly count: number;
  /** After the last mention, how long to wait for stragglers. */
  readonly drainMs: number;
  /** An ack later than this (or none) is lost. Slack's limit is 3 s. */
  readonly ackLostMs: number;
  /** Send to at most the first `teams` workspaces (default all). */
  readonly teams?: number;
}

export interface LoadResult {
  readonly rate: number;
  readonly sent: number;
  /** Mentions per second actually sent (lower than `rate` when the emulator itself is the bottleneck). */
  readonly sentRate: number;
  readonly envelopes: number;
  readonly ack: LatencySummary;
  readonly reply: LatencySummary;
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

/** Runs one load step against `teams` and resolves with its latencies and losses. */
export async function runLoad(slack: SlackEmulator, all: readonly EmulatedWorkspace[], options: LoadOptions): Promise<LoadResult> {
  const teams = all.slice(0, Math.max(1, Math.min(all.length, options.teams ?? all.length)));
  const byChannel = new Map<string, Mention>();
  const sentAtByEvent = new Map<string, number>();
  const ackLatencies: number[] = [];
  let duplicates = 0;
  let replies = 0;
  const offAck = slack.on('envelope:ack', (record) => {
    const sentAt = record.eventId === undefined ? undefined : sentAtByEvent.get(record.eventId);
    if (sentAt === undefined) return;
    sentAtByEvent.delete(record.eventId as string);
    ackLatencies.push(performance.now() - sentAt);
  });
  const offPosted = slack.on('posted', (message) => {
    const mention = byChannel.get(message.channel);
    if (mention === undefined) return;
    const now = performance.now();
    mention.replies += 1;
    if (mention.replies > 1) duplicates += 1;
    else { mention.replyAt = now; replies += 1; }
  });
  let envelopes = 0;
  const send = (index: number): void => {
    const team = teams[index % teams.length] as EmulatedWorkspace;
    const { channelId } = slack.createChannel(team.teamId);
    const sentAt = performance.now();
    byChannel.set(channelId, { sentAt, replyAt: null, replies: 0 });
    const { eventIds } = slack.postUserMessage(team.teamId, { user: team.userId, channel: channelId, text: `<@${team.botUserId}> ping` });
    for (const eventId of eventIds) sentAtByEvent.set(eventId, sentAt);
    envelopes += eventIds.length;
  };
  const startedAt = performance.now();
  const cpu0 = process.cpuUsage();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(options.count, Math.floor(((performance.now() - startedAt) * options.rate) / 1000) + 1);
      while (sent < due) send(sent++);
      if (sent < options.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  const sendEndedAt = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const drainUntil = sendEndedAt + options.drainMs;
  while (performance.now() < drainUntil && (replies < sent || sentAtByEvent.size > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  // A short grace to catch duplicates that trail the first reply.
  await new Promise((resolve) => setTimeout(resolve, 100));
  offAck();
  offPosted();
  const replyLatencies: number[] = [];
  let lastReplyAt = sendEndedAt;
  for (const mention of byChannel.values()) {
    if (mention.replyAt === null) continue;
    replyLatencies.push(mention.replyAt - mention.sentAt);
    lastReplyAt = Math.max(lastReplyAt, mention.replyAt);
  }
  const lateAcks = ackLatencies.filter((ms) => ms > options.ackLostMs).length;
  const sendSeconds = (sendEndedAt - startedAt) / 1000;
  return {
    rate: options.rate,
    sent,
    sentRate: Math.round(sent > 1 && sendSeconds > 0 ? (sent - 1) / sendSeconds : sent),
    envelopes,
    ack: summarize(ackLatencies),
    reply: summarize(replyLatencies),
    lostAcks: sentAtByEvent.size + lateAcks,
    missingReplies: sent - replies,
    duplicateReplies: duplicates,
    elapsedMs: Math.round(lastReplyAt - startedAt),
    emulatorCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / Math.max(1, sendEndedAt - startedAt)) * 100),
  };
}
