import { withTimeout } from '../lib/abort.js';
import { errorMessage, InvalidInputError, NotFoundError, SlackCallError, TemporarilyUnavailableError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { FleetChanges as FleetRowChanges, FleetRow, InstanceRecord } from '../db/fleet-repository.js';
import type { WorkspaceRepository } from '../db/workspace-repository.js';
import type { Supervisor } from '../fleet/supervisor.js';
import type { RecentEvent, RestartRecord, WorkerStatus } from '../fleet/worker.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { ConnectionSpec, TransportKind } from '../slack/types.js';
import type { SlackWeb } from '../slack/web-client.js';
import type { InstanceView, WorkspaceView } from './api-types.js';
import type { FleetChanges } from './fleet-poller.js';
import { instanceViews, mergeFleet } from './fleet-view.js';
import { importRows, type IdentifiedWorkspace, type ImportOutcome, type ImportRowInput } from './workspace-import.js';

export interface AddWorkspaceInput {
  readonly botToken: string;
  readonly appToken?: string | undefined;
  readonly transport?: TransportKind | undefined;
}

/** The whole fleet as the database knows it (several instances on one database). */
export interface FleetReader {
  workspaces(): Promise<FleetRow[]>;
  /** What changed after `cursor` (from an earlier call; null: the last few seconds), by the database clock. */
  changedSince(cursor: string | null): Promise<FleetRowChanges>;
  instances(): Promise<InstanceRecord[]>;
}

/** How this instance takes its part of the fleet. */
export interface FleetLink {
  readonly instanceId: string;
  readonly reader: FleetReader;
  /** Claims and starts what changed now (a workspace was added or removed): a lease tick, then a reconcile. */
  refresh(): Promise<void>;
}

/** What operators do to the fleet; the admin API and tests call this, never the workers directly. */
export class WorkspaceService {
  constructor(
    private readonly repo: WorkspaceRepository,
    private readonly supervisor: Supervisor,
    private readonly web: SlackWeb,
    private readonly logger: Logger,
    /** Where operator removals are reported (metrics; Slack calls are counted by `web`). */
    private readonly events?: SafeEmitter<FleetEvents>,
    /** The fleet beyond this instance; without it, this instance is the fleet. */
    private readonly fleet?: FleetLink,
  ) {}

  /**
   * Validates the bot token with `auth.test`, stores the workspace (tokens
   * encrypted) and starts it at once. Resolves to the team id. Rejects with
   * InvalidInputError (bad tokens or flags) or SlackCallError (Slack said no).
   */
  async add(input: AddWorkspaceInput): Promise<string> {
    const identified = await this.#identify(input);
    await this.#store(identified);
    this.logger.info({ team_id: identified.teamId, transport: identified.connection.transport }, 'workspace added');
    await this.#refresh();
    return identified.teamId;
  }

  /**
   * Many workspaces in one call (`flotilla workspace add --from`): each row
   * validated as `add` does, at most IMPORT_CONCURRENCY `auth.test` calls at
   * once; rows refused for a bad token shape, Slack's answer, or a duplicate
   * in the batch; the others stored, then started together, paced as usual.
   * Resolves to one outcome per row, in the rows' order; never rejects for a
   * row (only when the database fails).
   */
  async importMany(rows: readonly ImportRowInput[]): Promise<ImportOutcome[]> {
    const outcomes = await importRows(rows, { identify: (input) => this.#identify(input), storeAll: (identified) => this.repo.upsertMany(identified) });
    const added = outcomes.filter((outcome) => 'teamId' in outcome).length;
    this.logger.info({ rows: rows.length, added, refused: rows.length - added }, 'workspaces imported');
    if (added > 0) await this.#refresh();
    return outcomes;
  }

  /** Checks the input's shape, then asks Slack whose token it is. Rejects with InvalidInputError or SlackCallError. */
  async #identify(input: AddWorkspaceInput): Promise<IdentifiedWorkspace> {
    const connection = connectionOf(input);
    let identity: { team_id?: string; team?: string; user_id?: string; bot_id?: string; app_id?: string };
    try {
      identity = await this.web.caller(input.botToken).call('auth.test');
    } catch (error) {
      const failure = classifySlackError(error);
      throw new SlackCallError('auth.test', failure.slackError, { cause: errorMessage(error) });
    }
    if (!identity.team_id || !identity.user_id) throw new SlackCallError('auth.test', 'no team or user in the answer');
    return {
      teamId: identity.team_id, teamName: identity.team ?? identity.team_id, connection, botToken: input.botToken,
      appId: identity.app_id ?? null, botUserId: identity.user_id, botId: identity.bot_id ?? null,
    };
  }

  async #store(identified: IdentifiedWorkspace): Promise<void> {
    await this.repo.upsert(identified);
  }

  /**
   * Every workspace of the fleet, whichever instance runs it (`owner`): this
   * instance's workers as they are, the others' as their owners published
   * them. With the database unreachable, this instance's workers alone.
   */
  async list(): Promise<WorkspaceView[]> {
    const local = this.supervisor.statuses();
    if (!this.fleet) return local;
    try {
      return mergeFleet(await bounded(this.fleet.reader.workspaces()), local);
    } catch (error) {
      this.logger.warn({ error: errorMessage(error) }, 'cannot read the fleet from the database: listing this instance\'s workspaces only');
      return local;
    }
  }

  /**
   * The fleet's changes for the live stream, or undefined without a fleet
   * beyond this instance (then its own events say everything).
   */
  get fleetChanges(): ((cursor: string | null) => Promise<FleetChanges>) | undefined {
    return this.fleet ? (cursor) => this.changedSince(cursor) : undefined;
  }

  /**
   * The rows of `list()` that changed after `cursor` (see FleetReader), and
   * the teams removed meanwhile. Rejects when the database cannot be read
   * (within a few seconds: a cut link hangs) or there is no fleet link.
   */
  async changedSince(cursor: string | null): Promise<FleetChanges> {
    if (!this.fleet) throw new Error('no fleet beyond this instance');
    const changes = await bounded(this.fleet.reader.changedSince(cursor));
    const local = changes.rows.flatMap((row) => this.statusOf(row.teamId) ?? []);
    return { rows: mergeFleet(changes.rows, local), removed: changes.removed, cursor: changes.cursor };
  }

  /** The status of a workspace running on this instance, or undefined: cheap, for the live stream. */
  statusOf(teamId: string): WorkerStatus | undefined {
    return this.supervisor.worker(teamId)?.status();
  }

  /**
   * One workspace's status and, when it runs here, its recent inbound events
   * (types only, no message text) and its last restarts; run by another
   * instance, its published status and neither. NotFoundError if no such
   * workspace is enabled.
   */
  async get(teamId: string): Promise<WorkspaceView & { readonly recentEvents: readonly RecentEvent[]; readonly restartHistory: readonly RestartRecord[] }> {
    const worker = this.supervisor.worker(teamId);
    if (worker) return { ...worker.status(), recentEvents: worker.recentEvents, restartHistory: worker.restartHistory };
    const elsewhere = this.fleet ? (await this.list()).find((w) => w.teamId === teamId) : undefined;
    if (!elsewhere) throw new NotFoundError(`no workspace ${teamId} is running${this.fleet ? '' : ' here'}`);
    return { ...elsewhere, recentEvents: [], restartHistory: [] };
  }

  /** The instances sharing this database, with the connections each holds. */
  async instances(): Promise<InstanceView[]> {
    if (!this.fleet) return [];
    try {
      return instanceViews(await bounded(this.fleet.reader.instances()), this.fleet.instanceId);
    } catch (error) {
      throw new TemporarilyUnavailableError('database', { cause: error });
    }
  }

  /**
   * Restarts one team's connection, or all, wherever it runs: the request is
   * written to the row, whose NOTIFY reaches the owning instance; workers
   * running here restart at once. Resolves to how many workspaces were asked
   * to restart. NotFoundError for an unknown team.
   */
  async restart(teamId: string | 'all'): Promise<number> {
    if (teamId !== 'all' && !(await this.repo.get(teamId))) throw new NotFoundError(`no workspace ${teamId}`);
    const requested = await this.repo.requestRestart(teamId);
    const here = this.supervisor.restart(teamId);
    return this.fleet ? requested : here;
  }

  /** Removes a workspace (optionally revoking its bot token first) and stops it. */
  async remove(teamId: string, options: { revoke: boolean; actor: string }): Promise<void> {
    const record = await this.repo.get(teamId);
    if (!record) throw new NotFoundError(`no workspace ${teamId}`);
    if (options.revoke) {
      try {
        await this.web.caller(record.botToken).call('auth.revoke');
      } catch (error) {
        const failure = classifySlackError(error);
        // A token that is already dead is as revoked as it gets.
        if (failure.kind !== 'dead') throw new SlackCallError('auth.revoke', failure.slackError);
      }
    }
    const reason = options.revoke ? 'removed_and_revoked' : 'removed';
    await this.repo.remove(teamId, { reason, actor: options.actor });
    this.events?.emit('workspace:removed', teamId, reason);
    this.logger.info({ team_id: teamId, reason, actor: options.actor }, 'workspace removed by an operator');
    await this.#refresh();
  }

  #refresh(): Promise<void> {
    return this.fleet ? this.fleet.refresh() : this.supervisor.reconcile();
  }
}

