/**
 * History recovery: getting back what this node's disk lost before its actors go on.
 *
 * A node stamps under a fresh origin at every start (`protocol/origin.ts`), so it never
 * has to wait before stamping: no seq it stamps can be one the cluster holds. What a lost
 * or rewound disk costs it is its actors' history. It learns of that from a peer's clock
 * (its `want`): events of this node's older origins that the peer holds and this log
 * lacks. From then on the node is *holding*: it keeps committing what arrives (and what
 * clients publish) but hands nothing to its actors, until its log covers every such claim
 * and every full peer it knows of has told its clock since this start. One peer's claim
 * shows the disk lost history; how much, only all of them can say: the last events of an
 * earlier start may have reached one peer only, and an actor that went on before those
 * came back would handle again what that start had handled, and emit it twice.
 * Then the actors are rebuilt by replaying the whole log (`actor-rebuild.ts`), which also
 * delivers everything committed while holding, once.
 *
 * Whether the log holds events its actors have not seen is durable (`meta/held`), so a
 * node that crashes while holding rebuilds when it starts again. Such a start holds as if
 * a peer had claimed: it rebuilds only once every full peer it knows of has told its
 * clock. The disk may be a copy taken while an earlier start held (a backup, a crash
 * image): that start went on to rebuild and emit, its emissions are in peers' logs only,
 * and a rebuild from the copy alone would stamp them again under this start's origin.
 *
 * A peer's claim is only as good as the peer: one that claims more than it ever sends (a
 * bug, a forged `want` of 2⁵³−1) must not stop the actors for good. So a claim is dropped
 * when that peer's link goes down before the events arrive, and a recovery still waiting
 * after `maxWaitMs` (for claimed events, or for a member that never links) is given up:
 * the node logs an error and rebuilds from what it has. And each peer's claims may hold the
 * actors for `maxWaitMs` in all during one start: a claim is dropped when what is left of
 * its peer's wait runs out, and after that the peer's claims are not waited for, so a peer
 * that repeats a forged `want`, or leaves and links again before each give-up, cannot hold
 * the actors again and again.
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import { nodeOf } from '../protocol/origin.js';
import type { Clock, TimerHandle } from './clock.js';

/** Whether this node's actors may take events now, and whether they must be rebuilt first. */
export class HistoryRecovery {
  private readonly node: string;
  private readonly origin: string;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly maxWaitMs: number;
  private readonly onChange: () => void;
  /** Per linked peer, the events of this node's older origins it holds beyond this log. */
  private readonly claims = new Map<string, VectorClock>();
  /** The full peers this node knows of (linked now, or by the clock they acknowledged before). */
  private readonly members: () => Iterable<string>;
  /** Full peers that told their clock since this node started. */
  private readonly heard = new Set<string>();
  /** Per peer, since when its current claim holds the actors. */
  private readonly claimedSince = new Map<string, number>();
  /** Per peer, how long its claims held the actors in this start (ms), up to `maxWaitMs`. */
  private readonly waitedFor = new Map<string, number>();
  /** Per peer whose claim holds the actors, when what is left of its wait runs out. */
  private readonly waitEnds = new Map<string, TimerHandle>();
  /** A peer claimed history this log lacks: the actors also wait to hear from every member. */
  private lossSeen = false;
  /** When the current recovery is given up. */
  private deadline: TimerHandle | undefined;
  private deadlineAt = 0;
  /** The log holds events the actors have not been handed (`meta/held`). */
  private heldEvents: boolean;
  /** The committed clock, as last told. */
  private committed: VectorClock = {};

  constructor(args: {
    /** This node's id. */
    node: string;
    /** The origin this node stamps under now. */
    origin: string;
    log: Logger;
    clock: Clock;
    /** The longest a recovery may wait for the events peers claim to hold. */
    maxWaitMs: number;
    /** Whether the store says the log holds events the actors were not handed. */
    held: boolean;
    /** Called when the actors may go on (a claim was dropped or given up): queued work may run. */
    onChange: () => void;
    /** The full peers this node knows of, each of which may hold history its disk lost. [default none] */
    members?: () => Iterable<string>;
  }) {
    this.node = args.node;
    this.origin = args.origin;
    this.log = args.log;
    this.clock = args.clock;
    this.maxWaitMs = args.maxWaitMs;
    this.heldEvents = args.held;
    this.onChange = args.onChange;
    this.members = args.members ?? (() => []);
    if (this.heldEvents) this.heldAtStart();
  }

  /** Whether the log holds events the actors have not been handed. */
  get held(): boolean {
    return this.heldEvents;
  }

  /** Whether delivery to the actors waits for claimed events, given the committed clock. */
  waiting(committed: VectorClock): boolean {
    this.committed = committed;
    if (!this.lossSeen) return false;
    for (const claim of this.claims.values()) {
      for (const origin in claim) if (claim[origin] > (committed[origin] ?? 0)) return true;
    }
    if (this.unheard().length > 0) return true;
    for (const peer of this.claims.keys()) this.endClaim(peer);
    this.claims.clear();
    this.lossSeen = false;
    this.clock.clearTimeout(this.deadline);
    this.deadline = undefined;
    return false;
  }

  /** The members that have not told their clock since this node started. */
  unheard(): string[] {
    const out: string[] = [];
    for (const id of this.members()) if (!this.heard.has(id)) out.push(id);
    return out;
  }

  /** Whether the actors must be rebuilt now: events were held and nothing claimed is missing. */
  rebuildDue(committed: VectorClock): boolean {
    return this.heldEvents && !this.waiting(committed);
  }

