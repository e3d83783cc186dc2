/**
 * What the fabric does with a frame from an authenticated peer: events go into the intake
 * (paced by `link-backpressure.ts`) and wake the commit loop; acks, wants and link lists
 * go to replication, and a want also tells history recovery how much of this node's
 * earlier origins the peer holds. Peers whose events overflowed the causal buffer are
 * asked again once it has room. No peer's event under this node's current origin is ever
 * taken: only this process stamps those. Skip notices go into the intake in stream
 * order, like events; an event this node counts already but is fetching back
 * (`interest-sync.ts`: a widening's refill, or lost seqs still asked for) goes in as a
 * refill rather than a duplicate. With keys, a skip run
 * is first checked against its origin's signed types (`skip-proofs.ts`). A peer's notice that
 * it no longer holds events this node lacks goes to `lost-events.ts`.
 */
import { decodeEvent } from '../protocol/event-codec.js';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import type { Frame, SkipRange } from '../protocol/frame.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { Incoming } from './batch-preparation.js';
import type { HistoryRecovery } from './history-recovery.js';
import type { Intake } from './intake.js';
import type { InterestSync } from './interest-sync.js';
import type { LinkBackpressure } from './link-backpressure.js';
import type { LostEvents } from './lost-events.js';
import type { OriginProofs } from './origin-proofs.js';
import type { Peer, PeerLink, Replication } from './replication.js';
import type { WorkQueues } from './work-queues.js';

/** What a {@link FrameReceiver} hands received frames to. */
export interface FrameReceiverArgs {
  /** The origin this node stamps under now. */
  readonly origin: string;
  readonly intake: Intake<Incoming>;
  readonly replication: Replication;
  readonly recovery: HistoryRecovery;
  readonly backpressure: LinkBackpressure;
  readonly queues: WorkQueues;
  /** Checks events against their origins' checkpoints; none on a node without a key. */
  readonly proofs?: OriginProofs;
  /** What the batches have delivered so far (read as each event arrives). */
  readonly batches: { readonly delivered: VectorClock };
  /** The committed vector clock, as it is now (not a copy). */
  readonly committed: () => VectorClock;
  /** Wakes the commit loop. */
  readonly kick: () => void;
  /** Runs a task nobody awaits; a failure is logged. */
  readonly background: (task: Promise<void>) => void;
  /** The clock told to peers (see `Replication`'s `told`). [default `committed`] */
  readonly told?: () => VectorClock;
  /** This node's skipped and to-refill seqs. [default none] */
  readonly interest?: InterestSync;
  /** Takes peers' notices of events they no longer hold (`lost` frames). [default: ignored] */
  readonly lost?: LostEvents;
}

/** Takes frames from authenticated peers into one node's fabric. */
export class FrameReceiver {
  constructor(private readonly args: FrameReceiverArgs) {}

  /**
   * A frame from an authenticated peer. Throws a TroupeError for a frame that breaks
   * the protocol; the caller closes the link. A bad frame changes no state.
   */
  receive(link: PeerLink, frame: Frame): void {
    const { replication } = this.args;
    const peer = replication.linked(link);
    if (peer === undefined) return;
    switch (frame.type) {
      case 'events':
        this.receiveEvents(peer, frame.events);
        this.args.backpressure.holdBackIfFull(link);
        return;
      case 'skip':
        this.receiveSkips(peer, frame.ranges);
        this.args.backpressure.holdBackIfFull(link);
        return;
      case 'ack':
        replication.receiveAck(peer, replication.readTold(link, frame.vc));
        return;
      case 'want': {
        const vc = replication.readTold(link, frame.vc);
        // A partial peer relays nothing but its own events: what it holds of this node's
        // earlier starts would never come from it, so only full peers' clocks are claims.
        if (peer.interest === null) this.args.recovery.peerClock(peer.id, vc, this.args.committed());
        this.args.background(replication.receiveWant(peer, vc));
        return;
      }
      case 'links':
        replication.receiveLinks(peer, frame.links);
        return;
      case 'lost':
        // Seqs of this node's current origin are never another's to give or to lose.
        this.args.lost?.notice(peer.id, frame.first, frame.ranges.filter((r) => r.origin !== this.args.origin), frame.asked ?? []);
        return;
      case 'proof':
        if (this.args.proofs === undefined) break;
        this.args.proofs.receive(frame);
        return;
      case 'cover':
        if (this.args.proofs === undefined) break;
        this.args.proofs.skips.receive(frame);
        return;
    }
    throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `unexpected ${frame.type} frame after the handshake`);
  }

  /** Peers whose events overflowed the buffer are asked again once it has room. */
  askAgainIfRoom(): void {
    const { intake, committed } = this.args;
    if (!intake.roomy) return;
    const told = this.args.told ?? committed;
    this.args.replication.askAgain(() => ({ ...told() }));
  }

  private receiveEvents(peer: Peer, list: readonly EncodedEvent[]): void {
    const { intake, batches } = this.args;
    // Decode all before keeping any: a bad event rejects the whole frame unchanged.
    const incoming = list.map((bytes): Incoming => {
      const envelope = decodeEvent(bytes);
      return { origin: envelope.origin, seq: envelope.seq, vc: envelope.vc, envelope, bytes };
    });
    const interest = this.args.interest;
    // A refilled seq is counted already, yet new here: it is checked like any new event.
    // Events under this node's current origin are never taken, so never checked.
    this.args.proofs?.check(
      incoming,
      (e) => e.origin !== this.args.origin && (e.seq > (batches.delivered[e.origin] ?? 0) || interest?.refilling(e.origin, e.seq) === true),
    );
    let fresh = 0;
    let overflowed = false;
    for (const e of incoming) {
      if (e.origin === this.args.origin) continue; // already here, or forged: never taken
      if (interest?.refilling(e.origin, e.seq) === true) {
        interest.refilled(e.origin, e.seq);
        intake.addRefill(e);
        fresh++;
        continue;
      }
      const r = intake.add(e, batches.delivered);
      if (r === 'fresh') fresh++;
      else if (r === 'overflow') overflowed = true;
    }
    this.arrived(peer, incoming, fresh, overflowed);
  }

  private receiveSkips(peer: Peer, ranges: readonly SkipRange[]): void {
    const { intake, batches, interest } = this.args;
    // Each skipped seq must be signed by its origin as outside this node's interest.
    this.args.proofs?.skips.check(
      ranges,
      (type) => interest?.filter.wants(type) ?? true,
      (origin) => Math.min(batches.delivered[origin] ?? 0, (interest?.firstFetched(origin) ?? Infinity) - 1),
    );
    let fresh = 0;
    let confirmed = false;
    for (const { origin, from, to } of ranges) {
      if (origin === this.args.origin) continue; // only this process stamps (and so skips) those
      if (interest !== undefined && interest.fetching) {
        interest.confirmSkipped(origin, from, Math.min(to, batches.delivered[origin] ?? 0));
        confirmed = true;
      }
      // Counted in seqs, as the sender's window counts them: a long run is acked eagerly.
      if (intake.addSkip(origin, from, to, batches.delivered) === 'fresh') fresh += to - from + 1;
    }
    // A confirmation alone changes what is to refill: a batch writes it, and acks the risen clock.
    this.arrived(peer, [], confirmed ? Math.max(fresh, 1) : fresh, false);
  }

  private arrived(peer: Peer, events: readonly { readonly origin: string; readonly seq: number }[], fresh: number, overflowed: boolean): void {
    this.args.replication.received(peer, events, fresh, overflowed);
    if (fresh > 0) {
      this.args.queues.arrived = true;
      this.args.kick();
    }
  }
}
