/**
 * Outboxes: sending each peer what it lacks.
 *
 * A peer's outbox is not a copy but a cursor: the log entries above the clock the peer
 * acknowledged. Each peer gets events in this node's delivery order (which is causal),
 * read from the in-memory tail or from disk, with at most `window` events unacknowledged
 * and at most `frameBytes` waiting unsent in its socket. A relay skips events whose
 * origin the peer is linked to directly (peers announce the current origins of their
 * links), so a full mesh sends each event once per peer, and never sends a peer back what
 * it sent on this link. Events of a node's earlier origins are relayed to it like any
 * others: it may have lost them with its disk.
 *
 * Interest: to a peer that wants only some types, events outside its interest (other than
 * its own node's, of any of its origins) go out as skip notices instead
 * (`skip-notices.ts`), so it counts them without holding them; a run of them takes one
 * place in its window, as an event does (`inflight`). A partial node holds gaps,
 * so it relays nothing: it sends peers only its own node's events (of all its origins:
 * those of its earlier starts may not have left it yet), and they get the rest from a
 * node that wants everything.
 *
 * Origin checkpoints (`origin-proofs.ts`) go out once per link, ahead of the first event
 * each one lists that the peer is sent; ahead of a skip notice, the checkpoint's cover
 * (its signed types without the hashes, `skip-cover.ts`), which proves the skip.
 *
 * Retention: a peer whose acknowledged clock lacks events this node's log no longer
 * retains (`log-compaction.ts`) is sent what it does retain, and marked `behindRetention`
 * (told through `behind`): what it lacks below must come from another node. At each
 * rewind, before the events, it is told which seqs it lacks that this node cannot send
 * (`tellGaps`: a `lost` frame, `retention-gaps.ts`), so that it does not wait on them.
 */
import { copyClock } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import { eventHeaderAndType } from '../protocol/event-codec.js';
import { lastSeq, type ProofFrame } from '../protocol/origin-proof.js';
import { isOfNode, nodeOf } from '../protocol/origin.js';
import { coverOf, type CoverFrame } from '../protocol/skip-cover.js';
import { dominates } from '../protocol/vector-clock.js';
import type { Clock } from './clock.js';
import type { OriginProofs } from './origin-proofs.js';
import { inflight, type Peer } from './peer-state.js';
import { LogBlocks } from './log-blocks.js';
import type { RecentLog } from './recent-log.js';
import { StreamSegment } from './skip-notices.js';
import type { Store, StoredEvent } from './store.js';

/** What sending needs of a logged event; its type if read already. */
export type OutgoingEvent = Pick<StoredEvent, 'pos' | 'origin' | 'seq' | 'bytes'> & { readonly type?: string };

/** Per event of a chunk, the checkpoint to send ahead of it, if any. */
type Checkpoints = readonly (ProofFrame | undefined)[];

/**
 * Covers made so far, by checkpoint (`null`: it has none). A gateway sends each of its
 * partial devices the same cover of a checkpoint kept in memory, and making one hashes
 * every hash the checkpoint lists.
 */
const covers = new WeakMap<ProofFrame, CoverFrame | null>();

function coverFor(checkpoint: ProofFrame): CoverFrame | undefined {
  let cover = covers.get(checkpoint);
  if (cover === undefined) {
    cover = coverOf(checkpoint) ?? null;
    covers.set(checkpoint, cover);
  }
  return cover ?? undefined;
}

/**
 * Sends `peer`, ahead of a skip notice, what proves it: the checkpoint's cover, or the
 * whole checkpoint if it was signed before types (`skip-proofs.ts`).
 */
function sendCover(peer: Peer, link: NonNullable<Peer['link']>, checkpoint: ProofFrame): void {
  const cover = coverFor(checkpoint);
  link.send(cover ?? checkpoint);
  (cover === undefined ? peer.proved : peer.covered)[checkpoint.origin] = lastSeq(checkpoint);
}

