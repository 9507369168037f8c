import type { BenchWorkspace } from '../emulator-child.js';

/** Names of the three contenders, in report order. */
export const CONTENDERS = ['flotilla', 'bolt', 'floor'] as const;
/** Those, or `flotilla-before`: the flotilla contender of another build (BENCH_BEFORE_DIR), for side-by-side runs. */
export type ContenderName = (typeof CONTENDERS)[number] | 'flotilla-before';
/** The HTTP mode's contenders (scripts/bench/http-contenders/), in report order. */
export const HTTP_CONTENDERS = ['flotilla', 'bolt', 'floor'] as const;
export type HttpContenderName = (typeof HTTP_CONTENDERS)[number];

/** One way of keeping N Slack workspaces connected and answering `ping`, run in its own process. */
export interface Contender {
  /** Loads what an empty process of this kind has (framework, database…), connecting nothing. */
  init(apiUrl: string): Promise<void>;
  /** Gives it the workspaces (flotilla: rows in its database); connects nothing yet. */
  prepare(workspaces: readonly BenchWorkspace[]): Promise<void>;
  /** Connects every workspace; resolves when the contender itself sees them all connected. */
  connect(): Promise<void>;
  /** How many workspaces it sees connected now. */
  connectedCount(): number;
  /** Contender-specific measurements (flotilla: reconcile time). */
  extra(): Promise<Record<string, unknown>>;
  /** How many times a workspace became connected, reconnections included (flotilla only: the dashboard benchmark). */
  transitionsToConnected?(): number;
  /** Where its admin API listens and its token (flotilla only: the dashboard benchmark). */
  admin?(): Promise<{ url: string; token: string }>;
  /** The HTTP mode's contenders: the request URL Slack posts events to (known after `connect`). */
  requestUrl?(): string;
  /** Closes everything. */
  stop(): Promise<void>;
}

/** Polls `isDone` every `everyMs` until true; rejects after `timeoutMs`. */
export async function until(isDone: () => boolean, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!isDone()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
