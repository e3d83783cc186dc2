/**
 * Identity recovery: a node must never stamp a seq it already used. If its log was
 * rewound (a lost disk, an unsynced tail), peers hold more of its own events than it
 * does, and stamping would reuse their seqs. So until a first peer has told its clock
 * (or `probeMs` passed), the node stamps nothing: no publish, no timer. And when a peer's
 * `want` shows more of this node's events than its log holds, it waits until those are
 * fetched back (`TROUPE_NODE_RECOVERING`) before stamping again.
 *
 * A peer's claim is only as good as the peer: one that claims more than it ever sends
 * (a bug, a forged `want` of 2⁵³−1) must not stop the node for good. So a claim is
 * dropped when that peer's link goes down before the events arrive, and a recovery that
 * has not completed after `maxWaitMs` is given up: the node logs an error, stamps again
 * (possibly reusing seqs that peer holds) and waits no more for claims it gave up on.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';

/** Whether this node may stamp, and why not. */
export class IdentityRecovery {
  private readonly id: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly onResume: () => void;
  /** No peer has told its clock yet, and `probeMs` has not passed. */
  private probing: boolean;
  private probeTimer: TimerHandle | undefined;
  /** Own seq each linked peer holds beyond what this node's log held when it said so. */
  private readonly claims = new Map<string, number>();
  /** When the current recovery is given up. */
  private deadline: TimerHandle | undefined;
  /** The highest claim given up on: claims up to it are not waited for again. */
  private abandoned = 0;
  /** Own seq committed, as last told. */
  private ownCommitted = 0;

  constructor(args: {
    id: string;
    log: Logger;
    clock: Clock;
    /** How long to wait for a first peer's clock (0: do not wait). */
    probeMs: number;
    /** The longest a recovery may wait for the events peers claim to hold. */
    maxWaitMs: number;
    /** Called when stamping may go ahead again (the probe ended, a recovery ended without its events): held work may run. */
    onResume: () => void;
  }) {
    this.id = args.id;
    this.log = args.log;
    this.clock = args.clock;
    this.maxWaitMs = args.maxWaitMs;
    this.onResume = args.onResume;
    this.probing = args.probeMs > 0;
    if (this.probing) this.probeTimer = this.clock.setTimeout(() => this.endProbe(), args.probeMs);
  }

  /** The own seq this node must get back before stamping (0: none). */
  get recoverTo(): number {
    let target = 0;
    for (const own of this.claims.values()) if (own > target) target = own;
    return target;
  }

  /** Whether stamping must wait, given the own seq this node has committed. */
  recovering(ownCommitted: number): boolean {
    this.ownCommitted = ownCommitted;
    if (this.probing) return true;
    if (this.claims.size === 0) return false;
    if (this.recoverTo > ownCommitted) return true;
    this.claims.clear();
    this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
    return false;
  }

  /** Peer `peer` holds `own` of this node's events (its `want`); this node committed `ownCommitted`. */
  peerHolds(peer: string, own: number, ownCommitted: number): void {
    this.endProbe();
    this.ownCommitted = ownCommitted;
    if (own <= ownCommitted || own <= this.abandoned) {
      this.claims.delete(peer);
      return;
    }
    const before = this.recoverTo;
    this.claims.set(peer, own);
    if (own > before) {
      this.log.warn(
        { code: 'TROUPE_NODE_RECOVERING', peer, peerHas: own, logHas: ownCommitted, maxWaitMs: this.maxWaitMs },
        'a peer holds more of this node\'s events than its log: fetching them back before publishing',
      );
    }
    this.deadline ??= this.clock.setTimeout(() => this.giveUp(), this.maxWaitMs);
  }

  /** Peer `peer`'s link went down: what it claimed and did not send is no longer waited for. */
  peerGone(peer: string): void {
    const own = this.claims.get(peer);
    if (own === undefined) return;
    this.claims.delete(peer);
    if (own > this.ownCommitted) {
      this.log.warn(
        { code: 'TROUPE_NODE_RECOVERING', peer, peerHad: own, logHas: this.ownCommitted },
        'the peer that holds more of this node\'s events left before sending them: no longer waiting for them',
      );
    }
    if (this.claims.size > 0) return;
    this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
    this.onResume();
  }

  /** Stops waiting for a peer's clock or a recovery. */
  stop(): void {
    this.clock.clearTimeout(this.probeTimer);
    this.clock.clearTimeout(this.deadline);
  }

  private giveUp(): void {
    this.deadline = undefined;
    const target = this.recoverTo;
    if (target <= this.ownCommitted) return;
    this.abandoned = Math.max(this.abandoned, target);
    this.log.error(
      { code: 'TROUPE_NODE_RECOVERING', recoverTo: target, logHas: this.ownCommitted, peers: [...this.claims.keys()], waitedMs: this.maxWaitMs },
      'gave up fetching back this node\'s own events: publishing again, and new events may reuse seqs those peers claim to hold',
    );
    this.claims.clear();
    this.onResume();
  }

  private endProbe(): void {
    if (!this.probing) return;
    this.probing = false;
    this.clock.clearTimeout(this.probeTimer);
    this.onResume();
  }
}
