/**
 * Link back-pressure. Received events wait decoded until the next batch delivers them. A
 * fast sender (a catch-up) would otherwise pile up its whole window of them, and every
 * young-generation GC during the batch would copy them all. Past a budget (events or
 * bytes) a link is not read from: the rest waits as bytes in TCP buffers, and the next
 * batch resumes reading. Only deliverable events count: waiting for a dependency must
 * never stop the link that brings it.
 */
import type { PeerLink } from './peer-state.js';

/** What back-pressure reads of the intake: the events the next batch delivers for certain. */
export interface DeliverableCount {
  readonly deliverable: number;
  readonly deliverableBytes: number;
}

/** Pauses links while the intake is full. */
export class LinkBackpressure {
  private readonly intake: DeliverableCount;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  /** Links not read from until the next batch takes what they sent. */
  private readonly paused = new Set<PeerLink>();

  constructor(args: { intake: DeliverableCount; maxEvents: number; maxBytes: number }) {
    this.intake = args.intake;
    this.maxEvents = args.maxEvents;
    this.maxBytes = args.maxBytes;
  }

  /** After `link` brought events: pauses it if the intake is past the budget. */
  holdBackIfFull(link: PeerLink): void {
    if (this.intake.deliverable < this.maxEvents && this.intake.deliverableBytes < this.maxBytes) return;
    if (this.paused.has(link)) return;
    this.paused.add(link);
    link.pause();
  }

  /** A batch took the intake's events: every paused link is read from again. */
  resumeAll(): void {
    for (const link of this.paused) link.resume();
    this.paused.clear();
  }

  /** `link` closed. */
  forget(link: PeerLink): void {
    this.paused.delete(link);
  }
}