  /** Events were committed without being handed to the actors (the caller persists `meta/held`). */
  hold(): void {
    this.heldEvents = true;
  }

  /** The actors were rebuilt from the whole log (the caller clears `meta/held`). */
  rebuilt(): void {
    this.heldEvents = false;
  }

  /** The older origins of this node that some peer holds more of than `committed`, with the most held. */
  claimed(): VectorClock {
    const out: VectorClock = {};
    for (const claim of this.claims.values()) {
      for (const origin in claim) out[origin] = Math.max(out[origin] ?? 0, claim[origin]);
    }
    return out;
  }

  /** Peer `peer` told its clock `vc` (its `want`); this node committed `committed`. */
  peerClock(peer: string, vc: VectorClock, committed: VectorClock): void {
    this.committed = committed;
    this.heard.add(peer);
    const claim: VectorClock = {};
    let any = false;
    for (const origin in vc) {
      if (origin === this.origin || nodeOf(origin) !== this.node || vc[origin] <= (committed[origin] ?? 0)) continue;
      claim[origin] = vc[origin];
      any = true;
    }
    if (!any) {
      this.endClaim(peer);
      if (this.claims.delete(peer) || this.lossSeen) this.onChange();
      return;
    }
    if ((this.waitedFor.get(peer) ?? 0) >= this.maxWaitMs) {
      this.log.warn({ code: 'TROUPE_NODE_RECOVERING', peer, peerHas: claim }, 'a peer whose claims held the actors for the longest wait already claims events of this node\'s earlier starts again: not waiting for it');
      return;
    }
    this.claims.set(peer, claim);
    this.lossSeen = true;
    this.log.warn(
      { code: 'TROUPE_NODE_RECOVERING', peer, peerHas: claim, waitingFor: this.unheard(), maxWaitMs: this.maxWaitMs },
      'a peer holds events of this node\'s earlier starts that its log lacks: fetching them back before the actors go on',
    );
    const now = this.clock.now();
    if (this.deadline === undefined) this.setDeadline(now);
    if (!this.claimedSince.has(peer)) {
      this.claimedSince.set(peer, now);
      const left = this.maxWaitMs - (this.waitedFor.get(peer) ?? 0);
      // The whole recovery's deadline comes first unless this peer's claims held the actors before.
      if (now + left < this.deadlineAt) this.waitEnds.set(peer, this.clock.setTimeout(() => this.waitSpent(peer), left));
    }
  }

  /** Peer `peer`'s link went down: what it claimed and did not send is no longer waited for. */
  peerGone(peer: string): void {
    const claim = this.claims.get(peer);
    if (claim === undefined) return;
    this.endClaim(peer);
    this.claims.delete(peer);
    this.log.warn(
      { code: 'TROUPE_NODE_RECOVERING', peer, peerHad: claim },
      'the peer that holds events of this node\'s earlier starts left before sending them all: no longer waiting for it',
    );
    this.onChange();
  }

  /**
   * The store says an earlier start held events back from its actors: wait to hear every
   * member before rebuilding, as when a peer shows the disk lost history (see the header).
   */
  private heldAtStart(): void {
    this.lossSeen = true;
    this.log.warn(
      { code: 'TROUPE_NODE_RECOVERING', maxWaitMs: this.maxWaitMs },
      'an earlier start stopped while its actors waited for history: hearing every full peer before rebuilding them',
    );
    this.setDeadline(this.clock.now());
  }

  private setDeadline(now: number): void {
    this.deadline = this.clock.setTimeout(() => this.giveUp(), this.maxWaitMs);
    this.deadlineAt = now + this.maxWaitMs;
  }

  /** Stops waiting. */
  stop(): void {
    this.clock.clearTimeout(this.deadline);
    for (const timer of this.waitEnds.values()) this.clock.clearTimeout(timer);
    this.waitEnds.clear();
  }

  /** `peer`'s claims held the actors for the longest wait in all: its claim is dropped, and none of its claims is waited for again. */
  private waitSpent(peer: string): void {
    const claim = this.claims.get(peer);
    this.endClaim(peer);
    this.claims.delete(peer);
    this.log.error(
      { code: 'TROUPE_NODE_RECOVERING', peer, peerHad: claim, waitedMs: this.maxWaitMs },
      'the peer that claims events of this node\'s earlier starts held the actors for the longest wait without sending them: no longer waiting for it',
    );
    this.onChange();
  }

  private giveUp(): void {
    this.deadline = undefined;
    if (!this.waiting(this.committed)) return;
    this.log.error(
      { code: 'TROUPE_NODE_RECOVERING', claimed: this.claimed(), logHas: this.committed, peers: [...this.claims.keys()], unheard: this.unheard(), waitedMs: this.maxWaitMs },
      'gave up fetching back this node\'s earlier events: rebuilding the actors from what the log holds',
    );
    // Each peer is charged the time its own claim held the actors, not the whole wait another peer's claim may have started.
    for (const peer of this.claims.keys()) this.endClaim(peer);
    this.claims.clear();
    this.lossSeen = false;
    this.onChange();
  }

  /** `peer`'s claim no longer holds the actors: the time it held them counts against it. */
  private endClaim(peer: string): void {
    const since = this.claimedSince.get(peer);
    if (since === undefined) return;
    this.claimedSince.delete(peer);
    this.clock.clearTimeout(this.waitEnds.get(peer));
    this.waitEnds.delete(peer);
    this.waitedFor.set(peer, Math.min(this.maxWaitMs, (this.waitedFor.get(peer) ?? 0) + this.clock.now() - since));
  }
}
