import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FleetEvents, HttpRequestOutcome } from '../fleet/fleet-events.js';
import type { HttpDelivery } from '../fleet/http-inbox.js';
import type { InboundEnvelope } from '../fleet/transports/transport.js';
import { withTimeout } from '../lib/abort.js';
import type { Logger } from '../lib/logger.js';
import type { SafeEmitter } from '../lib/typed-events.js';
import type { PublicRoutes } from './server.js';
import { checkSlackSignature, headerValue } from './slack-signature.js';

/** Where verified envelopes go: the fleet's HTTP inbox. */
export interface HttpEventSink {
  deliver(teamId: string, envelope: InboundEnvelope): Promise<HttpDelivery>;
}

export interface EventRoutesOptions {
  /** `SLACK_SIGNING_SECRET`: never logged. */
  readonly signingSecret: string;
  readonly sink: HttpEventSink;
  readonly events: SafeEmitter<FleetEvents>;
  readonly logger: Logger;
  /** How long a request waits for its ack (an answer in the body) before answering 200 empty; Slack gives up at 3 s. */
  readonly ackDeadlineMs?: number;
  /** The clock for the 5-minute window (tests). */
  readonly nowSec?: () => number;
}

const ACK_DEADLINE_MS = 2_500;
const TIMED_OUT = Symbol('timed out');

type Json = Record<string, unknown>;

/** A request turned into what the fleet takes, or an answer of our own. */
type Parsed =
  | { readonly kind: 'envelope'; readonly teamId: string | undefined; readonly make: (ack: InboundEnvelope['ack']) => InboundEnvelope }
  | { readonly kind: 'answer'; readonly outcome: HttpRequestOutcome; readonly status: number; readonly body?: Json };

/**
 * `POST /slack/events`: everything Slack sends over HTTP. Each request is
 * verified first, on the raw bytes (`public/slack-signature.ts`): missing
 * headers, a timestamp more than 5 minutes off or a wrong signature get a
 * 401, and the body is then neither parsed, handled nor logged. A verified
 * request is `url_verification` (answered with its challenge), an
 * `event_callback` (JSON), a slash command (a form) or an interaction
 * (`payload=` form); the last three become the same envelopes the sockets
 * produce, routed to the worker of their `team_id`. The HTTP answer is the
 * envelope's ack: 200 within about 2.5 s, carrying a slash command's or a
 * form's answer when the handler gave one in time (later answers go through
 * `response_url`). `X-Slack-Retry-Num` becomes `retryAttempt`, so redeliveries
 * are deduplicated as Socket Mode retries are. A team not installed here gets
 * a 200 and its event is dropped (counted).
 */
export function eventRoutes(options: EventRoutesOptions): PublicRoutes {
  const logger = options.logger.child({ component: 'http-events' });
  const deadlineMs = options.ackDeadlineMs ?? ACK_DEADLINE_MS;
  const count = (outcome: HttpRequestOutcome): void => options.events.emit('http:request', outcome);
  return {
    register(app: FastifyInstance) {
      app.post('/slack/events', async (request, reply) => {
        const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const problem = checkSlackSignature(options.signingSecret, {
          timestamp: headerValue(request.headers['x-slack-request-timestamp']),
          signature: headerValue(request.headers['x-slack-signature']),
        }, body, options.nowSec?.());
        if (problem !== undefined) {
          count('refused');
          logger.warn({ problem }, 'refused a request to /slack/events: not signed by Slack');
          return reply.code(401).type('text/plain; charset=utf-8').send('Unauthorized');
        }
        const parsed = parse(request, body);
        if (parsed.kind === 'answer') {
          count(parsed.outcome);
          if (parsed.outcome === 'malformed') logger.warn('a signed request to /slack/events could not be read');
          return send(reply, parsed.status, parsed.body);
        }
        return deliver(parsed, reply);
      });
    },
  };

  async function deliver(parsed: Extract<Parsed, { kind: 'envelope' }>, reply: FastifyReply): Promise<FastifyReply> {
    const slot = new AckSlot();
    const envelope = parsed.make((response?: Readonly<Json>) => slot.ack(response));
    const delivery = parsed.teamId === undefined ? 'unknown_team' : await options.sink.deliver(parsed.teamId, envelope);
    count(delivery);
    if (delivery === 'unknown_team') {
      options.events.emit('event:dropped', parsed.teamId ?? 'unknown', 'unknown_team');
      logger.debug({ team_id: parsed.teamId }, 'an event for a team not installed here: dropped');
      return send(reply, 200);
    }
    // Installed, but not running here right now: a 5xx has Slack retry the event later (or at another instance).
    if (delivery === 'unavailable') return send(reply, 503);
    const answer = await withTimeout(slot.answered, deadlineMs, TIMED_OUT);
    slot.close();
    return send(reply, 200, answer === TIMED_OUT ? undefined : answer);
  }
}

