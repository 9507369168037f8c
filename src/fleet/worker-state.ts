/**
 * A worker's life, written as data.
 *
 *   idle ──start──▶ connecting ──hello──▶ connected
 *                      │  ▲                  │
 *          failure     ▼  │ delay over       │ socket lost / disconnect / silent
 *                    backoff ◀───────────────┘
 *   any live state ──stop──▶ stopping ──▶ stopped
 *   connecting/connected ──dead token confirmed──▶ removed
 *
 * `stopped` and `removed` are final: a restarted workspace gets a new worker.
 */
export type WorkerState = 'idle' | 'connecting' | 'connected' | 'backoff' | 'stopping' | 'stopped' | 'removed';

const NEXT: Readonly<Record<WorkerState, readonly WorkerState[]>> = {
  idle: ['connecting', 'stopping'],
  connecting: ['connected', 'backoff', 'removed', 'stopping'],
  connected: ['backoff', 'connecting', 'removed', 'stopping'],
  backoff: ['connecting', 'stopping', 'removed'],
  stopping: ['stopped'],
  stopped: [],
  removed: [],
};

/** Whether `from → to` is a legal move. */
export function canMove(from: WorkerState, to: WorkerState): boolean {
  return NEXT[from].includes(to);
}

/** The state operators see (`workspace list`): four words, per the contract. */
export type PublicState = 'connecting' | 'connected' | 'backoff' | 'stopped';

export function publicState(state: WorkerState): PublicState {
  switch (state) {
    case 'idle':
    case 'connecting':
      return 'connecting';
    case 'connected':
    case 'backoff':
      return state;
    default:
      return 'stopped';
  }
}

/** Thrown on an illegal move: a bug in the worker, never a runtime condition. */
export class IllegalTransitionError extends Error {
  constructor(from: WorkerState, to: WorkerState) {
    super(`illegal worker transition ${from} → ${to}`);
  }
}

/** Holds one state and refuses illegal moves. */
export class StateCell {
  #state: WorkerState = 'idle';
  #since = Date.now();
  constructor(private readonly onChange: (from: WorkerState, to: WorkerState) => void) {}

  get value(): WorkerState { return this.#state; }
  get sinceMs(): number { return this.#since; }

  /** Moves to `to`; a move to the current state is a no-op. Throws on an illegal move. */
  move(to: WorkerState): void {
    const from = this.#state;
    if (from === to) return;
    if (!canMove(from, to)) throw new IllegalTransitionError(from, to);
    this.#state = to;
    this.#since = Date.now();
    this.onChange(from, to);
  }
}
