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
 *
 * Two more things travel the lane in arrival order (see `interest-sync.ts`): skip runs, seqs
 * a sender left out of a partial node's stream, which advance the clock without delivering
 * anything; and refilled events, which a partial node counts already but had skipped, and
 * now delivers without moving its clock. A skip run that arrives ahead of its origin's
 * previous seq waits aside until that seq is delivered or skipped.
 */
import type { VectorClock } from '../protocol/envelope.js';
import type { CausalStamp } from '../protocol/vector-clock.js';
import { CausalBuffer } from './causal-buffer.js';

/** What `add` did with an arriving event. */
export type IntakeResult = 'fresh' | 'duplicate' | 'overflow';

/** Seqs `from`…`to` of `origin` left out by a sender: the clock counts them, nothing is delivered. */
class SkipRun {
  constructor(
    readonly origin: string,
    readonly from: number,
    readonly to: number,
    /** Counted as lost on a claim some known peer has not confirmed: still asked for (`lost-events.ts`). */
    readonly asked = false,
  ) {}
}

/** An event the clock counts already but that was skipped, delivered now (a widened interest). */
class Refill<E> {
  constructor(readonly event: E) {}
}

/** Called for each skip run applied to the clock; `asked`: lost seqs still asked for (see `addSkip`). */
export type Skipped = (origin: string, from: number, to: number, asked: boolean) => void;

/** Events from peers waiting for delivery, in causal order. */
export class Intake<E extends CausalStamp> {
  private lane: (E | SkipRun | Refill<E>)[] = [];
  /** Skip runs that arrived before their origin's previous seq was delivered or skipped. */
  private aside: SkipRun[] = [];
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
    return this.lane.length + this.buffer.size + this.aside.length;
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
   * Takes a skip run of `origin`, seqs `from`…`to`, in stream order. Answers `duplicate`
   * when the clock (with the lane) counts them all already. `asked`: seqs counted as lost
   * that are still asked for from peers (`lost-events.ts`), so `skipped` hears so.
   */
  addSkip(origin: string, from: number, to: number, delivered: VectorClock, asked = false): IntakeResult {
    const top = this.seen(delivered, origin);
    if (to <= top) return 'duplicate';
    if (from > top + 1) {
      this.aside.push(new SkipRun(origin, from, to, asked));
      return 'fresh';
    }
    this.lane.push(new SkipRun(origin, top + 1, to, asked));
    this.laneTop[origin] = to;
    return 'fresh';
  }

  /** Takes an event the clock counts already but that was skipped: it is delivered as it is, in arrival order. */
  addRefill(event: E): void {
    this.lane.push(new Refill(event));
    this.laneBytes += this.weigh(event);
  }

  /**
   * Delivers every event that can be, in causal order: the lane, then what the buffer
   * releases, applying skip runs to the clock on the way (`skipped` hears of each).
   * MUTATES `delivered`, as `CausalBuffer.drain` does.
   */
  drain(delivered: VectorClock, deliver: (event: E) => void, skipped: Skipped = () => {}): void {
    const lane: (E | SkipRun | Refill<E> | undefined)[] = this.lane;
    this.lane = [];
    this.laneTop = {};
    this.laneBytes = 0;
    for (let i = 0; i < lane.length; i++) {
      const e = lane[i] as E | SkipRun | Refill<E>;
      // Let go of each event once delivered: a catch-up fills the lane with a thousand,
      // and a young-generation GC during the drain copies every one still referenced.
      lane[i] = undefined;
      if (e instanceof SkipRun) {
        delivered[e.origin] = e.to;
        skipped(e.origin, e.from, e.to, e.asked);
      } else if (e instanceof Refill) {
        deliver(e.event);
      } else {
        delivered[e.origin] = e.seq;
        deliver(e);
      }
    }
    this.buffer.drain(delivered, deliver);
    while (this.aside.length > 0 && this.applyAside(delivered, skipped)) this.buffer.drain(delivered, deliver);
  }

  /** Applies the skip runs set aside that have become consecutive; returns whether any was. */
  private applyAside(delivered: VectorClock, skipped: Skipped): boolean {
    let applied = false;
    this.aside = this.aside.filter((run) => {
      const top = delivered[run.origin] ?? 0;
      if (run.to <= top) return false;
      if (run.from > top + 1) return true;
      delivered[run.origin] = run.to;
      skipped(run.origin, top + 1, run.to, run.asked);
      applied = true;
      return false;
    });
    return applied;
  }

  /** The newest seq of `origin` delivered or in the lane. */
  private seen(delivered: VectorClock, origin: string): number {
    return Math.max(delivered[origin] ?? 0, this.laneTop[origin] ?? 0);
  }

  /** Whether everything `event` depends on, besides its own origin, is delivered or in the lane. */
  private dependenciesSeen(event: E, delivered: VectorClock): boolean {
    const vc = event.vc;
    for (const node in vc) {
      const needed = vc[node];
      // `seen` read in two steps: most dependencies are delivered already, one lookup each.
      if (needed > (delivered[node] ?? 0) && needed > (this.laneTop[node] ?? 0) && node !== event.origin) return false;
    }
    return true;
  }
}
