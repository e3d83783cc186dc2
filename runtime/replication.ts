/**
 * Replication: what each peer has, and sending it what it lacks. It wires four parts
 * over one table of peers (`peer-state.ts`):
 *
 * - `link-topology.ts`: which peers are linked, and telling them about it;
 * - `outbox.ts`: each peer's cursor through the log, and the frames it sends;
 * - `ack-schedule.ts`: acks out (paced after commits) and in (persisted at most once a
 *   second);
 * - `replication-heartbeat.ts`: the periodic ack, resumed push and stall detection.
 *
 * The fabric tells it when a commit lands and hands it the frames peers send about their
 * clocks and links. Every timer goes through the injected `Clock`.
 */
import type { Logger } from 'pino';
import { floored, NO_FLOOR, type ClockFloor } from '../protocol/clock-floor.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { nodeOf } from '../protocol/origin.js';
import { AckSchedule } from './ack-schedule.js';
import type { Member } from './causal-stability.js';
import { systemClock, type Clock } from './clock.js';
import { LinkTopology } from './link-topology.js';
import { Outboxes, type OutgoingEvent, type ReadStored } from './outbox.js';
import type { PeerClaim } from './lost-events.js';
import { askedWithin, gapsFor } from './retention-gaps.js';
import { SkipRanges, type Ranges } from './skips.js';
import { clockEntries, newPeer, peerView, settlePeerClocks, type Peer, type PeerLink, type Peers, type PeerView } from './peer-state.js';
import type { OriginProofs } from './origin-proofs.js';
import type { RecentLog } from './recent-log.js';
import { ReplicationHeartbeat } from './replication-heartbeat.js';
import type { Store } from './store.js';
import type { ToldFolding } from './told-folding.js';

export type { OutgoingEvent, Peer, PeerLink, PeerView };

/** Per peer, the ids of some events the peer has not acknowledged (as `/trace` shows them). */
export interface PeerOutbox {
  readonly peer: string;
  readonly connected: boolean;
  readonly since: number;
  readonly pending: string[];
}

/** The per-peer outboxes of one node's fabric, and the acks that drive them. */
export class Replication {
  private readonly log: Logger;
  /** The fabric's committed clock (delivered and on disk), read live. */
  private readonly committed: () => VectorClock;
  private readonly peers: Peers = new Map();
  private readonly topology: LinkTopology;
  private readonly outboxes: Outboxes;
  private readonly acks: AckSchedule;
  private readonly heartbeat: ReplicationHeartbeat;
  private readonly run: (task: Promise<void>) => void;
  private readonly store: Store;
  /** This node's id. */
  private readonly id: string;
  /** Leaves retired origins out of told clocks for peers that read them back; absent: none. */
  private readonly folding: ToldFolding | undefined;
  /** The floor of the node's in-memory clocks (`clock-floor.ts`). */
  private readonly floor: () => ClockFloor;

