/**
 * Link topology: which peers are linked right now, and telling peers about it.
 *
 * When a link comes up both sides send `links`, the current origins of their linked
 * peers (so the peer knows what not to relay before it starts sending), then `want` with their committed clock; every other linked
 * peer hears the new `links`. A peer that lost a direct link needs that origin's events
 * relayed again, so its sending restarts from its acknowledged clock. A node waiting for
 * seqs an origin's own node no longer holds (`lost-events.ts`) leaves that origin out of
 * its `links` meanwhile, so that its other peers relay it what they still hold.
 */
import { copyClock } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Clock } from './clock.js';
import { newPeer, peerInterest, type Peer, type PeerLink, type Peers } from './peer-state.js';
import type { RecentLog } from './recent-log.js';

/** The links of one node to its peers. */
export class LinkTopology {
  private readonly peers: Peers;
  private readonly recent: RecentLog;
  private readonly clock: Clock;

  /** The clock this node tells `peer` in `want`: committed, less what it is fetching back (`interest-sync.ts`), folded for it. */
  private readonly wantClock: (peer: Peer) => VectorClock;

  /** Origins to leave out of `links`: their own node no longer holds seqs this node waits for. */
  private readonly withheld: () => ReadonlySet<string>;

  constructor(args: { peers: Peers; recent: RecentLog; clock: Clock; wantClock: (peer: Peer) => VectorClock; withheld?: () => ReadonlySet<string> }) {
    this.withheld = args.withheld ?? (() => new Set());
    this.peers = args.peers;
    this.recent = args.recent;
    this.clock = args.clock;
    this.wantClock = args.wantClock;
  }

  /** Ids of the peers linked right now. */
  linkedPeers(): string[] {
    return [...this.peers.values()].filter((p) => p.link !== null).map((p) => p.id);
  }

  /** The origins the peers linked right now stamp under: what `links` tells. */
  linkedOrigins(): string[] {
    const out: string[] = [];
    const withheld = this.withheld();
    for (const p of this.peers.values()) if (p.link !== null && !withheld.has(p.link.origin)) out.push(p.link.origin);
    return out;
  }

  /** Tells every linked peer this node's links again (what it withholds changed). */
  reannounce(): void {
    this.announce('');
  }

  /** The peer `link` belongs to, if `link` is its current link. */
  linked(link: PeerLink): Peer | undefined {
    const peer = this.peers.get(link.peer);
    return peer === undefined || peer.link !== link ? undefined : peer;
  }

  /**
   * A peer proved its identity: its sending starts afresh from what it acknowledged, at
   * the end of the log until its `want` says otherwise. Returns false if it already has
   * a link (the caller closes the newer one).
   */
  up(link: PeerLink): boolean {
    const peer = this.peers.get(link.peer) ?? newPeer(link.peer, {});
    this.peers.set(peer.id, peer);
    if (peer.link !== null) return false;
    const now = this.clock.now();
    peer.link = link;
    peer.since = now;
    if (link.admin !== undefined) peer.admin = link.admin;
    peer.interest = peerInterest(link.interest);
    // A relaxed hello makes its acks count for nothing at once; a durable one counts only
    // from its `want` on, which replaces whatever clock an earlier relaxed run acknowledged.
    if (link.relaxed === true && peer.durable) {
      peer.durable = false;
      peer.ackDirty = true;
    }
    peer.direct = new Set();
    peer.sent = copyClock(peer.acked);
    peer.skipping = [];
    peer.heard = {};
    peer.proved = {};
    peer.covered = {};
    peer.cursor = this.recent.end;
    peer.epoch++;
    peer.lastProgress = now;
    // `links` first: the peer must know what not to relay before it starts sending.
    link.send({ type: 'links', links: this.linkedOrigins() });
    link.send({ type: 'want', vc: this.wantClock(peer) });
    this.announce(peer.id);
    return true;
  }

  /** A peer's link closed. */
  down(link: PeerLink): void {
    const peer = this.linked(link);
    if (peer === undefined) return;
    peer.link = null;
    peer.since = this.clock.now();
    peer.epoch++;
    this.announce(peer.id);
  }

  /** `peer` told its direct links; returns whether it lost one (then it needs a rewind). */
  peerLinks(peer: Peer, links: readonly string[]): boolean {
    const next = new Set(links);
    const lost = [...peer.direct].some((id) => !next.has(id));
    peer.direct = next;
    return lost;
  }

  /** Tells every linked peer but `except` this node's links. */
  private announce(except: string): void {
    const links = this.linkedOrigins();
    for (const p of this.peers.values()) {
      if (p.link !== null && p.id !== except) p.link.send({ type: 'links', links });
    }
  }
}
