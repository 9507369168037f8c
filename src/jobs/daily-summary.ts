import type { LeaveRecord, LeaveStore } from '../db/leave-repository.js';
import type { SettingsStore, WorkspaceSettings } from '../db/settings-repository.js';
import type { SummaryClaim, SummaryStore } from '../db/summary-repository.js';
import { todayIn } from '../lib/calendar.js';
import type { Logger } from '../lib/logger.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { People } from '../slack/people.js';
import type { TeamZones } from '../slack/team-zone.js';
import type { Reply, SlackApi } from '../slack/types.js';
import { summaryDue } from './summary-schedule.js';
import { whoIsOutReply } from './who-is-out.js';

/** The `event_type` of the metadata every summary carries, so a summary posted before a crash can be found again. */
export const SUMMARY_EVENT_TYPE = 'flotilla_daily_summary';

export interface DailySummaryDeps {
  readonly settings: SettingsStore;
  readonly leave: LeaveStore;
  readonly summaries: SummaryStore;
  readonly people: People;
  readonly zones: TeamZones;
  /** The Web API with the workspace's bot token; undefined when the workspace is gone (no summary then). */
  readonly slackFor: (teamId: string) => Promise<SlackApi | undefined>;
  readonly now: () => Date;
  /** This instance's name, kept on each claim. */
  readonly instanceId: string;
  readonly logger: Logger;
  /** How often every workspace is checked; default 15 s (the summary goes out within that of its minute). */
  readonly intervalMs?: number;
  /** How long a claim without a posted ts is left to its claimer before another instance takes it over; default 60 s. */
  readonly staleClaimMs?: number;
}

const RETRY_FAILED_POST_MS = 5 * 60_000;
const NO_HOLIDAYS: ReadonlySet<string> = new Set();
const HISTORY_PAGES = 5;

/**
 * The daily "who is out" summary: every `intervalMs` (and once at start) each
 * workspace with a summary channel is checked with {@link summaryDue} over the
 * injected clock; a due summary is claimed in the database for (team, day),
 * posted with `chat.postMessage` (tagged with message metadata), and its ts
 * stored. One post per workspace per day, however many instances share the
 * database: only the claim holder posts; a claim left without a ts (its
 * holder died, maybe after posting) is taken over after `staleClaimMs`, and
 * the new holder first looks for the tagged message in the channel's history
 * before posting. Late leave changes for the day update the posted message
 * (`leaveChanged`). `start()` begins; `stop()` is idempotent and waits for a
 * check under way.
 */
export class DailySummaryJob {
  readonly #intervalMs: number;
  readonly #staleClaimMs: number;
  /** Teams whose summary of that day is known to be out (by anyone): no more claims today. */
  readonly #done = new Map<string, string>();
  /** Teams whose post failed, and when to try again. */
  readonly #retryAt = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #isStopped = false;

  constructor(private readonly deps: DailySummaryDeps) {
    this.#intervalMs = deps.intervalMs ?? 15_000;
    this.#staleClaimMs = deps.staleClaimMs ?? 60_000;
  }

