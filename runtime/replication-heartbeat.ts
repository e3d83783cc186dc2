/**
 * Replication's heartbeat: once a second (or once per stall timeout, if shorter), every
 * linked peer hears the current clock if it has not (so outboxes and relays see current
 * clocks without an ack per commit per peer), a push that paused on a full socket is
 * resumed, and a peer whose acks stopped while events were in flight is re-sent from its
 * last ack. It runs on the injected clock, so a test drives stalls without real time.
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import { sum } from '../protocol/vector-clock.js';
import type { AckSchedule } from './ack-schedule.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Outboxes } from './outbox.js';
import { inflight, type Peers } from './peer-state.js';

/** The longest time between two beats. */
const MAX_BEAT_MS = 1000;

/** A repeating timer over the peers of one replication. */
export class ReplicationHeartbeat {
  private readonly peers: Peers;
  private readonly acks: AckSchedule;
  private readonly outboxes: Outboxes;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly committed: () => VectorClock;
  private readonly stallMs: number;
  private readonly background: (task: Promise<void>) => void;
  private readonly intervalMs: number;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(args: {
    peers: Peers;
    acks: AckSchedule;
    outboxes: Outboxes;
    clock: Clock;
    log: Logger;
    committed: () => VectorClock;
    /** A peer with events in flight and no ack for this long is re-sent from its ack. */
    stallMs: number;
    /** Runs a task nobody awaits, logging its failure. */
    background: (task: Promise<void>) => void;
  }) {
    this.peers = args.peers;
    this.acks = args.acks;
    this.outboxes = args.outboxes;
    this.clock = args.clock;
    this.log = args.log;
    this.committed = args.committed;
    this.stallMs = args.stallMs;
    this.background = args.background;
    this.intervalMs = Math.min(MAX_BEAT_MS, this.stallMs);
    this.arm();
  }

  /** Stops beating. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private arm(): void {
    if (!this.stopped) this.timer = this.clock.setTimeout(() => this.beat(), this.intervalMs);
  }

  private beat(): void {
    this.arm();
    const now = this.clock.now();
    const committed = this.committed();
    const committedSum = sum(committed);
    for (const peer of this.peers.values()) {
      if (peer.link === null) continue;
      this.acks.acknowledgeIfBehind(peer, committed, committedSum);
      // Resumes a push that paused on a full socket.
      this.background(this.outboxes.push(peer));
      if (inflight(peer) > 0 && now - peer.lastProgress > this.stallMs) {
        this.log.warn({ peer: peer.id, inflight: inflight(peer) }, 'no ack from peer: resending from its last ack');
        this.background(this.outboxes.rewind(peer));
      }
    }
  }
}