/** How long an operator's read of the fleet waits for the database before answering without it. */
const FLEET_READ_MS = 5_000;

/** `read`, or a rejection once the database has kept the caller waiting too long (a cut link hangs). */
async function bounded<T>(read: Promise<T>): Promise<T> {
  const late = Symbol('late');
  const result = await withTimeout(read, FLEET_READ_MS, late);
  if (result === late) throw new Error(`the database did not answer within ${FLEET_READ_MS} ms`);
  return result as T;
}

function connectionOf(input: AddWorkspaceInput): ConnectionSpec {
  if (!/^xox[bp]-/.test(input.botToken)) throw new InvalidInputError('the bot token must start with xoxb- (or xoxp- for a legacy RTM bot)');
  const transport = input.transport ?? (input.appToken ? 'socket-mode' : undefined);
  if (transport === 'rtm') return { transport: 'rtm' };
  if (transport === 'http') return { transport: 'http' };
  if (transport !== 'socket-mode') throw new InvalidInputError('Socket Mode needs an app-level token (--app-token xapp-…); use --transport rtm for a classic RTM bot');
  if (!input.appToken || !input.appToken.startsWith('xapp-')) throw new InvalidInputError('the app token must start with xapp-');
  return { transport: 'socket-mode', appToken: input.appToken };
}