/**
 * Whether `e` goes to a peer the way `before`, the event just before it that went out as a
 * skip, did: the next seq of the same origin, of the same type. Whether a peer is sent an
 * event and whether as a skip depends on its origin, its type and its seq being past what
 * the peer has; so `e` extends the same skip run, and a peer taking a catch-up it does not
 * want (a gateway's other devices, a backlog of another device's readings) costs a few
 * comparisons per event instead of the whole check.
 */
function skipsLike(e: OutgoingEvent, before: OutgoingEvent): boolean {
  return e.origin === before.origin && e.seq === before.seq + 1 && e.type !== undefined && e.type === before.type;
}

/** Blocks of the log read from disk for the peers (`log-blocks.ts`): events and bytes each, and bytes kept in all. */
const BLOCK_EVENTS = 4096;
const BLOCK_BYTES = 1024 * 1024;
const KEPT_BLOCK_BYTES = 4 * 1024 * 1024;

/** Reads logged events from `from` out of the store: up to `limit`, stopping once past `maxBytes` if given. */
export type ReadStored = (from: number, limit: number, maxBytes?: number) => Promise<OutgoingEvent[]>;

/** Moves each peer's cursor through the log and sends what it passes. */
export class Outboxes {
  /** This node's id. */
  private readonly id: string;
  private readonly store: Store;
  private readonly recent: RecentLog;
  private readonly clock: Clock;
  private readonly committed: () => VectorClock;
  private readonly stored: LogBlocks;
  private readonly window: number;
  private readonly frameEvents: number;
  private readonly frameBytes: number;
  /** This node is partial: it sends only its own events. */
  private readonly partial: boolean;
  private readonly proofs: OriginProofs | undefined;
  private readonly behind: (peer: Peer, first: number) => void;
  private readonly tellGaps: (peer: Peer, first: number, behind: boolean) => Promise<void>;

  constructor(args: {
    /** The origin this node stamps under now. */
    origin: string;
    store: Store;
    recent: RecentLog;
    clock: Clock;
    /** The fabric's committed clock, read live. */
    committed: () => VectorClock;
    readStored: ReadStored;
    window: number;
    frameEvents: number;
    frameBytes: number;
    /** Whether this node wants less than everything. [default false] */
    partial?: boolean;
    /** The origin checkpoints to send ahead of events; none on a node without a key. */
    proofs?: OriginProofs;
    /** Told when `peer` is found behind what the log retains, which starts at `first`. [default nothing] */
    behind?: (peer: Peer, first: number) => void;
    /** At each rewind, before sending: tells `peer` what it lacks that this node cannot send (`retention-gaps.ts`). [default nothing] */
    tellGaps?: (peer: Peer, first: number, behind: boolean) => Promise<void>;
  }) {
    this.behind = args.behind ?? (() => undefined);
    this.tellGaps = args.tellGaps ?? (() => Promise.resolve());
    this.partial = args.partial ?? false;
    this.id = nodeOf(args.origin);
    this.store = args.store;
    this.recent = args.recent;
    this.clock = args.clock;
    this.committed = args.committed;
    this.stored = new LogBlocks({
      readStored: args.readStored,
      tailStart: () => this.recent.start,
      blockEvents: BLOCK_EVENTS,
      blockBytes: BLOCK_BYTES,
      maxBytes: KEPT_BLOCK_BYTES,
    });
    this.window = args.window;
    this.frameEvents = args.frameEvents;
    this.frameBytes = args.frameBytes;
    this.proofs = args.proofs;
  }