  constructor(args: {
    /** The origin this node stamps under now. */
    origin: string;
    store: Store;
    recent: RecentLog;
    log: Logger;
    committed: () => VectorClock;
    readStored: ReadStored;
    acks: ReadonlyMap<string, VectorClock>;
    /** Per peer of `acks`, whether its clock was acknowledged durably, as last stored (`dur/`). [default none: not durable until its hello] */
    durability?: ReadonlyMap<string, boolean>;
    window: number;
    frameEvents: number;
    frameBytes: number;
    stallMs: number;
    ackDelayMs: number;
    /** The origin checkpoints sent ahead of events; none on a node without a key. */
    proofs?: OriginProofs;
    /** Time and timers. [default the system clock] */
    clock?: Clock;
    /** Runs a task nobody awaits (the fabric counts them). [default: run it, logging a failure] */
    background?: (task: Promise<void>) => void;
    /**
     * The clock told to peers in `want` and `ack`: the committed one, less what this node
     * is fetching back after its interest widened (`interest-sync.ts`). [default `committed`]
     */
    told?: () => VectorClock;
    /** Whether this node wants less than everything (it then relays nothing). [default false] */
    partial?: boolean;
    /** Seqs this node counts without holding, per origin (its skips); told on to peers that lack them unless partial. [default none] */
    held?: () => Iterable<readonly [string, Ranges]>;
    /** Of `held`, the seqs counted lost that this node still asks for: told as such, no proof they are gone (`lost-events.ts`). [default none] */
    asked?: () => SkipRanges;
    /** Origins left out of `links` so that peers relay them (`link-topology.ts`). [default none] */
    withheld?: () => ReadonlySet<string>;
    /** Folds told clocks for the peers that read them (`told-folding.ts`). [default none: every entry is sent] */
    folding?: ToldFolding;
    /** The floor of the node's in-memory clocks, read live: peers' clocks move onto it once they reach it (`clock-floor.ts`). [default none] */
    floor?: () => ClockFloor;
  }) {
    const clock = args.clock ?? systemClock;
    const { committed, recent } = args;
    const told = args.told ?? committed;
    this.log = args.log;
    this.committed = committed;
    this.store = args.store;
    this.id = nodeOf(args.origin);
    this.run = args.background ?? ((task) => this.logFailure(task));
    const folding = (this.folding = args.folding);
    const tell = (peer: Peer, vc: VectorClock): VectorClock => (folding === undefined ? vc : folding.toPeer(peer, vc));
    const floor = (this.floor = args.floor ?? (() => NO_FLOOR));
    for (const [id, acked] of args.acks) this.peers.set(id, newPeer(id, acked, args.durability?.get(id) ?? false, floor()));
    const peers = this.peers;
    this.topology = new LinkTopology({ peers, recent, clock, wantClock: (peer) => tell(peer, { ...told() }), withheld: args.withheld });
    const partial = args.partial ?? false;
    const held = partial ? () => [] : (args.held ?? (() => []));
    const asked = args.asked ?? (() => new SkipRanges());
    this.outboxes = new Outboxes({
      ...args,
      clock,
      behind: (peer, first) => this.peerBehind(peer, first),
      tellGaps: (peer, first, behind) => this.tellGaps(peer, first, behind, held(), asked(), (origin) => nodeOf(origin) === this.id || !partial),
    });
    this.acks = new AckSchedule({ peers, clock, committed: told, ackDelayMs: args.ackDelayMs, tell, floor });
    this.heartbeat = new ReplicationHeartbeat({
      peers, acks: this.acks, outboxes: this.outboxes, clock, log: this.log, committed: told, stallMs: args.stallMs,
      background: (task) => this.background(task),
    });
  }

  /** Every known peer with its link state and outbox depth. */
  peerViews(): PeerView[] {
    const committed = this.committed();
    return [...this.peers.values()].map((p) => peerView(p, committed));
  }

  /** How many entries the peers' clocks hold in memory, by kind (`troupe_clock_entries`). */
  clockEntries(): { acked: number; sent: number; link: number } {
    return clockEntries(this.peers.values());
  }

  /** The members this node knows of, with what each acknowledged and whether durably (`causal-stability.ts`). */
  members(): Member[] {
    return [...this.peers.values()].map((p) => ({ id: p.id, acked: p.acked, durable: p.durable }));
  }

  /** Every known peer as the lost-events decision sees it (`lost-events.ts`). */
  claims(): PeerClaim[] {
    return [...this.peers.values()].map((p) => ({ id: p.id, linked: p.link !== null, clock: p.acked, relays: p.interest === null }));
  }

  /** Tells every linked peer this node's links again: the origins it withholds changed. */
  reannounce(): void {
    this.topology.reannounce();
  }

  /** Ids of the peers linked right now. */
  linkedPeers(): string[] {
    return this.topology.linkedPeers();
  }

  /** Per peer, the ids of `events` the peer has not acknowledged. */
  outboxesOf(events: readonly Envelope[]): PeerOutbox[] {
    return [...this.peers.values()].map((p) => ({
      peer: p.id,
      connected: p.link !== null,
      since: p.since,
      pending: events.filter((e) => e.seq > (p.acked[e.origin] ?? 0)).map((e) => e.id),
    }));
  }

  /** The peer `link` belongs to, if `link` is its current link. */
  linked(link: PeerLink): Peer | undefined {
    return this.topology.linked(link);
  }

  /**
   * A peer proved its identity. Returns false if it already has a link (the caller
   * closes the newer one).
   */
  linkUp(link: PeerLink): boolean {
    return this.topology.up(link);
  }

  /** A peer's link closed. */
  linkDown(link: PeerLink): void {
    this.topology.down(link);
  }

  /** A clock `link`'s peer told (`want`, `ack`), with the retired origins it left out read back. */
  readTold(link: PeerLink, vc: VectorClock): VectorClock {
    return this.folding === undefined ? vc : this.folding.fromPeer(link, vc);
  }

  /** The peer acknowledged `vc` (`ack`): sends on within its reopened window. */
  receiveAck(peer: Peer, vc: VectorClock): void {
    this.acks.acknowledged(peer, vc);
    this.background(this.outboxes.push(peer));
    if (peer.behindRetention) this.background(this.outboxes.recheckBehind(peer));
  }

