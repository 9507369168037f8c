import { errorMessage, InvalidInputError, NotFoundError, SlackCallError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { FleetEvents } from '../fleet/fleet-events.js';
import type { WorkspaceRepository } from '../db/workspace-repository.js';
import type { Supervisor } from '../fleet/supervisor.js';
import type { RecentEvent, RestartRecord, WorkerStatus } from '../fleet/worker.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { ConnectionSpec, TransportKind } from '../slack/types.js';
import type { SlackWeb } from '../slack/web-client.js';

export interface AddWorkspaceInput {
  readonly botToken: string;
  readonly appToken?: string | undefined;
  readonly transport?: TransportKind | undefined;
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
  ) {}

  /**
   * Validates the bot token with `auth.test`, stores the workspace (tokens
   * encrypted) and starts it at once. Resolves to the team id. Rejects with
   * InvalidInputError (bad tokens or flags) or SlackCallError (Slack said no).
   */
  async add(input: AddWorkspaceInput): Promise<string> {
    const connection = connectionOf(input);
    let identity: { team_id?: string; team?: string; user_id?: string; bot_id?: string; app_id?: string };
    try {
      identity = await this.web.caller(input.botToken).call('auth.test');
    } catch (error) {
      throw new SlackCallError('auth.test', classifySlackError(error).slackError, { cause: errorMessage(error) });
    }
    if (!identity.team_id || !identity.user_id) throw new SlackCallError('auth.test', 'no team or user in the answer');
    await this.repo.upsert({
      teamId: identity.team_id,
      teamName: identity.team ?? identity.team_id,
      connection,
      botToken: input.botToken,
      appId: identity.app_id ?? null,
      botUserId: identity.user_id,
      botId: identity.bot_id ?? null,
    });
    this.logger.info({ team_id: identity.team_id, transport: connection.transport }, 'workspace added');
    await this.supervisor.reconcile();
    return identity.team_id;
  }

  list(): WorkerStatus[] {
    return this.supervisor.statuses();
  }

  /** The status of a workspace running on this instance, or undefined: cheap, for the live stream. */
  statusOf(teamId: string): WorkerStatus | undefined {
    return this.supervisor.worker(teamId)?.status();
  }

  /**
   * One workspace's status, its recent inbound events (types only, no message
   * text) and its last restarts; NotFoundError if it is not running.
   */
  get(teamId: string): WorkerStatus & { readonly recentEvents: readonly RecentEvent[]; readonly restartHistory: readonly RestartRecord[] } {
    const worker = this.supervisor.worker(teamId);
    if (!worker) throw new NotFoundError(`no workspace ${teamId} is running here`);
    return { ...worker.status(), recentEvents: worker.recentEvents, restartHistory: worker.restartHistory };
  }

  /** Restarts one team's connection, or all; rejects with NotFoundError for an unknown team. */
  async restart(teamId: string | 'all'): Promise<number> {
    if (teamId !== 'all' && !(await this.repo.get(teamId))) throw new NotFoundError(`no workspace ${teamId}`);
    await this.repo.requestRestart(teamId);
    return this.supervisor.restart(teamId);
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
    await this.supervisor.reconcile();
  }
}

function connectionOf(input: AddWorkspaceInput): ConnectionSpec {
  if (!/^xox[bp]-/.test(input.botToken)) throw new InvalidInputError('the bot token must start with xoxb- (or xoxp- for a legacy RTM bot)');
  const transport = input.transport ?? (input.appToken ? 'socket-mode' : undefined);
  if (transport === 'rtm') return { transport: 'rtm' };
  if (transport !== 'socket-mode') throw new InvalidInputError('Socket Mode needs an app-level token (--app-token xapp-…); use --transport rtm for a classic RTM bot');
  if (!input.appToken || !input.appToken.startsWith('xapp-')) throw new InvalidInputError('the app token must start with xapp-');
  return { transport: 'socket-mode', appToken: input.appToken };
}
