/**
 * The intake: events from peers on their way to delivery.
 *
 * Almost every event arrives in causal order — its origin's previous event and everything
 * it depends on have been delivered, or arrived just before it. Those wait in a FIFO lane,
 * checked against the delivered clock as extended by the lane, and are delivered in
 * arrival order. Only an event that overtook a dependency (a relay raced a direct link, a
 * peer re-sent after a gap) waits in the causal buffer (`causal-buffer.ts`) until the
 * CBCAST condition lets it through. Both together hold at most `limit` events, and the
 * buffer at most `maxBytes` of them; past either an event that is not deliverable is
 * refused (not acknowledged) and asked for again later. The lane is bounded by pausing
 * the links that fill it (`link-backpressure.ts`).
 */
import type { VectorClock } from '../protocol/envelope.js';
import type { CausalStamp } from '../protocol/vector-clock.js';
import { CausalBuffer } from './causal-buffer.js';

/** What `add` did with an arriving event. */
export type IntakeResult = 'fresh' | 'duplicate' | 'overflow';

/** Events from peers waiting for delivery, in causal order. */
export class Intake<E extends CausalStamp> {
  private lane: E[] = [];
  /** The newest seq of each origin in the lane (the lane is in seq order per origin). */
  private laneTop: VectorClock = {};
  private laneBytes = 0;
  private readonly buffer: CausalBuffer<E>;
  private readonly limit: number;
  private readonly maxBytes: number;
  private readonly weigh: (event: E) => number;

  /**
   * @param limit the most events held at once.
   * @param weigh an event's size in bytes, for {@link deliverableBytes} and `maxBytes`.
   * @param maxBytes the most bytes the causal buffer holds. [default unbounded]
   */
  constructor(limit: number, weigh: (event: E) => number = () => 0, maxBytes = Infinity) {
    this.buffer = new CausalBuffer<E>(limit, { maxBytes, weigh });
    this.limit = limit;
    this.maxBytes = maxBytes;
    this.weigh = weigh;
  }

  /** Whether there is room to ask peers again for what overflowed: below half of both bounds. */
  get roomy(): boolean {
    return this.size <= this.limit / 2 && this.buffer.bytes <= this.maxBytes / 2;
  }

  /** Bytes of the events waiting for a dependency. */
  get blockedBytes(): number {
    return this.buffer.bytes;
  }

  /** Events waiting, in the lane and in the buffer. */
  get size(): number {
    return this.lane.length + this.buffer.size;
  }

  /** Events that the next drain delivers for certain (the lane). */
  get deliverable(): number {
    return this.lane.length;
  }

  /** The bytes of those events, as `weigh` counts them. */
  get deliverableBytes(): number {
    return this.laneBytes;
  }

  /** Events waiting for a dependency (in the causal buffer). */
  get blocked(): number {
    return this.buffer.size;
  }

  /** The events waiting for a dependency, for visibility tools. */
  waiting(): E[] {
    return this.buffer.waiting();
  }

  /**
   * Takes an arriving event; `delivered` is the clock delivered so far. An event
   * deliverable after the lane is always taken, even when full: it may be what the rest
   * waits on.
   */
  add(event: E, delivered: VectorClock): IntakeResult {
    const top = this.seen(delivered, event.origin);
    if (event.seq <= top) return 'duplicate';
    if (event.seq === top + 1 && this.dependenciesSeen(event, delivered)) {
      this.lane.push(event);
      this.laneTop[event.origin] = event.seq;
      this.laneBytes += this.weigh(event);
      return 'fresh';
    }
    if (this.size >= this.limit || this.buffer.full(this.weigh(event))) return 'overflow';
    const r = this.buffer.add(event, delivered);
    return r === 'buffered' ? 'fresh' : r;
  }

  /**
   * Delivers every event that can be, in causal order: the lane, then what the buffer
   * releases. MUTATES `delivered`, as `CausalBuffer.drain` does.
   */
  drain(delivered: VectorClock, deliver: (event: E) => void): void {
    const lane: (E | undefined)[] = this.lane;
    this.lane = [];
    this.laneTop = {};
    this.laneBytes = 0;
    for (let i = 0; i < lane.length; i++) {
      const e = lane[i] as E;
      // Let go of each event once delivered: a catch-up fills the lane with a thousand,
      // and a young-generation GC during the drain copies every one still referenced.
      lane[i] = undefined;
      delivered[e.origin] = e.seq;
      deliver(e);
    }
    this.buffer.drain(delivered, deliver);
  }

  /** The newest seq of `origin` delivered or in the lane. */
  private seen(delivered: VectorClock, origin: string): number {
    return Math.max(delivered[origin] ?? 0, this.laneTop[origin] ?? 0);
  }

  /** Whether everything `event` depends on, besides its own origin, is delivered or in the lane. */
  private dependenciesSeen(event: E, delivered: VectorClock): boolean {
    for (const node in event.vc) {
      if (node !== event.origin && event.vc[node] > this.seen(delivered, node)) return false;
    }
    return true;
  }
}
