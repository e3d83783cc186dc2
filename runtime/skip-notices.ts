/**
 * Skip notices going out: the runs of events a sender leaves out of one peer's stream,
 * gathered while it walks its log and sent as `skip` frames in stream order.
 *
 * One origin's events and skips must reach the receiver in seq order (a skip is applied
 * only right after the origin's previous seq). Across origins, order does not matter: a
 * skipped event is never delivered, and every event that is delivered waits on its own
 * clock, which names each dependency whether it was delivered or skipped. So a segment of
 * the stream goes out as one `skip` frame, then one `events` frame, and a segment ends
 * only when an origin that already has an event in it is skipped again.
 */
import type { EncodedEvent } from '../protocol/envelope.js';
import type { SkipRange } from '../protocol/frame.js';
import type { PeerLink, SkipRun } from './peer-state.js';

/** One segment of a peer's stream being built: skips first, then events. */
export class StreamSegment {
  private ranges: SkipRun[] = [];
  /** The open range of each origin, extended while its skipped seqs follow each other. */
  private readonly open = new Map<string, SkipRun>();
  private events: EncodedEvent[] = [];
  private readonly eventOrigins = new Set<string>();
  /** The run the last call added to, while nothing else was added since. */
  private lastSkip: SkipRun | undefined;
  /** Bytes of the events in the segment. */
  bytes = 0;

  constructor(private readonly link: PeerLink) {}

  /** Events in the segment. */
  get size(): number {
    return this.events.length;
  }

  /** Adds an event to send. */
  event(origin: string, bytes: EncodedEvent): void {
    this.lastSkip = undefined;
    this.events.push(bytes);
    this.eventOrigins.add(origin);
    this.bytes += bytes.length;
  }

  /**
   * Adds a seq left out; sends the segment first if that origin already has an event in
   * it. Returns the run it opened (extended in place by the seqs that follow it), or
   * `undefined` if it extended one.
   */
  skip(origin: string, seq: number): SkipRun | undefined {
    if (this.eventOrigins.has(origin)) this.flush();
    const run = this.open.get(origin);
    if (run !== undefined && run.to === seq - 1) {
      run.to = seq;
      this.lastSkip = run;
      return undefined;
    }
    const fresh = { origin, from: seq, to: seq };
    this.ranges.push(fresh);
    this.open.set(origin, fresh);
    this.lastSkip = fresh;
    return fresh;
  }

  /**
   * `skip(origin, seq)` when the last thing added was a skip of `origin`'s seq before it:
   * extends that run without looking anything up. Returns false, changing nothing, when the
   * last thing added was not that.
   */
  extendLastSkip(origin: string, seq: number): boolean {
    const run = this.lastSkip;
    if (run === undefined || run.origin !== origin || run.to !== seq - 1) return false;
    run.to = seq;
    return true;
  }

  /** Sends what the segment holds: its skips, then its events. */
  flush(): void {
    if (this.ranges.length > 0) this.link.send({ type: 'skip', ranges: this.ranges as SkipRange[] });
    if (this.events.length > 0) this.link.send({ type: 'events', events: this.events });
    this.ranges = [];
    this.open.clear();
    this.events = [];
    this.eventOrigins.clear();
    this.lastSkip = undefined;
    this.bytes = 0;
  }
}
