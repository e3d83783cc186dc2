/**
 * Two live processes under one node id, as this node has seen them. Each `hello` carries
 * a random instance id of the sending process; a node that already has an authenticated
 * link from a node id and sees a second one from another instance refuses it
 * (`TROUPE_PEER_DUPLICATE_ID`, close 4423), and the refused process hears why. Both
 * record it here, for `/status`: merging two processes' events under one id would fork
 * that id's sequence for good.
 */
import type { DuplicateIdView } from '../inspector/feed.js';

/** How many node-id conflicts are kept: the newest, by time of their last refusal. */
const KEPT = 32;

/** The node-id conflicts this node refused or was refused for. */
export class DuplicateIds {
  /** By `node` and `refusedBy`, oldest refusal first. */
  private readonly seen = new Map<string, DuplicateIdView>();

  /**
   * `refusedBy` refused a second process of `node` at `at` (ms since the epoch). Returns
   * whether this pair is new, so that only its first refusal is logged loudly.
   */
  note(node: string, refusedBy: string, at: number): boolean {
    const key = `${node}\u0000${refusedBy}`;
    const known = this.seen.delete(key);
    this.seen.set(key, { node, refusedBy, at });
    if (this.seen.size > KEPT) this.seen.delete(this.seen.keys().next().value as string);
    return !known;
  }

  /** The conflicts seen, oldest refusal first. */
  list(): DuplicateIdView[] {
    return [...this.seen.values()];
  }
}

/**
 * Whether a newly authenticated peer is a second process beside the linked one: both
 * hellos name their instance, and the names differ. The same instance is a reconnect of
 * the linked process (the tie-break settles it); a peer that names none cannot be told.
 */
export function isSecondProcess(linked: string | undefined, arriving: string | undefined): boolean {
  return linked !== undefined && arriving !== undefined && linked !== arriving;
}
