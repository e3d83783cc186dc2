/**
 * Acks, both ways: when this node acknowledges what peers sent it, and what it keeps of
 * what peers acknowledged.
 *
 * Outgoing acks go a few ms after a commit to the peers whose window waits on one (at
 * once to a peer that sent a large share of its window since), and on each heartbeat to
 * every peer that has not heard the current clock. Incoming acks move a peer's
 * acknowledged clock; those clocks are handed out to be persisted at most once a second:
 * a stale record only means re-sending what a peer already has (it drops duplicates), and
 * a link always starts by exchanging clocks. All timing goes through the injected clock.
 */
import { copyClock, floorHas, floorOf, NO_FLOOR, type ClockFloor } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import { sum } from '../protocol/vector-clock.js';
import type { Clock, TimerHandle } from './clock.js';
import { sampleAckRate, settlePeerClocks, settleSkips, type Peer, type Peers } from './peer-state.js';

/** New events from one peer past which it is acknowledged right after the commit. */
export const EAGER_ACK_EVENTS = 1024;

/** How often at most acknowledged clocks are persisted. */
export const ACK_PERSIST_MS = 1000;

/** The acks of one node's replication. */
export class AckSchedule {
  private readonly peers: Peers;
  private readonly clock: Clock;
  private readonly committed: () => VectorClock;
  private readonly ackDelayMs: number;
  /** The clock as told to one peer (folded for it). */
  private readonly tell: (peer: Peer, vc: VectorClock) => VectorClock;
  /** The floor of the node's in-memory clocks, read live (`clock-floor.ts`). */
  private readonly floor: () => ClockFloor;
  private timer: TimerHandle | undefined;
  /** When acknowledged clocks were last handed out to be persisted. */
  private persistedAt = -Infinity;

  constructor(args: {
    peers: Peers;
    clock: Clock;
    committed: () => VectorClock;
    ackDelayMs: number;
    tell?: (peer: Peer, vc: VectorClock) => VectorClock;
    /** The floor peers' clocks move onto once they reach it. [default none] */
    floor?: () => ClockFloor;
  }) {
    this.tell = args.tell ?? ((_peer, vc) => vc);
    this.floor = args.floor ?? (() => NO_FLOOR);
    this.peers = args.peers;
    this.clock = args.clock;
    this.committed = args.committed;
    this.ackDelayMs = args.ackDelayMs;
  }

  /**
   * An `events` frame from `peer` was taken in: `fresh` of its `events` were new, and
   * some were dropped if `overflowed` (asked for again once the buffer has room). The
   * peer has every event it sent, so none is ever sent back to it. It waits on an ack
   * to reopen its window; a frame of duplicates only is acknowledged at once.
   */
  received(peer: Peer, events: readonly { readonly origin: string; readonly seq: number }[], fresh: number, overflowed: boolean): void {
    const floor = this.floor();
    for (const { origin, seq } of events) {
      // A retired origin's event its ack covers says nothing more (`settlePeerClocks` would drop it).
      if (seq > (peer.heard[origin] ?? 0) && !(floorHas(floor, origin) && seq <= (peer.acked[origin] ?? 0))) peer.heard[origin] = seq;
    }
    peer.owesAck = true;
    peer.unacked += fresh;
    if (overflowed) peer.wantAgain = true;
    else if (fresh === 0 && !peer.wantAgain) this.send(peer, this.committed());
  }

  /** `peer` acknowledged clock `vc`: what it has needs no sending, and its window reopens. */
  acknowledged(peer: Peer, vc: VectorClock): void {
    const floor = this.floor();
    let progressed = false;
    let retired = false;
    for (const o in vc) {
      const n = vc[o];
      if (n > (peer.acked[o] ?? 0)) {
        peer.acked[o] = n;
        progressed = true;
        if (!retired && floorHas(floor, o)) retired = true;
      }
      if (n > (peer.sent[o] ?? 0)) peer.sent[o] = n;
    }
    if (progressed) {
      // On the floor already, only a retired origin acknowledged further lets an entry go
      // (an event of one is sent, and heard, only above the ack): no rescan of every entry per ack.
      if (retired || floorOf(peer.acked) !== floor || floorOf(peer.sent) !== floor) settlePeerClocks(peer, floor);
      settleSkips(peer);
      peer.ackDirty = true;
      peer.lastProgress = this.clock.now();
    }
    sampleAckRate(peer, sum(peer.acked), this.clock.now());
  }

  /**
   * Acknowledges, a few ms after a commit, to the peers whose window waits on it: under
   * light load one ack then covers several commits instead of one frame each; the rest
   * hear the clock on the next heartbeat. A peer that sent `EAGER_ACK_EVENTS` or more
   * since its last ack hears now, so that its window never waits on the delay.
   */
  afterCommit(): void {
    for (const peer of this.peers.values()) {
      if (peer.link !== null && peer.owesAck && peer.unacked >= EAGER_ACK_EVENTS) this.send(peer, this.committed());
    }
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => this.delayedAcksDue(), this.ackDelayMs);
  }

  /** Acknowledges the committed clock to `peer` if it has not heard it yet (a heartbeat's ack). */
  acknowledgeIfBehind(peer: Peer, committed: VectorClock, committedSum: number): void {
    if (peer.ackedSum !== committedSum) this.send(peer, committed);
  }

  /** Sends `peer` an ack of `vc`. */
  send(peer: Peer, vc: VectorClock): void {
    peer.owesAck = false;
    peer.unacked = 0;
    peer.ackedSum = sum(vc);
    if (peer.link !== null) peer.link.send({ type: 'ack', vc: this.tell(peer, vc) });
  }

  /**
   * The peers' acknowledged clocks that changed since last taken, to persist: at most
   * once per `ACK_PERSIST_MS`, unless `now` (when stopping); every peer's if `all` (the
   * batch changes the retirements stored, against which stored clocks are read back:
   * `Store.commit`).
   */
  dirty(now = false, all = false): Map<string, VectorClock> {
    const acks = new Map<string, VectorClock>();
    const at = this.clock.now();
    if (!now && !all && at - this.persistedAt < ACK_PERSIST_MS) return acks;
    this.persistedAt = at;
    for (const p of this.peers.values()) {
      if (!p.ackDirty && !all) continue;
      acks.set(p.id, copyClock(p.acked));
      p.ackDirty = false;
    }
    return acks;
  }

  /** Cancels a pending delayed ack for good: no later commit arms another (used when stopping). */
  cancel(): void {
    this.clock.clearTimeout(this.timer);
  }

  private delayedAcksDue(): void {
    this.timer = undefined;
    for (const peer of this.peers.values()) {
      if (peer.link !== null && peer.owesAck) this.send(peer, this.committed());
    }
  }
}
