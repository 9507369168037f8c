/**
 * Faults injected on demand: dead tokens, rate limits, failing and slow methods, and a
 * sliding-window limit on `apps.connections.open`. Pure bookkeeping; the Web API layer asks
 * {@link Faults.verdict} before running a method.
 */

/** A fault outcome for one call: what the Web API answers instead of the method's result. */
export type FaultVerdict =
  | { readonly kind: 'rate_limited'; readonly retryAfterSec: number }
  | { readonly kind: 'error'; readonly error: string; readonly status: number };

interface Counted {
  remaining: number | null;
}

interface RateLimitFault extends Counted {
  readonly retryAfterSec: number;
}

interface MethodFault extends Counted {
  readonly error: string;
  readonly status: number;
}

/** Scope of the `apps.connections.open` limit. */
export type ConnectionsOpenScope = 'app' | 'global';

/** Matches a method name or the wildcard `*`. */
function lookup<T>(map: Map<string, T>, method: string): [string, T] | undefined {
  const exact = map.get(method);
  if (exact !== undefined) return [method, exact];
  const any = map.get('*');
  return any === undefined ? undefined : ['*', any];
}

/** Consumes one use of a counted fault; returns whether it applied. */
function consume<T extends Counted>(map: Map<string, T>, key: string, fault: T): boolean {
  if (fault.remaining === null) return true;
  if (fault.remaining <= 0) {
    map.delete(key);
    return false;
  }
  fault.remaining -= 1;
  if (fault.remaining === 0) map.delete(key);
  return true;
}

/** The fault table of one emulator. */
export class Faults {
  readonly #deadTokens = new Map<string, string>();
  readonly #rateLimits = new Map<string, RateLimitFault>();
  readonly #methodFailures = new Map<string, MethodFault>();
  readonly #latencies = new Map<string, number>();
  #openLimit: { perMinute: number; scope: ConnectionsOpenScope } | null = null;
  readonly #opens = new Map<string, number[]>();

  /** Every call with `token` answers `{ok:false,error}` until restored. */
  failToken(token: string, error: string): void {
    this.#deadTokens.set(token, error);
  }

  restoreToken(token: string): void {
    this.#deadTokens.delete(token);
  }

  /** The error a dead token answers with, if any. */
  tokenError(token: string): string | undefined {
    return this.#deadTokens.get(token);
  }

  rateLimit(method: string, retryAfterSec: number, count?: number): void {
    this.#rateLimits.set(method, { retryAfterSec, remaining: count ?? null });
  }

  failMethod(method: string, error: string, options: { count?: number; status?: number } = {}): void {
    this.#methodFailures.set(method, { error, status: options.status ?? 200, remaining: options.count ?? null });
  }

  setLatency(method: string, ms: number): void {
    if (ms <= 0) this.#latencies.delete(method);
    else this.#latencies.set(method, ms);
  }

  /** Artificial latency of `method` (exact name wins over `*`). */
  latencyMs(method: string): number {
    return lookup(this.#latencies, method)?.[1] ?? 0;
  }

  setConnectionsOpenLimit(perMinute: number | null, scope: ConnectionsOpenScope = 'app'): void {
    this.#openLimit = perMinute === null ? null : { perMinute, scope };
    this.#opens.clear();
  }

  /** Clears every fault, including dead tokens and the connections.open limit (revoked tokens stay revoked). */
  clear(revoked: ReadonlySet<string>): void {
    for (const token of [...this.#deadTokens.keys()]) if (!revoked.has(token)) this.#deadTokens.delete(token);
    this.#rateLimits.clear();
    this.#methodFailures.clear();
    this.#latencies.clear();
    this.#openLimit = null;
    this.#opens.clear();
  }

  /** Rate limits and method failures for `method`, consuming counted faults. Token faults are checked elsewhere. */
  verdict(method: string): FaultVerdict | null {
    const limited = lookup(this.#rateLimits, method);
    if (limited !== undefined && consume(this.#rateLimits, limited[0], limited[1])) {
      return { kind: 'rate_limited', retryAfterSec: limited[1].retryAfterSec };
    }
    const failing = lookup(this.#methodFailures, method);
    if (failing !== undefined && consume(this.#methodFailures, failing[0], failing[1])) {
      return { kind: 'error', error: failing[1].error, status: failing[1].status };
    }
    return null;
  }

  /**
   * Records one `apps.connections.open` by `appId` against the sliding one-minute window.
   * Returns the seconds to wait when the call is over the limit (and then does not count it).
   */
  admitConnectionsOpen(appId: string, now = Date.now()): number | null {
    const limit = this.#openLimit;
    if (limit === null) return null;
    const key = limit.scope === 'global' ? '*' : appId;
    const recent = (this.#opens.get(key) ?? []).filter((at) => now - at < 60_000);
    if (recent.length >= limit.perMinute) {
      this.#opens.set(key, recent);
      const oldest = recent[0] ?? now;
      return Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
    }
    recent.push(now);
    this.#opens.set(key, recent);
    return null;
  }
}
