import type { Config } from '../config.js';
import type { OAuthStateRepository } from '../db/oauth-state-store.js';
import type { WorkspaceRepository } from '../db/workspace-repository.js';
import type { FleetEvents } from '../fleet/fleet-events.js';
import { HttpInbox, type HttpMember } from '../fleet/http-inbox.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { eventRoutes } from './events.js';
import { installRoutes } from './install.js';
import { startPublicServer, type PublicRoutes, type PublicServer } from './server.js';

export interface PublicListenerOptions {
  readonly config: Pick<Config, 'publicAddr' | 'publicUrl' | 'oauth' | 'signingSecret' | 'slackScopes' | 'slackOrigin' | 'slackApiUrl' | 'slackAppToken'>;
  readonly workspaces: WorkspaceRepository;
  readonly states: OAuthStateRepository;
  /** The running worker of a team on this instance (the supervisor's lookup). */
  readonly workerOf: (teamId: string) => HttpMember | undefined;
  /** Starts an installed workspace at once (its lease, when it has a socket, then its worker). */
  readonly startInstalled: () => Promise<void>;
  /** Has the supervisor catch up with the table now (an HTTP event for a team this instance has not started yet). */
  readonly reconcile: () => Promise<void>;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
}

/**
 * The Slack-facing listener as configured: the install pages when the OAuth
 * credentials are set, `POST /slack/events` when the signing secret is, on
 * `FLOTILLA_PUBLIC_ADDR`. Resolves undefined when that is unset (nothing
 * listens). Rejects when it cannot listen.
 */
export async function startPublicListener(options: PublicListenerOptions): Promise<PublicServer | undefined> {
  const { config, logger } = options;
  if (!config.publicAddr || config.publicUrl === undefined) return undefined;
  const configuredUrl = config.publicUrl;
  let listener: PublicServer | undefined;
  // FLOTILLA_PUBLIC_ADDR with port 0 (tests): the URL is the one bound, known once it listens.
  const publicUrl = (): string => (listener !== undefined && new URL(configuredUrl).port === '0' ? listener.url : configuredUrl);
  const routes: PublicRoutes[] = [];
  if (config.oauth) {
    routes.push(installRoutes({
      oauth: config.oauth, scopes: config.slackScopes, slackOrigin: config.slackOrigin, slackApiUrl: config.slackApiUrl,
      publicUrl, appToken: config.slackAppToken, workspaces: options.workspaces, states: options.states,
      onInstalled: () => options.startInstalled(), logger,
    }));
  }
  if (config.signingSecret) {
    const inbox = new HttpInbox({
      workerOf: options.workerOf,
      isInstalled: async (teamId) => (await options.workspaces.get(teamId))?.enabled === true,
      reconcile: () => void options.reconcile().catch((error: unknown) => logger.warn({ err: error }, 'reconcile after an HTTP event failed')),
    });
    routes.push(eventRoutes({ signingSecret: config.signingSecret, sink: inbox, events: options.events, logger }));
  }
  listener = await startPublicServer({ host: config.publicAddr.host, port: config.publicAddr.port, publicUrl: configuredUrl, routes, logger });
  return listener;
}
