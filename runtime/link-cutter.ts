/**
 * Cutting and healing links on purpose, for watching a choreography ride out a partition
 * (the inspector's buttons, the demo, `troupe trace` tests). A node started with
 * `--chaos` (as `troupe cluster` starts its nodes) takes these requests; a cut link is
 * closed and refused in both directions until healed, exactly as a network cut would.
 */
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** What a node that takes cut/heal requests offers (implemented by `Links`). */
export interface LinkCutter {
  /** Closes the link to `peer` if up and refuses it, dialed or accepted, until `heal`. */
  cut(peer: string): void;
  /** Lets the link to `peer` come back (its dialer, if any, retries at once). */
  heal(peer: string): void;
  /** Whether this node holds the link to `peer` cut. */
  isCut(peer: string): boolean;
}

/**
 * Checks and carries out one cut or heal request (`POST /links/:peer/cut|heal`, the
 * inspector's buttons); answers whether the link is cut now. A peer not seen yet may be
 * cut: it is refused when it comes.
 * @throws TroupeError `TROUPE_CHAOS_DISABLED` when the node takes no such requests
 *   (`cutter` undefined: started without `--chaos`); `TROUPE_BAD_REQUEST` for a peer id
 *   that is not a node id, or this node's own.
 */
export function cutOrHeal(
  cutter: LinkCutter | undefined,
  self: string,
  peer: string,
  op: 'cut' | 'heal',
): { readonly peer: string; readonly cut: boolean } {
  if (cutter === undefined) {
    throw new TroupeError('TROUPE_CHAOS_DISABLED', `${self} takes no cut or heal requests: start it with --chaos`);
  }
  if (!NODE_ID_PATTERN.test(peer)) throw new TroupeError('TROUPE_BAD_REQUEST', `${JSON.stringify(peer)} is not a node id`);
  if (peer === self) throw new TroupeError('TROUPE_BAD_REQUEST', `${self} has no link to itself`);
  if (op === 'cut') cutter.cut(peer);
  else cutter.heal(peer);
  return { peer, cut: cutter.isCut(peer) };
}
