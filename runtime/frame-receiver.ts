/**
 * What the fabric does with a frame from an authenticated peer: events go into the intake
 * (paced by `link-backpressure.ts`) and wake the commit loop; acks, wants and link lists
 * go to replication, and a want also tells history recovery how much of this node's
 * earlier origins the peer holds. Peers whose events overflowed the causal buffer are
 * asked again once it has room. No peer's event under this node's current origin is ever
 * taken: only this process stamps those.
 */
import { decodeEvent } from '../protocol/event-codec.js';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { Incoming } from './batch-preparation.js';
import type { HistoryRecovery } from './history-recovery.js';
import type { Intake } from './intake.js';
import type { LinkBackpressure } from './link-backpressure.js';
import type { Peer, PeerLink, Replication } from './replication.js';
import type { WorkQueues } from './work-queues.js';

/** What a {@link FrameReceiver} hands received frames to. */
export interface FrameReceiverArgs {
  /** The origin this node stamps under now. */
  readonly origin: string;
  readonly intake: Intake<Incoming>;
  /** Most events the causal buffer holds; peers are asked again below half of it. */
  readonly bufferLimit: number;
  readonly replication: Replication;
  readonly recovery: HistoryRecovery;
  readonly backpressure: LinkBackpressure;
  readonly queues: WorkQueues;
  /** What the batches have delivered so far (read as each event arrives). */
  readonly batches: { readonly delivered: VectorClock };
  /** The committed vector clock, as it is now (not a copy). */
  readonly committed: () => VectorClock;
  /** Wakes the commit loop. */
  readonly kick: () => void;
  /** Runs a task nobody awaits; a failure is logged. */
  readonly background: (task: Promise<void>) => void;
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
      case 'ack':
        replication.receiveAck(peer, frame.vc);
        return;
      case 'want':
        this.args.recovery.peerClock(peer.id, frame.vc, this.args.committed());
        this.args.background(replication.receiveWant(peer, frame.vc));
        return;
      case 'links':
        replication.receiveLinks(peer, frame.links);
        return;
      default:
        throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `unexpected ${frame.type} frame after the handshake`);
    }
  }

  /** Peers whose events overflowed the buffer are asked again once it has room. */
  askAgainIfRoom(): void {
    const { intake, bufferLimit, committed } = this.args;
    if (intake.size > bufferLimit / 2) return;
    this.args.replication.askAgain(() => ({ ...committed() }));
  }

  private receiveEvents(peer: Peer, list: readonly EncodedEvent[]): void {
    const { intake, batches } = this.args;
    // Decode all before keeping any: a bad event rejects the whole frame unchanged.
    const incoming = list.map((bytes): Incoming => {
      const envelope = decodeEvent(bytes);
      return { origin: envelope.origin, seq: envelope.seq, vc: envelope.vc, envelope, bytes };
    });
    let fresh = 0;
    let overflowed = false;
    for (const e of incoming) {
      if (e.origin === this.args.origin) continue; // already here, or forged: never taken
      const r = intake.add(e, batches.delivered);
      if (r === 'fresh') fresh++;
      else if (r === 'overflow') overflowed = true;
    }
    this.args.replication.received(peer, incoming, fresh, overflowed);
    if (fresh > 0) {
      this.args.queues.arrived = true;
      this.args.kick();
    }
  }
}
