/**
 * Identity recovery: a node must never stamp a seq it already used. If its log was
 * rewound (a lost disk, an unsynced tail), peers hold more of its own events than it
 * does, and stamping would reuse their seqs. So until a first peer has told its clock
 * (or `probeMs` passed), the node stamps nothing: no publish, no timer. And when a peer's
 * `want` shows more of this node's events than its log holds, it waits until those are
 * fetched back (`TROUPE_NODE_RECOVERING`) before stamping again.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';

/** Whether this node may stamp, and why not. */
export class IdentityRecovery {
  private readonly id: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly onProbeEnd: () => void;
  /** No peer has told its clock yet, and `probeMs` has not passed. */
  private probing: boolean;
  private probeTimer: TimerHandle | undefined;
  /** Own seq that peers hold and this node's log lost. */
  private target = 0;

  constructor(args: {
    id: string;
    log: Logger;
    clock: Clock;
    /** How long to wait for a first peer's clock (0: do not wait). */
    probeMs: number;
    /** Called when the probe ends: held work may go ahead. */
    onProbeEnd: () => void;
  }) {
    this.id = args.id;
    this.log = args.log;
    this.clock = args.clock;
    this.onProbeEnd = args.onProbeEnd;
    this.probing = args.probeMs > 0;
    if (this.probing) this.probeTimer = this.clock.setTimeout(() => this.endProbe(), args.probeMs);
  }

  /** The own seq this node must get back before stamping. */
  get recoverTo(): number {
    return this.target;
  }

  /** Whether stamping must wait, given the own seq this node has committed. */
  recovering(ownCommitted: number): boolean {
    return this.probing || this.target > ownCommitted;
  }

  /** Peer `peer` holds `own` of this node's events (its `want`); this node committed `ownCommitted`. */
  peerHolds(peer: string, own: number, ownCommitted: number): void {
    this.endProbe();
    if (own > ownCommitted && own > this.target) {
      this.target = own;
      this.log.warn(
        { code: 'TROUPE_NODE_RECOVERING', peer, peerHas: own, logHas: ownCommitted },
        'a peer holds more of this node\'s events than its log: fetching them back before publishing',
      );
    }
  }

  /** Stops waiting for a peer's clock. */
  stop(): void {
    this.clock.clearTimeout(this.probeTimer);
  }

  private endProbe(): void {
    if (!this.probing) return;
    this.probing = false;
    this.clock.clearTimeout(this.probeTimer);
    this.onProbeEnd();
  }
}
