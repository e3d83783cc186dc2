/**
 * Told clocks on the wire: the `want` and `ack` clocks this node sends a peer leave out the
 * retired origins that peer reads back, and those a peer sends are read back before
 * anything uses them (`protocol/clock-folding.ts`).
 *
 * Only a peer whose hello said `folds` gets a folded clock, and only such a peer's clocks
 * are read back: a node of an earlier release reads a missing entry as 0 (its `want`
 * replaces the acknowledged clock it keeps, so it would resend every event of the origin
 * and hold its retention back for good), and it writes entries lowered to fetch seqs back
 * as missing. What this node folds for a peer is what that peer's own told clock shows it
 * has delivered: the fold stands on a retirement the peer's acknowledged clock counts.
 */
import { foldRetired, unfoldRetired, type RetiringEvents } from '../protocol/clock-folding.js';
import { wholeClock } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Peer, PeerLink } from './peer-state.js';

/** Folds told clocks for the peers that read them, and reads theirs back. */
export class ToldFolding {
  /**
   * `retiring` is the retirements this node delivered, read live; `committed` its
   * committed clock, against which a told clock's lowered entries are found.
   */
  constructor(
    private readonly retiring: RetiringEvents,
    private readonly committed: () => VectorClock,
  ) {}

  /** The clock `told` as sent to `peer`: folded if it reads folded clocks. */
  toPeer(peer: Peer, told: VectorClock): VectorClock {
    const whole = wholeClock(told);
    if (peer.link?.folds !== true) return whole;
    return foldRetired(whole, this.retiring, peer.acked, lowered(whole, this.committed()));
  }

  /** A clock `link`'s peer sent (`want`, `ack`), with what it folded read back. */
  fromPeer(link: PeerLink, vc: VectorClock): VectorClock {
    return link.folds === true ? unfoldRetired(vc, this.retiring) : vc;
  }
}

/** The origins `told` gives lower than `committed` (fetched back on purpose); none when it is `committed` itself. */
function lowered(told: VectorClock, committed: VectorClock): ReadonlySet<string> | undefined {
  if (told === committed) return undefined;
  const out = new Set<string>();
  for (const k in told) if (told[k] !== committed[k]) out.add(k);
  return out;
}