function send(reply: FastifyReply, status: number, body?: Readonly<Json>): FastifyReply {
  if (body === undefined || Object.keys(body).length === 0) return reply.code(status).send();
  return reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The HTTP answer as an ack: the first `ack` settles it (with the answer to
 * put in the body); once the response has gone, an ack with an answer
 * rejects (the caller then uses `response_url`) and an empty one resolves.
 */
class AckSlot {
  #resolve!: (answer: Readonly<Json> | undefined) => void;
  #isAcked = false;
  #isClosed = false;
  readonly answered = new Promise<Readonly<Json> | undefined>((resolve) => { this.#resolve = resolve; });

  async ack(response?: Readonly<Json>): Promise<void> {
    if (this.#isAcked) return;
    if (this.#isClosed && response !== undefined) throw new Error('the HTTP response had already been sent (Slack waits 3 s)');
    this.#isAcked = true;
    this.#resolve(response);
  }

  close(): void {
    this.#isClosed = true;
  }
}

/** Reads a verified request: JSON (Events API) or a form (slash command, `payload=` interaction). */
function parse(request: FastifyRequest, body: Buffer): Parsed {
  const contentType = headerValue(request.headers['content-type']) ?? '';
  const retryAttempt = Number(headerValue(request.headers['x-slack-retry-num']) ?? 0) || 0;
  const malformed: Parsed = { kind: 'answer', outcome: 'malformed', status: 400 };
  try {
    if (contentType.includes('application/json')) {
      const payload = JSON.parse(body.toString('utf8')) as unknown;
      return isObject(payload) ? parseEventsApi(payload, retryAttempt) : malformed;
    }
    if (contentType.includes('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(body.toString('utf8'));
      const raw = form.get('payload');
      if (raw !== null) {
        const payload = JSON.parse(raw) as unknown;
        if (!isObject(payload)) return malformed;
        const teamId = str(field(payload['team'], 'id')) ?? str(field(payload['user'], 'team_id'));
        return { kind: 'envelope', teamId, make: (ack) => ({ kind: 'interactive', teamId, payload, ack }) };
      }
      // Slack checks a slash command's certificate now and then: a signed form with ssl_check=1, answered 200.
      if (form.get('ssl_check') === '1') return { kind: 'answer', outcome: 'ignored', status: 200 };
      if (form.has('command')) {
        const payload: Json = Object.fromEntries(form);
        const teamId = str(payload['team_id']);
        return { kind: 'envelope', teamId, make: (ack) => ({ kind: 'slash_command', teamId, payload, ack }) };
      }
    }
  } catch {
    return malformed;
  }
  return malformed;
}

function parseEventsApi(payload: Json, retryAttempt: number): Parsed {
  if (payload['type'] === 'url_verification') {
    const challenge = str(payload['challenge']);
    return challenge === undefined
      ? { kind: 'answer', outcome: 'malformed', status: 400 }
      : { kind: 'answer', outcome: 'url_verification', status: 200, body: { challenge } };
  }
  if (payload['type'] !== 'event_callback') return { kind: 'answer', outcome: 'ignored', status: 200 }; // e.g. app_rate_limited
  const teamId = str(payload['team_id']);
  const eventId = str(payload['event_id']);
  const event = payload['event'];
  return { kind: 'envelope', teamId, make: (ack) => ({ kind: 'event', teamId, eventId, event, retryAttempt, ack: () => ack() }) };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(object: unknown, key: string): unknown {
  return isObject(object) ? object[key] : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