  /** Sends `peer` what it lacks, within the window. One pass at a time per peer. */
  async push(peer: Peer): Promise<void> {
    if (peer.sending || peer.link === null) return;
    peer.sending = true;
    try {
      while (
        peer.link !== null &&
        peer.cursor < this.recent.end &&
        inflight(peer) < this.window &&
        peer.link.bufferedAmount < this.frameBytes
      ) {
        const epoch = peer.epoch;
        const chunk: readonly OutgoingEvent[] = this.recent.slice(peer.cursor, this.frameEvents) ?? (await this.stored.read(peer.cursor, this.frameEvents));
        if (peer.epoch !== epoch) continue;
        const found = this.checkpointsFor(peer, chunk);
        // Checkpoints of recent events are in memory; only older ones wait on the store.
        const checkpoints = Array.isArray(found) ? found : await found;
        if (peer.epoch !== epoch) continue;
        const link = peer.link;
        if (link === null || chunk.length === 0) break;
        let room = this.window - inflight(peer);
        const linkOrigin = link.origin;
        const out = new StreamSegment(link);
        let next = peer.cursor;
        // The event just before, if it went out as a skip: see `skipsLike`.
        let skippedBefore: OutgoingEvent | undefined;
        for (let i = 0; i < chunk.length; i++) {
          const e = chunk[i];
          if (room <= 0 || (out.size > 0 && out.bytes + e.bytes.length > this.frameBytes)) break;
          next = e.pos + 1;
          if (skippedBefore !== undefined && skipsLike(e, skippedBefore) && checkpoints[i] === undefined && out.extendLastSkip(e.origin, e.seq)) {
            peer.sent[e.origin] = e.seq;
            skippedBefore = e;
            continue;
          }
          skippedBefore = undefined;
          if (!this.wanted(peer, e, linkOrigin)) continue;
          peer.sent[e.origin] = e.seq;
          if (this.skipped(peer, e)) {
            const checkpoint = checkpoints[i];
            if (checkpoint !== undefined && e.seq > Math.max(peer.proved[e.origin] ?? 0, peer.covered[e.origin] ?? 0)) sendCover(peer, link, checkpoint);
            const run = out.skip(e.origin, e.seq);
            if (run !== undefined) {
              peer.skipping.push(run);
              room--;
            }
            skippedBefore = e;
            continue;
          }
          room--;
          const checkpoint = checkpoints[i];
          if (checkpoint !== undefined && e.seq > (peer.proved[e.origin] ?? 0)) {
            // Ahead of the segment's events: the peer keeps it until they arrive.
            link.send(checkpoint);
            peer.proved[e.origin] = lastSeq(checkpoint);
          }
          out.event(e.origin, e.bytes);
        }
        peer.cursor = next;
        out.flush();
      }
    } finally {
      peer.sending = false;
    }
  }

  /**
   * Whether `peer` is to be sent `e` (or its skip notice) on this pass: it lacks it, and
   * gets it from no one closer; a partial node sends only its own node's events.
   * `linkOrigin`: the origin the peer stamps under now (its link's, read once a pass).
   */
  private wanted(peer: Peer, e: OutgoingEvent, linkOrigin: string | undefined): boolean {
    if (e.seq <= (peer.sent[e.origin] ?? 0) || e.seq <= (peer.heard[e.origin] ?? 0)) return false;
    // The peer stamps its current origin's events, and its direct links send theirs.
    if (e.origin === linkOrigin) return false;
    return isOfNode(e.origin, this.id) || !(this.partial || peer.direct.has(e.origin));
  }

  /** Whether `e` goes to `peer` as a skip notice: outside its interest, and not its own node's. */
  private skipped(peer: Peer, e: OutgoingEvent): boolean {
    return peer.interest !== null && !isOfNode(e.origin, peer.id) && !peer.interest.wants(e.type ?? eventHeaderAndType(e.bytes).type);
  }

