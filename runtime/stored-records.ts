/**
 * What the store holds and hands back: an event as committed, an actor's record, a dead
 * letter, one commit's writes, the state found at start, and what compaction reads of
 * the log (`store.ts` reads and writes them).
 */
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import type { ActorIndexChanges } from './actor-records.js';
import type { InterestChanges, StoredInterest } from './interest-sync.js';
import type { StoredRetirements } from './retirements.js';

/** An event as committed: its place in the local delivery order and its bytes. */
export interface StoredEvent {
  readonly pos: number;
  readonly origin: string;
  readonly seq: number;
  readonly correlationId: string;
  /** Its type, kept in memory where the committer had it (the outboxes read it for partial peers). */
  readonly type?: string;
  readonly bytes: EncodedEvent;
}

/** A timer an actor had pending when its snapshot was taken. */
export interface PendingTimer {
  readonly id: string;
  readonly event: unknown;
  /** Wall-clock ms at which it fires. */
  readonly due: number;
}

/** What the host persists for one actor. */
export interface ActorRecord {
  readonly service: string;
  /** The entity key; `''` for a singleton. */
  readonly key: string;
  readonly snapshot: unknown;
  readonly timers: readonly PendingTimer[];
  /** The last event the actor handled, so that what its timers emit keeps the workflow's ids. */
  readonly cause: { readonly id: string; readonly correlationId: string } | null;
  /** The machine version the snapshot was written by (`runtime/snapshot-migration.ts`); absent for 1. */
  readonly version?: number;
}

/** A dead letter: an event a service failed on. */
export interface DeadLetter {
  readonly service: string;
  readonly key: string;
  /**
   * The event's id; for a failed timer `timer:<random id>`, unique to the letter; for an
   * actor whose snapshot could not be restored `snapshot:key=<key>`.
   */
  readonly eventId: string;
  /** The event's log position; 0 for a failed timer or a snapshot, which no event caused. */
  readonly pos: number;
  readonly error: { readonly code: string; readonly message: string };
  readonly at: number;
  /** For a failed timer: the delayed event it fired (XState's id and event), sent again to the actor on replay. */
  readonly timer?: { readonly id: string; readonly event: unknown };
  /** For an actor whose record could not be restored: the machine version it was written by. Replaying it checks the actor is restored now. */
  readonly snapshot?: { readonly version: number };
}

/** Everything one commit writes. */
export interface CommitBatch {
  readonly events: readonly StoredEvent[];
  /** The clock before the first of `events` was delivered. */
  readonly vcBefore: VectorClock;
  readonly vc: VectorClock;
  readonly actors: readonly ActorRecord[];
  readonly deadLetters: readonly DeadLetter[];
  readonly removedDeadLetters: readonly { readonly service: string; readonly eventId: string }[];
  readonly acks: ReadonlyMap<string, VectorClock>;
  /** Per peer of `acks`, whether its clock was acknowledged durably (`dur/`); a peer absent keeps what is stored. */
  readonly durability?: ReadonlyMap<string, boolean>;
  /** The newest `ts` delivered or stamped as of this commit, if it moved (`meta/ts`). */
  readonly lastTs?: number;
  /** Whether the log now holds events the actors were not handed (`meta/held`), if that changed. */
  readonly held?: boolean;
  /** What `actors` change in the due index and the count of actors per state. */
  readonly index?: ActorIndexChanges;
  /** Skipped and to-refill seq ranges that changed, and a new interest (`interest-sync.ts`). */
  readonly interest?: InterestChanges;
  /** The retirements, whole, when a delivered `troupe.retired` changed them (`meta/retired`). */
  readonly retired?: StoredRetirements;
  /** Origin checkpoints of events in this commit, first kept here (`prf/`, see `origin-proofs.ts`). */
  readonly proofs?: readonly StoredProof[];
}

/** A checkpoint as stored: its origin, the last seq it lists, and its encoded `proof` frame. */
export interface StoredProof {
  readonly origin: string;
  readonly last: number;
  readonly bytes: Uint8Array;
}

/** One logged event as compaction weighs it (`log-compaction.ts`). */
export interface LoggedEntry {
  readonly pos: number;
  readonly origin: string;
  readonly seq: number;
  readonly correlationId: string;
  readonly ts: number;
  /** Its encoded size. */
  readonly bytes: number;
}

/** One commit's events, as the log holds them (positions `start` on, consecutive). */
export interface LoggedCommit {
  readonly start: number;
  readonly entries: readonly LoggedEntry[];
}

/** What a node finds on disk when it starts. */
export interface StoredState {
  readonly vc: VectorClock;
  readonly acks: Map<string, VectorClock>;
  /** Per peer, whether its stored acknowledged clock was acknowledged durably (`dur/`); absent: not known. */
  readonly durability?: Map<string, boolean>;
  /** The newest `ts` delivered or stamped here: this node's hybrid time goes on from it. */
  readonly lastTs: number;
  /** The log holds events the actors were not handed (a recovery was under way): rebuild them. */
  readonly held: boolean;
  /** The interest it last ran with, and the seqs it skipped or is fetching back. */
  readonly interest: StoredInterest;
  /** The retirements delivered here (`retirements.ts`); absent before the first. */
  readonly retired?: StoredRetirements;
}
