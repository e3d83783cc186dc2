/**
 * What this node knows of each peer: its link, what it acknowledged, what was sent to it
 * on the current link, and the pacing flags of its acks. Plain records, read and changed
 * by the parts of replication (topology, outboxes, acks, heartbeat) that share them.
 */
import { copyClock, floored, floorHas, NO_FLOOR, settleOnFloor, type ClockFloor } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { missingCount } from '../protocol/vector-clock.js';
import { InterestFilter, isEverything } from './interest.js';

/** An authenticated connection to a peer, as the fabric uses it. */
export interface PeerLink {
  /** The peer's node id, proved in the handshake. */
  readonly peer: string;
  /** Where the peer serves its admin API, if it said in the handshake. */
  readonly admin?: string;
  /** The origin the peer stamps under now (its node id and the incarnation its hello told), or its node id if it did not say. */
  readonly origin: string;
  /** The event types the peer wants, if its handshake said (absent: everything). */
  readonly interest?: readonly string[];
  /** The peer runs `--relaxed`: its acks are not durable. [default false] */
  readonly relaxed?: boolean;
  /** The peer reads folded `want` and `ack` clocks and may send them (`clock-folding.ts`). [default false] */
  readonly folds?: boolean;
  send(frame: Frame): void;
  /** Bytes queued in the socket and not yet sent. */
  readonly bufferedAmount: number;
  close(code: number, reason: string): void;
  /** Stops reading from the peer (backpressure: it then waits on TCP) until `resume`. */
  pause(): void;
  resume(): void;
}

/** A peer as `/status` shows it. */
export interface PeerView {
  readonly id: string;
  readonly connected: boolean;
  /** Events this node has that the peer has not acknowledged. */
  readonly outbox: number;
  /** The peer's admin API URL, as its last handshake told it. */
  readonly admin?: string;
  /** When its link last came up or went down (ms since the epoch; 0: not since this node started). */
  readonly since: number;
  /** The event types the peer wants; absent: everything. */
  readonly interest?: readonly string[];
  /** While the outbox drains: how fast the peer acknowledges (events/s) and when it will be done at that pace (ms). */
  readonly catchUp?: { readonly rate: number; readonly etaMs: number };
  /** It asked for events this node's log no longer retains (`TROUPE_PEER_BEHIND_RETENTION`): another node, or a rebuild, must bring it up to date. */
  readonly behindRetention?: boolean;
}

/** One peer's replication state. */
export interface Peer {
  readonly id: string;
  link: PeerLink | null;
  /** Its admin API URL, as its last handshake that told one said. */
  admin?: string;
  /** When its link last came up or went down (0: not since this node started). */
  since: number;
  /** What the peer wants, as its last handshake told it; `null`: everything. */
  interest: InterestFilter | null;
  /**
   * Whether its acks are durable: its last `want` came on a link whose hello did not say
   * `relaxed`, or, before it links again, what was stored of it (`dur/`). Only durable
   * acks let this node compact its log (`causal-stability.ts`).
   */
  durable: boolean;
  /** It asked to resume below what this node's log retains (`log-compaction.ts`). */
  behindRetention: boolean;
  /** The peer's committed clock as it last told us; on the node's floor once it counts what that retires (`clock-floor.ts`). */
  acked: VectorClock;
  /** What has been sent on the current link (≥ acked); a copy of `acked` (`copyClock`) when reset. */
  sent: VectorClock;
  /** The newest event of each origin the peer sent us on the current link: it has those. */
  heard: VectorClock;
  /** Per origin, the last seq listed by a checkpoint sent on the current link (`origin-proofs.ts`). */
  proved: VectorClock;
  /** Per origin, the last seq listed by a checkpoint sent on the current link as a `cover` (`skip-proofs.ts`). */
  covered: VectorClock;
  /**
   * Skip runs sent on the current link and not yet acknowledged (`sent` counts their
   * seqs): each takes one place in the window, whatever the number of seqs it covers.
   */
  skipping: SkipRun[];
  /** Next log position to consider sending. */
  cursor: number;
  /** Bumped whenever `sent`/`cursor` are reset, so a send pass that awaited can tell. */
  epoch: number;
  /** Origins of the nodes the peer is linked to directly; their events are not relayed to it. */
  direct: Set<string>;
  sending: boolean;
  ackDirty: boolean;
  /** It sent us events since our last ack to it: it waits on that ack to reopen its window. */
  owesAck: boolean;
  /** New events it sent since our last ack to it. */
  unacked: number;
  /** Sum of the clock we last acknowledged to it. */
  ackedSum: number;
  /** It sent events that overflowed the causal buffer: ask again once there is room. */
  wantAgain: boolean;
  /** When it last acknowledged something new, or its sending last restarted. */
  lastProgress: number;
  /** Events per second it acknowledged lately (a moving average; 0: none lately). */
  ackRate: number;
  /** The sum of its acknowledged clock and when, at the last rate sample. */
  rateSample: { at: number; sum: number } | null;
}

/** Seqs `from`…`to` of `origin` sent to a peer as one skip notice. */
export interface SkipRun {
  readonly origin: string;
  readonly from: number;
  to: number;
}

