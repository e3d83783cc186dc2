/**
 * Replication: what each peer has, and sending it what it lacks.
 *
 * A peer's outbox is not a copy but a cursor: the log entries above the clock the peer
 * acknowledged. Each peer gets events in this node's delivery order (which is causal),
 * read from the in-memory tail or from disk, with at most `window` events unacknowledged
 * and at most `frameBytes` waiting unsent in its socket. A relay skips events whose
 * origin the peer is linked to directly (peers announce their links), so a full mesh
 * sends each event once per peer.
 *
 * Acks flow back the same way: a few ms after a commit to the peers whose window waits
 * on one (at once to a peer that sent a large share of its window since), and once a
 * second to every peer that has not heard the current clock. A peer whose acks stop
 * while events are in flight is re-sent from its last ack. What peers acknowledged is
 * persisted at most once a second: a stale record only means re-sending what a peer
 * already has (it drops duplicates), and a link always starts by exchanging clocks.
 */
import type { Logger } from 'pino';
import type { EncodedEvent, Envelope, VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { dominates, missingCount, sum } from '../protocol/vector-clock.js';
import type { RecentLog } from './recent-log.js';
import type { Store, StoredEvent } from './store.js';

/** An authenticated connection to a peer, as the fabric uses it. */
export interface PeerLink {
  /** The peer's node id, proved in the handshake. */
  readonly peer: string;
  /** Where the peer serves its admin API, if it said in the handshake. */
  readonly admin?: string;
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
}

/** What sending needs of a logged event. */
export type OutgoingEvent = Pick<StoredEvent, 'pos' | 'origin' | 'seq' | 'bytes'>;

/** One peer's replication state. */
export interface Peer {
  readonly id: string;
  link: PeerLink | null;
  /** Its admin API URL, as its last handshake that told one said. */
  admin?: string;
  /** When its link last came up or went down (0: not since this node started). */
  since: number;
  /** The peer's committed clock as it last told us. */
  acked: VectorClock;
  /** What has been sent on the current link (≥ acked). */
  sent: VectorClock;
  /** The newest event of each origin the peer sent us on the current link: it has those. */
  heard: VectorClock;
  /** Next log position to consider sending. */
  cursor: number;
  /** Bumped whenever `sent`/`cursor` are reset, so a send pass that awaited can tell. */
  epoch: number;
  /** Nodes the peer is linked to directly; their events are not relayed to it. */
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
  lastProgress: number;
}

/** New events from one peer past which it is acknowledged right after the commit. */
const EAGER_ACK_EVENTS = 1024;

/** How often at most acknowledged clocks are persisted. */
const ACK_PERSIST_MS = 1000;

/** The per-peer outboxes of one node's fabric, and the acks that drive them. */
export class Replication {
  private readonly id: string;
  private readonly store: Store;
  private readonly recent: RecentLog;
  private readonly log: Logger;
  /** The fabric's committed clock (delivered and on disk), read live. */
  private readonly committed: () => VectorClock;
  /** Reads logged events from `from` out of the store. */
  private readonly readStored: (from: number, limit: number) => Promise<OutgoingEvent[]>;
  private readonly window: number;
  private readonly frameEvents: number;
  private readonly frameBytes: number;
  private readonly stallMs: number;
  private readonly ackDelayMs: number;
  private readonly peers = new Map<string, Peer>();
  private readonly heartbeat: NodeJS.Timeout;
  private ackTimer: NodeJS.Timeout | undefined;
  /** When acknowledged clocks were last handed out to be persisted. */
  private acksPersistedAt = 0;

  constructor(args: {
    id: string;
    store: Store;
    recent: RecentLog;
    log: Logger;
    committed: () => VectorClock;
    readStored: (from: number, limit: number) => Promise<OutgoingEvent[]>;
    acks: ReadonlyMap<string, VectorClock>;
    window: number;
    frameEvents: number;
    frameBytes: number;
    stallMs: number;
    ackDelayMs: number;
  }) {
    this.id = args.id;
    this.store = args.store;
    this.recent = args.recent;
    this.log = args.log;
    this.committed = args.committed;
    this.readStored = args.readStored;
    this.window = args.window;
    this.frameEvents = args.frameEvents;
    this.frameBytes = args.frameBytes;
    this.stallMs = args.stallMs;
    this.ackDelayMs = args.ackDelayMs;
    for (const [id, acked] of args.acks) this.peers.set(id, newPeer(id, acked));
    this.heartbeat = setInterval(() => this.tick(), Math.min(1000, this.stallMs));
    this.heartbeat.unref();
  }

  /** Every known peer with its link state and outbox depth. */
  peerViews(): PeerView[] {
    return [...this.peers.values()].map((p) => ({
      id: p.id,
      connected: p.link !== null,
      outbox: missingCount(this.committed(), p.acked),
      since: p.since,
      ...(p.admin === undefined ? {} : { admin: p.admin }),
    }));
  }

  /** Ids of the peers linked right now. */
  linkedPeers(): string[] {
    return [...this.peers.values()].filter((p) => p.link !== null).map((p) => p.id);
  }

  /** Per peer, the ids of `events` the peer has not acknowledged. */
  outboxes(events: readonly Envelope[]): { peer: string; connected: boolean; since: number; pending: string[] }[] {
    return [...this.peers.values()].map((p) => ({
      peer: p.id,
      connected: p.link !== null,
      since: p.since,
      pending: events.filter((e) => e.seq > (p.acked[e.origin] ?? 0)).map((e) => e.id),
    }));
  }

  /** The peer `link` belongs to, if `link` is its current link. */
  linked(link: PeerLink): Peer | undefined {
    const peer = this.peers.get(link.peer);
    return peer === undefined || peer.link !== link ? undefined : peer;
  }

  /**
   * A peer proved its identity. Returns false if it already has a link (the caller
   * closes the newer one).
   */
  linkUp(link: PeerLink): boolean {
    const peer = this.peers.get(link.peer) ?? newPeer(link.peer, {});
    this.peers.set(peer.id, peer);
    if (peer.link !== null) return false;
    peer.link = link;
    peer.since = Date.now();
    if (link.admin !== undefined) peer.admin = link.admin;
    peer.direct = new Set();
    peer.sent = { ...peer.acked };
    peer.heard = {};
    peer.cursor = this.recent.end;
    peer.epoch++;
    peer.lastProgress = Date.now();
    // `links` first: the peer must know what not to relay before it starts sending.
    link.send({ type: 'links', links: this.linkedPeers() });
    link.send({ type: 'want', vc: { ...this.committed() } });
    this.announceLinks(peer.id);
    return true;
  }

  /** A peer's link closed. */
  linkDown(link: PeerLink): void {
    const peer = this.peers.get(link.peer);
    if (peer === undefined || peer.link !== link) return;
    peer.link = null;
    peer.since = Date.now();
    peer.epoch++;
    this.announceLinks(peer.id);
  }

  receiveAck(peer: Peer, vc: VectorClock): void {
    let progressed = false;
    for (const o in vc) {
      const n = vc[o];
      if (n > (peer.acked[o] ?? 0)) {
        peer.acked[o] = n;
        progressed = true;
      }
      if (n > (peer.sent[o] ?? 0)) peer.sent[o] = n;
    }
    if (progressed) {
      peer.ackDirty = true;
      peer.lastProgress = Date.now();
    }
    this.background(this.pushTo(peer));
  }

  /** The peer told its whole clock (`want`): it has exactly that, so resend from there. */
  async receiveWant(peer: Peer, vc: VectorClock): Promise<void> {
    peer.acked = { ...vc };
    peer.ackDirty = true;
    await this.rewind(peer);
  }

  receiveLinks(peer: Peer, links: readonly string[]): void {
    const next = new Set(links);
    const lost = [...peer.direct].some((id) => !next.has(id));
    peer.direct = next;
    // A peer that lost a link now needs that origin's events relayed: resend from its ack.
    if (lost) this.background(this.rewind(peer));
  }

  /** After a commit that added events: pushes them on to every linked peer. */
  pushAll(): void {
    for (const peer of this.peers.values()) {
      if (peer.link === null) continue;
      this.background(this.pushTo(peer));
    }
  }

  /**
   * An `events` frame from `peer` was taken in: `fresh` of its `events` were new, and
   * some were dropped if `overflowed` (asked for again once the buffer has room). The
   * peer has every event it sent, so none is ever sent back to it. It waits on an ack
   * to reopen its window; a frame of duplicates only is acknowledged at once.
   */
  received(peer: Peer, events: readonly { readonly origin: string; readonly seq: number }[], fresh: number, overflowed: boolean): void {
    for (const { origin, seq } of events) {
      if (seq > (peer.heard[origin] ?? 0)) peer.heard[origin] = seq;
    }
    peer.owesAck = true;
    peer.unacked += fresh;
    if (overflowed) peer.wantAgain = true;
    else if (fresh === 0 && !peer.wantAgain) this.sendAck(peer, this.committed());
  }

  /**
   * Acknowledges, a few ms after a commit, to the peers whose window waits on it: under
   * light load one ack then covers several commits instead of one frame each; the rest
   * hear the clock on the next tick. A peer that sent `EAGER_ACK_EVENTS` or more since
   * its last ack hears now, so that its window never waits on the delay.
   */
  scheduleAcks(): void {
    for (const peer of this.peers.values()) {
      if (peer.link !== null && peer.owesAck && peer.unacked >= EAGER_ACK_EVENTS) this.sendAck(peer, this.committed());
    }
    if (this.ackTimer !== undefined) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      for (const peer of this.peers.values()) {
        if (peer.link !== null && peer.owesAck) this.sendAck(peer, this.committed());
      }
    }, this.ackDelayMs);
  }

  sendAck(peer: Peer, vc: VectorClock): void {
    peer.owesAck = false;
    peer.unacked = 0;
    peer.ackedSum = sum(vc);
    peer.link?.send({ type: 'ack', vc });
  }

  /** Peers whose events overflowed the causal buffer are asked again, at clock `vc()`. */
  askAgain(vc: () => VectorClock): void {
    for (const p of this.peers.values()) {
      if (!p.wantAgain || p.link === null) continue;
      p.wantAgain = false;
      p.link.send({ type: 'want', vc: vc() });
    }
  }

  /**
   * The peers' acknowledged clocks that changed since last taken, to persist: at most
   * once per `ACK_PERSIST_MS`, unless `now` (when stopping).
   */
  dirtyAcks(now = false): Map<string, VectorClock> {
    const acks = new Map<string, VectorClock>();
    const at = Date.now();
    if (!now && at - this.acksPersistedAt < ACK_PERSIST_MS) return acks;
    this.acksPersistedAt = at;
    for (const p of this.peers.values()) {
      if (!p.ackDirty) continue;
      acks.set(p.id, { ...p.acked });
      p.ackDirty = false;
    }
    return acks;
  }

  /** Stops the once-a-second tick. */
  stopTicking(): void {
    clearInterval(this.heartbeat);
  }

  /** Cancels a pending delayed ack. */
  cancelAcks(): void {
    clearTimeout(this.ackTimer);
  }

  /** Sends `peer` what it lacks, within the window. One pass at a time per peer. */
  private async pushTo(peer: Peer): Promise<void> {
    if (peer.sending || peer.link === null) return;
    peer.sending = true;
    try {
      while (
        peer.link !== null &&
        peer.cursor < this.recent.end &&
        this.inflight(peer) < this.window &&
        peer.link.bufferedAmount < this.frameBytes
      ) {
        const epoch = peer.epoch;
        const chunk = this.recent.slice(peer.cursor, this.frameEvents) ?? (await this.readStored(peer.cursor, this.frameEvents));
        if (peer.epoch !== epoch) continue;
        const link = peer.link;
        if (link === null || chunk.length === 0) break;
        let room = this.window - this.inflight(peer);
        let bytes = 0;
        const out: EncodedEvent[] = [];
        let next = peer.cursor;
        for (const e of chunk) {
          if (room <= 0 || (out.length > 0 && bytes + e.bytes.length > this.frameBytes)) break;
          next = e.pos + 1;
          if (e.seq <= (peer.sent[e.origin] ?? 0) || e.seq <= (peer.heard[e.origin] ?? 0)) continue;
          if (e.origin !== this.id && peer.direct.has(e.origin)) continue;
          out.push(e.bytes);
          bytes += e.bytes.length;
          peer.sent[e.origin] = e.seq;
          room--;
        }
        peer.cursor = next;
        if (out.length > 0) link.send({ type: 'events', events: out });
      }
    } finally {
      peer.sending = false;
    }
  }

  /**
   * Once a second: acknowledge to every peer what it has not heard yet (so outboxes and
   * relays see current clocks without an ack per commit per peer), and resend to peers
   * whose acks stopped.
   */
  private tick(): void {
    const now = Date.now();
    const committed = this.committed();
    const committedSum = sum(committed);
    for (const peer of this.peers.values()) {
      if (peer.link === null) continue;
      if (peer.ackedSum !== committedSum) this.sendAck(peer, committed);
      // Resumes a push that paused on a full socket.
      this.background(this.pushTo(peer));
      if (this.inflight(peer) > 0 && now - peer.lastProgress > this.stallMs) {
        this.log.warn({ peer: peer.id, inflight: this.inflight(peer) }, 'no ack from peer: resending from its last ack');
        this.background(this.rewind(peer));
      }
    }
  }

  /** Restarts sending to `peer` from the clock it acknowledged. */
  private async rewind(peer: Peer): Promise<void> {
    const epoch = ++peer.epoch;
    const acked = { ...peer.acked };
    const cursor = await this.cursorFor(acked);
    if (peer.epoch !== epoch) return;
    peer.sent = acked;
    peer.cursor = cursor;
    peer.lastProgress = Date.now();
    await this.pushTo(peer);
  }

  /** A log position from which a node at clock `vc` lacks nothing earlier. */
  private async cursorFor(vc: VectorClock): Promise<number> {
    if (dominates(vc, this.committed())) return this.recent.end;
    return this.store.firstPositionLacking(vc);
  }

  private announceLinks(except: string): void {
    const links = this.linkedPeers();
    for (const p of this.peers.values()) {
      if (p.link !== null && p.id !== except) p.link.send({ type: 'links', links });
    }
  }

  private inflight(peer: Peer): number {
    let n = 0;
    for (const o in peer.sent) n += Math.max(0, peer.sent[o] - (peer.acked[o] ?? 0));
    return n;
  }

  /** Runs a task nobody awaits; a failure is logged, never an unhandled rejection. */
  private background(task: Promise<void>): void {
    task.catch((err: unknown) => this.log.error({ err }, 'background fabric task failed'));
  }
}

function newPeer(id: string, acked: VectorClock): Peer {
  return {
    id,
    link: null,
    acked: { ...acked },
    sent: { ...acked },
    heard: {},
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
  };
}
