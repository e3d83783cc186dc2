/**
 * Lost events: what a member does when peers tell it (`lost` frames, `retention-gaps.ts`)
 * that they no longer hold events it lacks.
 *
 * Why not a snapshot. In troupe an entity's actor lives only on the node that hosts its
 * service (a service placed on many nodes has each keep its own entities), so no peer
 * holds this node's actor records, and the removed events exist nowhere any more. What a
 * peer can give is the causally consistent point its retained log starts from: its
 * clock at `log.first`. This node takes that point for its clock and counts the removed
 * seqs it lacks as lost, the way a partial node counts the seqs it skips (`skips.ts`):
 * its clock counts them, its log and its actors never see them. Delivery then goes on in
 * causal order for everything retained. A node that only relays is no different: rebuilt
 * from an empty disk it would lack the same events, so it is not told to rebuild; it
 * tells its own gaps on to peers that lack them (`retention-gaps.ts`).
 *
 * Only what no peer can send is lost. A seq is lost once every linked peer that could
 * send it (a full peer, or the origin's own node) and whose clock has it said it no
 * longer holds it, and `graceMs` passed since the first notice, for the other peers to
 * link and tell what they hold. A lack that another linked peer can fill is waited out:
 * that peer sends the events: meanwhile this node leaves the origin out of the `links` it
 * tells, so that peers relay it the origin's events they hold although it is linked to
 * the origin's node (`link-topology.ts`). Nothing this node delivered is touched (only seqs above its
 * delivered clock are counted), nothing is delivered twice, and every event still waits
 * for its own dependencies.
 *
 * A claim is not proof. A `lost` frame is a peer's word, and any peer with a valid key can
 * send one: were counting final, a peer could make this node count events an honest peer
 * still holds but that is not linked now, and once its `want` and `ack` claim them, no
 * honest peer would send them again. So counting lost seqs only stops the wait (delivery
 * goes on, as liveness after a lost disk needs) and does not settle them: unless every
 * known peer able to send them confirms ({@link settledNow}: it said it no longer holds
 * them, and does not ask for them itself), they stay **asked for**
 * (`asked` in `interest-sync.ts`). The clock this node tells peers is lowered below them,
 * as for a refill, so a peer that holds them streams them again, and an arriving copy
 * (checked against its origin's checkpoint, with keys) is delivered then, once, after
 * events that depend on it. They are settled, and the told clock rises, once the peers
 * that could have them all said they do not. A forged claim thus costs order, never an
 * event; what the node cannot recover is only what no peer it knows of holds.
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import type { SkipRange } from '../protocol/frame.js';
import { nodeOf } from '../protocol/origin.js';
import type { Clock, TimerHandle } from './clock.js';
import { SkipRanges } from './skips.js';

/** A peer as the decision sees it. */
export interface PeerClaim {
  readonly id: string;
  readonly linked: boolean;
  /** Its committed clock, as it last told it (what it can send, unless it said otherwise). */
  readonly clock: VectorClock;
  /** It relays every origin's events (it wants everything); otherwise it sends only its own node's. */
  readonly relays: boolean;
}

/** What `/status` shows of lost events (`lost`). */
export interface LostView {
  /** Seqs counted as lost since this node started. */
  readonly events: number;
  /** Seqs peers said they no longer hold that this node still waits to get from another peer. */
  readonly pending: number;
  /** Seqs counted as lost that not every known peer confirmed: still asked for from peers (absent: none). */
  readonly asking?: number;
  /** The peer whose notice the last decision followed, and when it was made (ms since the epoch). */
  readonly fromPeer?: string;
  readonly at?: number;
}

/**
 * The seqs to count as lost now, per origin, given each peer's notices: above
 * `delivered`, those that every peer able to send that origin and that told anything of
 * it said it no longer holds, less what a linked peer that told nothing of it holds (up
 * to its clock). A notice stays true once told, linked or not: a log never regrows.
 */
