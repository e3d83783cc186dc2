/**
 * Cutting and healing links on purpose, for watching a choreography ride out a partition
 * (the inspector's buttons, the demo, `troupe trace` tests). A node started with
 * `--chaos` (as `troupe cluster` starts its nodes) takes these requests; a cut link is
 * closed and refused in both directions until healed, exactly as a network cut would.
 */

/** What a node that takes cut/heal requests offers (implemented by `Links`). */
export interface LinkCutter {
  /** Closes the link to `peer` if up and refuses it, dialed or accepted, until `heal`. */
  cut(peer: string): void;
  /** Lets the link to `peer` come back (its dialer, if any, retries at once). */
  heal(peer: string): void;
  /** Whether this node holds the link to `peer` cut. */
  isCut(peer: string): boolean;
}