  /** The peer told its whole clock (`want`): it has exactly that, so resend from there. */
  async receiveWant(peer: Peer, vc: VectorClock): Promise<void> {
    peer.acked = floored(vc, this.floor());
    // Acked replaced, not raised: the per-link clocks let go of what it covers now (`AckSchedule.acknowledged` only looks at what it raised).
    settlePeerClocks(peer, this.floor());
    peer.ackDirty = true;
    // Its whole clock, told on a link that did not say relaxed: what it has on disk.
    if (peer.link !== null && peer.link.relaxed !== true) peer.durable = true;
    await this.outboxes.rewind(peer);
  }

  /** The peer told its direct links (`links`). */
  receiveLinks(peer: Peer, links: readonly string[]): void {
    // A peer that lost a link now needs that origin's events relayed: resend from its ack.
    if (this.topology.peerLinks(peer, links)) this.background(this.outboxes.rewind(peer));
  }

  /** After a commit that added events: pushes them on to every linked peer. */
  pushAll(): void {
    for (const peer of this.peers.values()) {
      if (peer.link === null) continue;
      this.background(this.outboxes.push(peer));
    }
  }

  /** An `events` frame from `peer` was taken in (see {@link AckSchedule.received}). */
  received(peer: Peer, events: readonly { readonly origin: string; readonly seq: number }[], fresh: number, overflowed: boolean): void {
    this.acks.received(peer, events, fresh, overflowed);
  }

  /** After a commit that added events: acks go out shortly (see {@link AckSchedule.afterCommit}). */
  scheduleAcks(): void {
    this.acks.afterCommit();
  }

  /** Peers whose events overflowed the causal buffer are asked again, at clock `vc()`. */
  askAgain(vc: () => VectorClock): void {
    for (const p of this.peers.values()) {
      if (!p.wantAgain || p.link === null) continue;
      p.wantAgain = false;
      p.link.send({ type: 'want', vc: this.folding === undefined ? vc() : this.folding.toPeer(p, vc()) });
    }
  }

  /** The acknowledged clocks to persist (see {@link AckSchedule.dirty}). */
  dirtyAcks(now = false, all = false): Map<string, VectorClock> {
    return this.acks.dirty(now, all);
  }

  /**
   * Whether each of `peers` acknowledged durably, read in the same turn as their clocks
   * (`dirtyAcks`), so that the stored pair agrees: a peer counts as durable only once a
   * durable link told its whole clock (`want`), and as relaxed from its relaxed hello on.
   */
  durabilityOf(peers: Iterable<string>): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const id of peers) {
      const peer = this.peers.get(id);
      if (peer !== undefined) out.set(id, peer.durable);
    }
    return out;
  }

  /**
   * Node `id` was retired for good (`troupe forget`): unless it is linked, it is no longer
   * a member, so its old acknowledgement holds nothing back and no outbox waits for it.
   */
  forget(id: string): void {
    const peer = this.peers.get(id);
    if (peer !== undefined && peer.link === null) this.peers.delete(id);
  }

  /** Stops the heartbeat. */
  stopTicking(): void {
    this.heartbeat.stop();
  }

  /** Cancels a pending delayed ack. */
  cancelAcks(): void {
    this.acks.cancel();
  }

  /** A peer asked to resume below what the log retains: said loudly, once per time it falls behind. */
  private peerBehind(peer: Peer, first: number): void {
    this.log.warn(
      { code: 'TROUPE_PEER_BEHIND_RETENTION', peer: peer.id, first },
      'a peer lacks events this node removed by retention: it is told so (a lost frame) and sent what is retained; it gets what it lacks from another node, or counts it as lost',
    );
  }

  /**
   * Tells `peer` (a `lost` frame) the seqs it lacks that this node cannot send: below
   * the first retained position when it is behind it, and those this node itself lost.
   */
  private async tellGaps(peer: Peer, first: number, behind: boolean, held: Iterable<readonly [string, Ranges]>, asked: SkipRanges, sends: (origin: string) => boolean): Promise<void> {
    const removed = behind ? ((await this.store.clocks.clockBefore(first)) ?? {}) : {};
    const ranges = gapsFor({ removed, held, acked: peer.acked, peerOrigin: peer.link?.origin, sends });
    const still = askedWithin(ranges, asked);
    if (ranges.length > 0) peer.link?.send({ type: 'lost', first, ranges, ...(still.length > 0 ? { asked: still } : {}) });
  }

  /** Runs a task nobody awaits. */
  private background(task: Promise<void>): void {
    this.run(task);
  }

  /** Logs a background task's failure, never an unhandled rejection. */
  private logFailure(task: Promise<void>): void {
    task.catch((err: unknown) => this.log.error({ err }, 'background fabric task failed'));
  }
}