/** The peers of one node by id, shared by the parts of replication. */
export type Peers = Map<string, Peer>;

/** A peer known only by what it acknowledged (from the store, or just met), and whether durably; its clocks on `floor`. */
export function newPeer(id: string, acked: VectorClock, durable = false, floor: ClockFloor = NO_FLOOR): Peer {
  const onIt = floored(acked, floor);
  return {
    id,
    link: null,
    acked: onIt,
    sent: copyClock(onIt),
    heard: {},
    proved: {},
    covered: {},
    skipping: [],
    cursor: 1,
    epoch: 0,
    direct: new Set(),
    sending: false,
    ackDirty: false,
    owesAck: false,
    unacked: 0,
    ackedSum: -1,
    wantAgain: false,
    lastProgress: 0,
    since: 0,
    interest: null,
    ackRate: 0,
    rateSample: null,
    durable,
    behindRetention: false,
  };
}

/**
 * Places taken in `peer`'s window: events sent and not yet acknowledged, and skip runs,
 * one place each. A run of skipped seqs costs the receiver one range to apply, not one
 * per seq; counted per seq, a partial peer's window filled with skips it had already
 * applied, and reopened only as fast as its acks came back, behind whatever it was
 * sending on the same link.
 */
export function inflight(peer: Peer): number {
  let n = 0;
  for (const o in peer.sent) n += Math.max(0, peer.sent[o] - (peer.acked[o] ?? 0));
  for (const run of peer.skipping) {
    const acked = peer.acked[run.origin] ?? 0;
    if (run.to > acked) n -= run.to - Math.max(run.from, acked + 1);
  }
  return n;
}

/** Forgets the skip runs `peer` acknowledged whole. */
export function settleSkips(peer: Peer): void {
  if (peer.skipping.length > 0) peer.skipping = peer.skipping.filter((run) => run.to > (peer.acked[run.origin] ?? 0));
}

/**
 * After `peer` acknowledged more: its acknowledged and sent clocks move onto `floor` once
 * they reach it (the retired origins they count at their final seq then take no entry),
 * and its per-link clocks let go of the retired origins its acknowledged clock covers.
 * Those entries say nothing then: an event is sent only above `sent`, which is never below
 * `acked`, and a checkpoint only for an event sent.
 */
export function settlePeerClocks(peer: Peer, floor: ClockFloor): void {
  if (floor === NO_FLOOR) return;
  settleOnFloor(peer.acked, floor);
  settleOnFloor(peer.sent, floor);
  const acked = peer.acked;
  for (const vc of [peer.heard, peer.proved, peer.covered]) {
    for (const k of Object.keys(vc)) if (floorHas(floor, k) && vc[k] <= (acked[k] ?? 0)) delete (vc as Record<string, number>)[k];
  }
}

/** How many entries the clocks of `peers` hold in memory, per kind: `acked`, `sent`, and the per-link `heard`, `proved`, `covered` together (`link`). */
export function clockEntries(peers: Iterable<Peer>): { acked: number; sent: number; link: number } {
  const out = { acked: 0, sent: 0, link: 0 };
  for (const p of peers) {
    out.acked += Object.keys(p.acked).length;
    out.sent += Object.keys(p.sent).length;
    out.link += Object.keys(p.heard).length + Object.keys(p.proved).length + Object.keys(p.covered).length;
  }
  return out;
}

/** `peer` as `/status` shows it, given this node's committed clock. */
export function peerView(peer: Peer, committed: VectorClock): PeerView {
  const outbox = missingCount(committed, peer.acked);
  const rate = Math.round(peer.ackRate);
  return {
    id: peer.id,
    connected: peer.link !== null,
    outbox,
    ...(outbox > 0 && rate > 0 && peer.link !== null ? { catchUp: { rate, etaMs: Math.round((outbox / rate) * 1000) } } : {}),
    since: peer.since,
    ...(peer.admin === undefined ? {} : { admin: peer.admin }),
    ...(peer.interest === null ? {} : { interest: peer.interest.interest }),
    ...(peer.behindRetention ? { behindRetention: true } : {}),
  };
}

/** How often at most the acknowledgement rate is sampled, and how much a sample weighs. */
const RATE_SAMPLE_MS = 500;
const RATE_WEIGHT = 0.5;

/** Samples how fast `peer` acknowledges, given the sum of its acknowledged clock at `now`. */
export function sampleAckRate(peer: Peer, ackedSum: number, now: number): void {
  const last = peer.rateSample;
  if (last === null || ackedSum < last.sum) {
    peer.rateSample = { at: now, sum: ackedSum };
    return;
  }
  if (now - last.at < RATE_SAMPLE_MS) return;
  const rate = ((ackedSum - last.sum) * 1000) / (now - last.at);
  peer.ackRate = peer.ackRate === 0 ? rate : RATE_WEIGHT * rate + (1 - RATE_WEIGHT) * peer.ackRate;
  peer.rateSample = { at: now, sum: ackedSum };
}

/** What a peer that told `interest` in its handshake wants (`null`: everything). */
export function peerInterest(interest: readonly string[] | undefined): InterestFilter | null {
  return interest === undefined || isEverything(interest) ? null : new InterestFilter(interest);
}