export function lostNow(notices: ReadonlyMap<string, SkipRanges>, peers: readonly PeerClaim[], delivered: VectorClock): SkipRange[] {
  const origins = new Set<string>();
  for (const ranges of notices.values()) for (const [origin] of ranges.entries()) origins.add(origin);
  const out: SkipRange[] = [];
  for (const origin of [...origins].sort()) {
    const able = peers.filter((p) => p.relays || nodeOf(origin) === p.id);
    const told = (p: PeerClaim): boolean => (notices.get(p.id)?.ranges(origin).length ?? 0) > 0;
    let lost: SkipRanges | undefined;
    for (const p of able) if (told(p)) lost = intersect(lost, notices.get(p.id)!, origin);
    if (lost === undefined) continue;
    lost.remove(origin, 1, delivered[origin] ?? 0);
    // A linked peer that told nothing of this origin holds all of it up to its clock.
    for (const p of able) if (p.linked && !told(p)) lost.remove(origin, 1, p.clock[origin] ?? 0);
    for (const [from, to] of lost.ranges(origin)) out.push({ origin, from, to });
  }
  return out;
}

/**
 * The seqs of `asked` (counted as lost, still asked for) that no known peer may hold:
 * every peer able to send their origin, linked or not, said it no longer holds them
 * (`confirmations`: not among those it said it still asks for itself). A known peer
 * offline that said nothing may hold them, and one whose clock does not count them yet
 * may still get them (its clock is lowered below seqs it asks for itself): they stay
 * asked for until it tells.
 */
export function settledNow(asked: SkipRanges, confirmations: ReadonlyMap<string, SkipRanges>, peers: readonly PeerClaim[]): SkipRange[] {
  const out: SkipRange[] = [];
  for (const [origin, ranges] of asked.entries()) {
    let settled = new SkipRanges();
    for (const [a, b] of ranges) settled.add(origin, a, b);
    for (const p of peers.filter((q) => q.relays || nodeOf(origin) === q.id)) {
      settled = intersect(settled, confirmations.get(p.id) ?? new SkipRanges(), origin);
    }
    for (const [from, to] of settled.ranges(origin)) out.push({ origin, from, to });
  }
  return out;
}

/** `acc` ∩ the ranges `told` has of `origin` (`acc` undefined: those ranges). */
function intersect(acc: SkipRanges | undefined, told: SkipRanges, origin: string): SkipRanges {
  const out = new SkipRanges();
  const pieces = acc === undefined ? told.ranges(origin) : acc.ranges(origin).flatMap(([a, b]) => told.within(origin, a, b));
  for (const [a, b] of pieces) out.add(origin, a, b);
  return out;
}

/** One node's notices of events peers no longer hold, and the decision to count them lost. */
export class LostEvents {
  private readonly clock: Clock;
  private readonly graceMs: number;
  private readonly log: Logger;
  private readonly peers: () => readonly PeerClaim[];
  private readonly delivered: () => VectorClock;
  private readonly apply: (ranges: readonly SkipRange[], asked: readonly SkipRange[]) => void;
  private readonly asked: () => SkipRanges;
  private readonly settle: (ranges: readonly SkipRange[]) => void;
  private readonly counted: (events: number) => void;
  private readonly waiting: () => void;
  /** The origins with seqs waited for, as last told through `waiting`. */
  private origins: ReadonlySet<string> = new Set();
  /** Per peer, the seqs it said it no longer holds (a log only loses entries: a notice stays true). */
  private readonly notices = new Map<string, SkipRanges>();
  /** Per peer, those of them it did not say it still asks for itself: what confirms seqs are gone. */
  private readonly confirmations = new Map<string, SkipRanges>();
  /** The seqs counted as lost since start. */
  private readonly lost = new SkipRanges();
  /** When the first notice of the current wait came (undefined: not waiting). */
  private since: number | undefined;
  private timer: TimerHandle | undefined;
  private last: { fromPeer: string; at: number } | undefined;
  /** What the last decision left asked for, until the intake has counted it (and so added it to `asked`). */
  private justAsked: readonly SkipRange[] = [];
  private stopped = false;