  /** Checks at once, then every `intervalMs`. */
  start(): void {
    if (this.#timer || this.#isStopped) return;
    void this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#intervalMs).unref();
  }

  /** No more checks; resolves once a check under way has finished. */
  async stop(): Promise<void> {
    this.#isStopped = true;
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One check of every workspace (a check already under way is joined, not doubled). Never rejects. */
  tick(): Promise<void> {
    this.#running ??= this.#checkAll().finally(() => { this.#running = undefined; });
    return this.#running;
  }

  /**
   * Keeps today's posted summary true: when `request` covers the workspace's
   * today and today's summary was posted, the message is rebuilt and updated
   * (`chat.update`, same ts). Never rejects.
   */
  async leaveChanged(teamId: string, request: LeaveRecord, slack: SlackApi): Promise<void> {
    if (request.status === 'pending' || request.status === 'rejected') return; // neither shows in the summary (nor did before)
    try {
      const settings = await this.deps.settings.get(teamId);
      const zone = await this.deps.zones.zoneOf(teamId, settings.timeZone, slack);
      const day = todayIn({ now: this.deps.now(), timeZone: zone });
      if (request.from > day || request.to < day) return;
      const claim = await this.deps.summaries.get(teamId, day);
      if (!claim?.ts) return;
      const message = await this.#render(teamId, day, settings, slack);
      await slack.call('chat.update', { channel: claim.channelId, ts: claim.ts, text: message.text, blocks: message.blocks ?? [] });
      this.deps.logger.info({ team_id: teamId, day, leave: request.number }, 'daily summary updated');
    } catch (error) {
      this.deps.logger.warn({ team_id: teamId, err: error, slackError: classifySlackError(error).slackError }, 'could not update the daily summary');
    }
  }

  async #checkAll(): Promise<void> {
    if (this.#isStopped) return;
    try {
      for (const settings of await this.deps.settings.summaryTeams()) {
        if (this.#isStopped) return;
        await this.#checkTeam(settings).catch((error: unknown) =>
          this.deps.logger.warn({ team_id: settings.teamId, err: error }, 'daily summary check failed'));
      }
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'daily summary check failed (database?)');
    }
  }

  async #checkTeam(settings: WorkspaceSettings): Promise<void> {
    const { teamId } = settings;
    const slack = await this.deps.slackFor(teamId);
    if (!slack) return;
    const now = this.deps.now();
    const zone = await this.deps.zones.zoneOf(teamId, settings.timeZone, slack);
    const day = todayIn({ now, timeZone: zone });
    if (this.#done.get(teamId) === day || (this.#retryAt.get(teamId) ?? 0) > now.getTime()) return;
    if (summaryDue(now, zone, settings, NO_HOLIDAYS).kind !== 'due') return; // the cheap checks first: no query
    const holidays = await this.deps.settings.holidays(teamId, { from: day, to: day });
    if (summaryDue(now, zone, settings, new Set(holidays.map((h) => h.day))).kind !== 'due') return;
    const claimed = await this.deps.summaries.claim({
      teamId, day, channelId: settings.summaryChannel!, instance: this.deps.instanceId, at: now,
      staleBefore: new Date(now.getTime() - this.#staleClaimMs),
    });
    if (claimed.kind === 'held') {
      if (claimed.claim.ts) this.#done.set(teamId, day);
      return;
    }
    if (claimed.kind === 'taken_over' && (await this.#adoptEarlierPost(claimed.claim, slack))) return;
    await this.#post(claimed.claim, settings, slack);
  }

  /** After a takeover: the summary its earlier claimer posted but never stored, found by its metadata; stored when found. */
  async #adoptEarlierPost(claim: SummaryClaim, slack: SlackApi): Promise<boolean> {
    let cursor: string | undefined;
    for (let page = 0; page < HISTORY_PAGES; page++) {
      const history = await slack.call<{ messages?: HistoryMessage[]; response_metadata?: { next_cursor?: string } }>('conversations.history', {
        channel: claim.channelId, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}),
      });
      const found = (history.messages ?? []).find((m) => isSummaryOf(m, claim.teamId, claim.day));
      if (found?.ts) {
        await this.deps.summaries.recordPosted(claim.teamId, claim.day, { ts: found.ts, channelId: claim.channelId, at: this.deps.now() });
        this.#done.set(claim.teamId, claim.day);
        this.deps.logger.info({ team_id: claim.teamId, day: claim.day, ts: found.ts }, 'daily summary was already posted; stored its ts');
        return true;
      }
      cursor = history.response_metadata?.next_cursor || undefined;
      if (!cursor) return false;
    }
    return false;
  }

  async #post(claim: SummaryClaim, settings: WorkspaceSettings, slack: SlackApi): Promise<void> {
    const message = await this.#render(claim.teamId, claim.day, settings, slack);
    let ts: string;
    try {
      const posted = await slack.call<{ ts?: string; channel?: string }>('chat.postMessage', {
        channel: claim.channelId, text: message.text, blocks: message.blocks ?? [],
        metadata: { event_type: SUMMARY_EVENT_TYPE, event_payload: { team_id: claim.teamId, day: claim.day } },
      });
      ts = posted.ts ?? '';
    } catch (error) {
      // Left claimed without a ts: after staleClaimMs an instance looks for it in the history, then posts.
      this.#retryAt.set(claim.teamId, this.deps.now().getTime() + RETRY_FAILED_POST_MS);
      this.deps.logger.error({ team_id: claim.teamId, day: claim.day, channel: claim.channelId, slackError: classifySlackError(error).slackError }, 'could not post the daily summary');
      return;
    }
    this.#done.set(claim.teamId, claim.day);
    await this.deps.summaries.recordPosted(claim.teamId, claim.day, { ts, channelId: claim.channelId, at: this.deps.now() });
    this.deps.logger.info({ team_id: claim.teamId, day: claim.day, ts }, 'daily summary posted');
  }

  async #render(teamId: string, day: string, settings: WorkspaceSettings, slack: SlackApi): Promise<Reply> {
    const leave = await this.deps.leave.outOn(teamId, day);
    const people = await this.deps.people.getMany(teamId, leave.map((r) => r.userId), slack);
    const reply = whoIsOutReply(day, day, leave, (id) => people.get(id)?.name ?? `<@${id}>`);
    const note = `Daily at ${settings.summaryTime} on workdays · \`out <date>\` shows any day · \`leave\` to ask for time off`;
    return { text: reply.text, blocks: [...(reply.blocks ?? []), { type: 'context', elements: [{ type: 'mrkdwn', text: note }] }] };
  }
}

interface HistoryMessage {
  readonly ts?: string;
  readonly metadata?: { readonly event_type?: unknown; readonly event_payload?: { readonly team_id?: unknown; readonly day?: unknown } };
}

function isSummaryOf(message: HistoryMessage, teamId: string, day: string): boolean {
  const metadata = message.metadata;
  return metadata?.event_type === SUMMARY_EVENT_TYPE && metadata.event_payload?.team_id === teamId && metadata.event_payload.day === day;
}
