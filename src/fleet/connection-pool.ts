import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import { classifySlackError } from '../slack/classify-error.js';
import type { SlackWeb } from '../slack/web-client.js';
import { Connection, type ConnectionMember } from './connection.js';
import type { FleetEvents } from './fleet-events.js';
import type { Pacer } from './pacer.js';
import { RtmTransport } from './transports/rtm.js';
import { SocketModeTransport } from './transports/socket-mode.js';
import type { EnvelopeHandler, Transport } from './transports/transport.js';
import type { WorkspaceSpec } from './worker.js';

export interface ConnectionPoolOptions {
  readonly slackApiUrl: string;
  readonly web: SlackWeb;
  readonly pacer: Pacer;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  readonly pingTimeoutMs: number;
  readonly random?: () => number;
}

/**
 * The live connections, keyed as Slack keys them: Socket Mode by app token
 * (workspaces of one app share its socket; never one socket per workspace on
 * a shared token), RTM by workspace. A connection opens with its first member
 * and closes with its last.
 */
export class ConnectionPool {
  readonly #connections = new Map<string, Connection>();
  constructor(private readonly options: ConnectionPoolOptions) {}

  attach(spec: WorkspaceSpec, member: ConnectionMember): void {
    const key = keyOf(spec);
    let connection = this.#connections.get(key);
    if (!connection) {
      connection = this.#create(spec);
      this.#connections.set(key, connection);
    }
    connection.attach(member);
  }

  async detach(spec: WorkspaceSpec, teamId: string): Promise<void> {
    const key = keyOf(spec);
    const connection = this.#connections.get(key);
    if (!connection) return;
    if (connection.size <= 1) this.#connections.delete(key);
    await connection.detach(teamId);
  }

  reconnect(spec: WorkspaceSpec): void {
    this.#connections.get(keyOf(spec))?.reconnect();
  }

  #create(spec: WorkspaceSpec): Connection {
    const { slackApiUrl, pingTimeoutMs } = this.options;
    const logger = this.options.logger.child(
      spec.connection.transport === 'rtm' ? { transport: 'rtm', team_id: spec.teamId } : { transport: 'socket-mode' },
    );
    let createTransport: (onEnvelope: EnvelopeHandler) => Transport;
    let probeCall: () => Promise<unknown>;
    if (spec.connection.transport === 'socket-mode') {
      const app = this.options.web.caller(spec.connection.appToken);
      createTransport = (onEnvelope) => new SocketModeTransport(app, { slackApiUrl, onEnvelope, pingTimeoutMs }, logger);
      probeCall = () => app.call('apps.connections.open');
    } else {
      const botToken = spec.botToken;
      const bot = this.options.web.caller(botToken);
      createTransport = (onEnvelope) => new RtmTransport(botToken, { slackApiUrl, onEnvelope, pingTimeoutMs }, logger);
      probeCall = () => bot.call('auth.test');
    }
    return new Connection({
      createTransport,
      token: spec.connection.transport === 'socket-mode' ? 'app' : 'bot',
      confirmDead: async () => {
        try {
          await probeCall();
          return false;
        } catch (error) {
          return classifySlackError(error).kind === 'dead';
        }
      },
      pacer: this.options.pacer,
      events: this.options.events,
      logger,
      ...(this.options.random ? { random: this.options.random } : {}),
    });
  }
}

function keyOf(spec: WorkspaceSpec): string {
  return spec.connection.transport === 'socket-mode' ? `app:${spec.connection.appToken}` : `rtm:${spec.teamId}`;
}
