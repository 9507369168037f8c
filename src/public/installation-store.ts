import type { Installation, InstallationQuery, InstallationStore } from '@slack/oauth';
import type { WorkspaceRepository } from '../db/workspace-repository.js';
import type { ConnectionSpec } from '../slack/types.js';

/**
 * @slack/oauth's InstallationStore over our `workspaces` table: an install
 * becomes the same row an operator's `workspace add` makes (tokens sealed by
 * the repository), with `installed_by`. A reinstall of a known team updates
 * its tokens, names and transport in place; the team's own data (tasks,
 * plans, leave) lives in other tables and is untouched. The transport is
 * Socket Mode on the distributed app's token when one is configured, else `http`.
 */
export class WorkspaceInstallationStore implements InstallationStore {
  constructor(
    private readonly workspaces: WorkspaceRepository,
    private readonly appToken: string | undefined,
  ) {}

  /** Rejects (storing nothing) an org-wide install or one without a bot token. */
  async storeInstallation(installation: Installation): Promise<void> {
    const team = installation.team;
    const bot = installation.bot;
    if (installation.isEnterpriseInstall === true || team === undefined) throw new Error('org-wide installs are not supported: install into one workspace');
    if (bot === undefined) throw new Error('the install granted no bot token');
    const connection: ConnectionSpec = this.appToken === undefined ? { transport: 'http' } : { transport: 'socket-mode', appToken: this.appToken };
    await this.workspaces.upsert({
      teamId: team.id,
      teamName: team.name ?? team.id,
      connection,
      botToken: bot.token,
      appId: installation.appId ?? null,
      botUserId: bot.userId,
      botId: bot.id,
      installedBy: installation.user.id,
    });
  }

  /** The stored workspace as @slack/oauth describes an installation (bot part only). Rejects when there is none. */
  async fetchInstallation(query: InstallationQuery<boolean>): Promise<Installation<'v2', false>> {
    const record = query.teamId === undefined ? undefined : await this.workspaces.get(query.teamId);
    if (record === undefined) throw new Error('no such installation');
    return {
      team: { id: record.teamId, name: record.teamName },
      enterprise: undefined,
      user: { id: record.installedBy ?? '', token: undefined, scopes: undefined },
      bot: { token: record.botToken, userId: record.botUserId, id: record.botId ?? '', scopes: [] },
      ...(record.appId === null ? {} : { appId: record.appId }),
      tokenType: 'bot', isEnterpriseInstall: false, authVersion: 'v2',
    };
  }
}