  /**
   * For each event of `chunk` that `peer` is to be sent and whose checkpoint has not gone
   * out on this link, that checkpoint (at the index of the first event it lists); for a
   * seq it is to be sent as skipped, likewise the checkpoint whose cover proves the skip
   * (`skip-proofs.ts`). Sent ahead of the events and skips, so the peer can verify each
   * as it arrives. None on a node without a key, and none for an event stored without one
   * (from before keys).
   */
  private checkpointsFor(peer: Peer, chunk: readonly OutgoingEvent[]): Checkpoints | Promise<Checkpoints> {
    const out: (ProofFrame | undefined)[] = [];
    const proofs = this.proofs;
    if (proofs === undefined) return out;
    const sent = { proved: { ...peer.proved }, covered: { ...peer.covered } };
    const linkOrigin = peer.link?.origin;
    for (let i = 0; i < chunk.length; i++) {
      const e = chunk[i];
      const skipped = this.needsCheckpoint(peer, e, sent, linkOrigin);
      if (skipped === undefined) continue;
      const checkpoint = proofs.inMemory(e.origin, e.seq);
      if (checkpoint === undefined) return this.checkpointsFromStore(peer, chunk);
      out[i] = checkpoint;
      (skipped ? sent.covered : sent.proved)[e.origin] = lastSeq(checkpoint);
    }
    return out;
  }

  /** {@link checkpointsFor}, reading from the store what memory no longer holds. */
  private async checkpointsFromStore(peer: Peer, chunk: readonly OutgoingEvent[]): Promise<Checkpoints> {
    const out: (ProofFrame | undefined)[] = [];
    const sent = { proved: { ...peer.proved }, covered: { ...peer.covered } };
    const linkOrigin = peer.link?.origin;
    for (let i = 0; i < chunk.length; i++) {
      const e = chunk[i];
      const skipped = this.needsCheckpoint(peer, e, sent, linkOrigin);
      if (skipped === undefined) continue;
      const checkpoint = await this.proofs!.covering(e.origin, e.seq, chunk);
      if (checkpoint === undefined) continue;
      out[i] = checkpoint;
      (skipped ? sent.covered : sent.proved)[e.origin] = lastSeq(checkpoint);
    }
    return out;
  }

  /**
   * Whether `e` goes to `peer` needing a checkpoint not yet sent (`sent`: the seqs the
   * checkpoints and covers sent so far list): `false` as an event (its whole checkpoint),
   * `true` as a skipped seq (a cover, or a whole checkpoint), `undefined` for none.
   */
  private needsCheckpoint(peer: Peer, e: OutgoingEvent, sent: { proved: VectorClock; covered: VectorClock }, linkOrigin: string | undefined): boolean | undefined {
    if (!this.wanted(peer, e, linkOrigin)) return undefined;
    const proved = sent.proved[e.origin] ?? 0;
    if (!this.skipped(peer, e)) return e.seq > proved ? false : undefined;
    return e.seq > Math.max(proved, sent.covered[e.origin] ?? 0) ? true : undefined;
  }

  /**
   * A peer marked behind retention acknowledged more: it is no longer behind once its
   * clock has everything before the first retained position (it got it elsewhere).
   */
  async recheckBehind(peer: Peer): Promise<void> {
    if (!peer.behindRetention) return;
    const removed = await this.store.clocks.clockBefore(this.store.logStart);
    if (removed !== undefined && dominates(peer.acked, removed)) peer.behindRetention = false;
  }

  /** Restarts sending to `peer` from the clock it acknowledged. */
  async rewind(peer: Peer): Promise<void> {
    const epoch = ++peer.epoch;
    const acked = copyClock(peer.acked);
    const cursor = await this.cursorFor(acked);
    if (peer.epoch !== epoch) return;
    const first = this.store.logStart;
    const behind = cursor < first;
    if (behind && !peer.behindRetention) this.behind(peer, first);
    peer.behindRetention = behind;
    peer.sent = acked;
    peer.proved = {};
    peer.covered = {};
    peer.skipping = [];
    peer.cursor = Math.max(cursor, first);
    peer.lastProgress = this.clock.now();
    await this.tellGaps(peer, first, behind);
    if (peer.epoch !== epoch) return;
    await this.push(peer);
  }

  /** A log position from which a node at clock `vc` lacks nothing earlier. */
  private async cursorFor(vc: VectorClock): Promise<number> {
    if (dominates(vc, this.committed())) return this.recent.end;
    return this.store.clocks.firstPositionLacking(vc);
  }
}
