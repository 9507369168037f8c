/**
 * What the fleet needs from the database to share connections among several
 * instances: declared here, implemented in `db/lease-store.ts`, wired in
 * `daemon.ts`. Claim, renew and release are each one statement whose row
 * condition makes two owners of one key impossible, and each resolves to
 * every lease the instance holds once it has run.
 */

/** This process among the instances on one database. */
export interface InstanceIdentity {
  /** `FLOTILLA_INSTANCE_ID`, verbatim. */
  readonly id: string;
  /** Random, one per process: two live processes never share an id. */
  readonly incarnation: string;
  readonly host: string;
  readonly version: string;
}

/** A lease held now. `expiresInMs` is measured by the database clock at the statement. */
export interface Lease {
  readonly key: string;
  /** Grows each time the key changes hands; never goes back. */
  readonly epoch: number;
  readonly expiresInMs: number;
}

/** How a key came to be held by this claim. */
export type ClaimKind =
  /** Never held before (a new workspace, or the first instance ever). */
  | 'new'
  /** Released by its owner (hand-over). */
  | 'handed_over'
  /** Taken from another owner whose lease had expired (it died, or was cut off). */
  | 'expired'
  /** This instance's own lease, expired and taken back. */
  | 'reclaimed';

export interface ClaimResult {
  /** Everything held after the claim. */
  readonly owned: readonly Lease[];
  /** The keys taken by this claim, and how. */
  readonly claimed: ReadonlyArray<{ readonly key: string; readonly kind: ClaimKind; readonly from: string | null }>;
}

export interface RenewResult {
  /** False when another live process has taken this instance id: then nothing was renewed. */
  readonly isRegistered: boolean;
  readonly owned: readonly Lease[];
}

/** What an instance needs to decide its share. */
export interface Census {
  /** Instances whose heartbeat is younger than the TTL, this one included. */
  readonly liveInstances: number;
  /** Distinct connection keys of enabled workspaces. */
  readonly totalKeys: number;
  /** The fewest leases a live instance holds (0 for one holding none). */
  readonly minHeld: number;
  /** Keys nobody holds (never held, released, or expired), this instance's own first, then in random order. */
  readonly freeKeys: readonly string[];
  /** Keys this instance holds that no enabled workspace uses any more. */
  readonly orphanKeys: readonly string[];
  /** When the next lease of another instance expires (ms from now), if any is live. */
  readonly nextExpiryMs: number | null;
}

export interface LeaseStore {
  /**
   * Registers this process under `me.id` (and heartbeats). Resolves false,
   * registering nothing, while another process with that id is live.
   */
  register(me: InstanceIdentity, ttlMs: number): Promise<boolean>;
  /** Heartbeat and renewal of every lease `me` holds, in one statement. */
  renew(me: InstanceIdentity, ttlMs: number): Promise<RenewResult>;
  /** Who is live, what exists and what is free (at most `limit` free keys). */
  census(owner: string, ttlMs: number, limit: number): Promise<Census>;
  /** Takes the keys that are free or expired; keys held by a live owner are left alone. */
  claim(owner: string, keys: readonly string[], ttlMs: number): Promise<ClaimResult>;
  /** Gives keys up at once (others are notified); resolves to what is still held. */
  release(owner: string, keys: readonly string[]): Promise<readonly Lease[]>;
  /** Releases everything `me` holds and removes its instance row (SIGTERM). */
  leave(me: InstanceIdentity): Promise<void>;
  /** Forgets instances long silent and unheld leases of keys no workspace uses. */
  sweep(): Promise<void>;
}

/** The channel a release notifies on, so the others claim at once. */
export const LEASES_CHANNEL = 'flotilla_leases';