  constructor(args: {
    clock: Clock;
    /** How long to wait after a first notice before counting anything lost. */
    graceMs: number;
    log: Logger;
    /** Every known peer, linked or not. */
    peers: () => readonly PeerClaim[];
    /** What this node has delivered (or is delivering) so far. */
    delivered: () => VectorClock;
    /**
     * Counts the ranges in the clock as a skip notice would (in stream order, through the
     * intake); those in `asked` (parts of `ranges`) stay asked for from peers.
     */
    apply: (ranges: readonly SkipRange[], asked: readonly SkipRange[]) => void;
    /** The seqs counted as lost that are still asked for (kept with the skips, `interest-sync.ts`). [default none] */
    asked?: () => SkipRanges;
    /** Seqs asked for that every known peer able to send them confirmed lost: no longer asked for. [default nothing] */
    settle?: (ranges: readonly SkipRange[]) => void;
    /** Told how many seqs each decision counted (a metric). [default nothing] */
    counted?: (events: number) => void;
    /** Told when the origins this node waits for seqs of change ({@link waitingOrigins}). [default nothing] */
    waiting?: () => void;
  }) {
    this.waiting = args.waiting ?? (() => undefined);
    this.clock = args.clock;
    this.graceMs = args.graceMs;
    this.log = args.log;
    this.peers = args.peers;
    this.delivered = args.delivered;
    this.apply = args.apply;
    const none = new SkipRanges();
    this.asked = args.asked ?? (() => none);
    this.settle = args.settle ?? (() => undefined);
    this.counted = args.counted ?? (() => undefined);
  }

  /**
   * `peer` says its log starts at `first` and no longer holds `ranges`, which this node
   * lacks; of them, it still asks for `asked` itself (counted lost on a claim it could not
   * confirm), so those are no proof that the seqs are gone.
   */
  notice(peer: string, first: number, ranges: readonly SkipRange[], asked: readonly SkipRange[] = []): void {
    if (this.stopped) return;
    const delivered = this.delivered();
    const told = this.notices.get(peer) ?? new SkipRanges();
    const confirmed = this.confirmations.get(peer) ?? new SkipRanges();
    const claimed = new SkipRanges();
    let lacking = 0;
    for (const { origin, from, to } of ranges) {
      told.add(origin, from, to);
      claimed.add(origin, from, to);
      lacking += Math.max(0, to - Math.max(from, (delivered[origin] ?? 0) + 1) + 1);
    }
    for (const { origin, from, to } of asked) claimed.remove(origin, from, to);
    for (const [origin, rs] of claimed.entries()) for (const [a, b] of rs) confirmed.add(origin, a, b);
    this.notices.set(peer, told);
    this.confirmations.set(peer, confirmed);
    this.settleConfirmed();
    if (lacking === 0) return;
    this.rewait(delivered);
    this.log.warn(
      { peer, first, ranges, graceMs: this.graceMs },
      'a peer no longer holds events this node lacks (removed by its retention): waiting for a peer that holds them, else they are counted as lost',
    );
    if (this.since === undefined) {
      this.since = this.clock.now();
      this.arm(this.graceMs);
    }
  }

  /** Counts as lost what no peer can send, once the grace period is over; waits on for the rest. */
  decide(): void {
    if (this.stopped || this.since === undefined) return;
    const now = this.clock.now();
    if (now - this.since < this.graceMs) return this.arm(this.since + this.graceMs - now);
    const delivered = this.delivered();
    const ranges = lostNow(this.notices, this.peers(), delivered);
    const fresh = ranges.flatMap((r) => this.uncounted(r));
    if (fresh.length > 0) {
      const events = fresh.reduce((n, r) => n + r.to - r.from + 1, 0);
      for (const r of fresh) this.lost.add(r.origin, r.from, r.to);
      const asked = this.unconfirmed(fresh);
      this.justAsked = asked;
      const fromPeer = this.noticedBy(fresh[0]);
      this.last = { fromPeer, at: now };
      this.log.error(
        { code: 'TROUPE_EVENTS_LOST', events, ranges: fresh, fromPeer, asked },
        'events this node lacked are held by no linked peer (removed by retention past its hard cap, or a peer\'s claim): counted as lost so that delivery goes on; those a known peer did not confirm (asked) are still asked for, and delivered late if a peer sends them',
      );
      this.counted(events);
      this.apply(fresh, asked);
    }
    if (this.pending(delivered) === 0) {
      this.since = undefined;
      if (this.asked().empty && this.justAsked.length === 0) {
        this.notices.clear();
        this.confirmations.clear();
      }
    } else {
      this.arm(this.graceMs);
    }
    this.rewait(delivered);
  }

  /**
   * The origins with seqs a peer no longer holds that this node still waits for: while
   * their own node cannot send them, other peers are asked to relay them (`link-topology.ts`).
   */
  waitingOrigins(): ReadonlySet<string> {
    return this.origins;
  }

  /** Settles the seqs asked for that every known peer able to send them now confirmed lost. */
  private settleConfirmed(): void {
    const asked = this.asked();
    if (asked.empty) return;
    const settled = settledNow(asked, this.confirmations, this.peers());
    if (settled.length === 0) return;
    this.log.info({ ranges: settled }, 'every known peer able to send these lost events confirmed it no longer holds them: no longer asked for');
    this.settle(settled);
    this.rewait(this.delivered());
  }

  /** The parts of `ranges` not every known peer able to send them confirmed lost. */
  private unconfirmed(ranges: readonly SkipRange[]): SkipRange[] {
    const all = new SkipRanges();
    for (const r of ranges) all.add(r.origin, r.from, r.to);
    for (const r of settledNow(all, this.confirmations, this.peers())) all.remove(r.origin, r.from, r.to);
    return all.entries().flatMap(([origin, rs]) => rs.map(([from, to]) => ({ origin, from, to })));
  }

  /** Works out the origins waited for again, and says so if they changed. */
  private rewait(delivered: VectorClock): void {
    const next = new Set(this.since === undefined ? [] : [...this.left(delivered).entries()].map(([origin]) => origin));
    // Seqs asked for are fetched like a refill: relays are asked to send their origins too.
    for (const [origin] of this.asked().entries()) next.add(origin);
    this.justAsked = this.justAsked.filter((r) => (delivered[r.origin] ?? 0) < r.to);
    for (const r of this.justAsked) next.add(r.origin);
    if (next.size === this.origins.size && [...next].every((o) => this.origins.has(o))) return;
    this.origins = next;
    this.waiting();
  }

  /** As `/status` shows it; `undefined` when nothing was lost or is waited for. */
  view(): LostView | undefined {
    const pending = this.since === undefined ? 0 : this.pending(this.delivered());
    const asking = this.asked().total;
    if (this.lost.total === 0 && pending === 0 && asking === 0) return undefined;
    return { events: this.lost.total, pending, ...(asking > 0 ? { asking } : {}), ...(this.last ?? {}) };
  }

  /** Stops deciding. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  /** Seqs noticed, not delivered and not counted lost yet. */
  private pending(delivered: VectorClock): number {
    return this.left(delivered).total;
  }

  /** The seqs noticed, not delivered and not counted lost yet. */
  private left(delivered: VectorClock): SkipRanges {
    const left = new SkipRanges();
    for (const told of this.notices.values()) for (const [origin, ranges] of told.entries()) for (const [a, b] of ranges) left.add(origin, a, b);
    for (const [origin] of left.entries()) left.remove(origin, 1, delivered[origin] ?? 0);
    for (const [origin, ranges] of this.lost.entries()) for (const [a, b] of ranges) left.remove(origin, a, b);
    return left;
  }

  /** The parts of `r` not counted lost already. */
  private uncounted(r: SkipRange): SkipRange[] {
    const left = new SkipRanges();
    left.add(r.origin, r.from, r.to);
    for (const [a, b] of this.lost.ranges(r.origin)) left.remove(r.origin, a, b);
    return left.ranges(r.origin).map(([from, to]) => ({ origin: r.origin, from, to }));
  }

  /** A peer whose notice covers `r`. */
  private noticedBy(r: SkipRange): string {
    for (const [peer, told] of this.notices) if (told.has(r.origin, r.from)) return peer;
    return '';
  }

  private arm(ms: number): void {
    this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.decide(), ms);
  }
}
