/**
 * The causal buffer: events that arrived before their causal dependencies, held until
 * the CBCAST condition (`canDeliver` in `protocol/vector-clock.ts`) lets them through.
 *
 * Events are indexed by origin, then by seq. Events of one origin are delivered in seq
 * order, so at any moment only one buffered event per origin can be deliverable: the one
 * numbered `delivered[origin] + 1`. `drain` therefore looks at one candidate per origin,
 * delivers it and its successors while they qualify, and sweeps the origins again only
 * while the previous sweep delivered something (a delivery from one origin can unblock
 * another). Draining n events costs O(n + sweeps × origins), whatever the buffer size.
 *
 * The buffer is bounded in events and in bytes: past `limit` events, or `maxBytes` of
 * them as `weigh` counts, `add` answers `overflow` and keeps nothing. The event is not
 * lost — it was not acknowledged, so it stays in the sender's outbox and is asked for
 * again (a `want` frame) once the buffer has room.
 *
 * An entry can become stale without passing through `drain`: the same origin/seq may be
 * delivered some other way (a re-sent copy delivered directly, a replay). Each origin
 * remembers the clock entry it last saw (`floor`), so `drain` finds stale entries by
 * probing only the seqs the clock advanced over (or by one scan of that origin, if
 * fewer), instead of rescanning the buffer on every call.
 */
import type { VectorClock } from '../protocol/envelope.js';
import { canDeliver, type CausalStamp } from '../protocol/vector-clock.js';

/** What `add` did with an event. */
export type BufferAddResult = 'buffered' | 'duplicate' | 'overflow';

/** The buffered events of one origin. */
interface OriginQueue<E> {
  /** seq → event. */
  readonly events: Map<number, E>;
  /** The delivered clock's entry for this origin when last looked at; every buffered seq is above it. */
  floor: number;
}

/** The delivered clock's entry for `origin`, 0 when missing. */
function delivered0(delivered: VectorClock, origin: string): number {
  const n = delivered[origin];
  return typeof n === 'number' ? n : 0;
}

/**
 * Holds events whose causal dependencies have not been delivered yet, bounded by
 * `limit`, and releases them in causal order.
 *
 * @example
 * const buffer = new CausalBuffer<Envelope>(10_000);
 * if (canDeliver(vc, e)) deliverNow(e); else buffer.add(e, vc);
 * buffer.drain(vc, deliverNow); // vc is advanced in place
 */
export class CausalBuffer<E extends CausalStamp> {
  readonly #limit: number;
  readonly #maxBytes: number;
  readonly #weigh: (event: E) => number;
  readonly #byOrigin = new Map<string, OriginQueue<E>>();
  #size = 0;
  #bytes = 0;

  /**
   * @param limit the most events held at once; must be a non-negative integer.
   * @param bytes the most bytes held at once (`maxBytes`, [default unbounded]) as `weigh` counts an event.
   */
  constructor(limit: number, bytes: { readonly maxBytes: number; readonly weigh: (event: E) => number } = { maxBytes: Infinity, weigh: () => 0 }) {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(`CausalBuffer limit must be a non-negative integer, got ${limit}`);
    }
    this.#limit = limit;
    this.#maxBytes = bytes.maxBytes;
    this.#weigh = bytes.weigh;
  }

  /** How many events are buffered. */
  get size(): number {
    return this.#size;
  }

  /** How many bytes the buffered events weigh. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether an event weighing `bytes` more would overflow the buffer. */
  full(bytes: number): boolean {
    return this.#size >= this.#limit || (this.#bytes > 0 && this.#bytes + bytes > this.#maxBytes);
  }

  /**
   * Buffers `event` until it can be delivered. Answers `duplicate` when `delivered`
   * already counts it or the same origin/seq is already buffered, `overflow` when the
   * buffer is full (the event is not kept), `buffered` otherwise. Does not deliver:
   * call `drain` afterwards.
   */
  add(event: E, delivered: VectorClock): BufferAddResult {
    const { origin, seq } = event;
    const queue = this.#byOrigin.get(origin);
    const floor = Math.max(delivered0(delivered, origin), queue === undefined ? 0 : queue.floor);
    if (seq <= floor || queue?.events.has(seq)) return 'duplicate';
    // A full buffer still takes an event deliverable right now: refusing it could leave a
    // buffer full of events that all wait on it.
    const weight = this.#weigh(event);
    if (this.full(weight) && !canDeliver(delivered, event)) return 'overflow';
    if (queue === undefined) {
      this.#byOrigin.set(origin, { events: new Map([[seq, event]]), floor });
    } else {
      queue.events.set(seq, event);
    }
    this.#size++;
    this.#bytes += weight;
    return 'buffered';
  }

  /**
   * Delivers every buffered event that has become deliverable against `delivered`, in
   * causal order, until none is left that qualifies; returns how many it delivered.
   *
   * MUTATES `delivered`: before each `deliver(e)` call, `delivered[e.origin]` is set to
   * `e.seq`, so the caller's clock always counts what has been handed over. `deliver`
   * should not throw; if it does, the error propagates and the event counts as delivered.
   * Buffered events that `delivered` already counts are dropped without being delivered.
   */
  drain(delivered: VectorClock, deliver: (event: E) => void): number {
    let count = 0;
    let progressed = true;
    while (progressed && this.#size > 0) {
      progressed = false;
      for (const [origin, queue] of this.#byOrigin) {
        this.#dropStale(queue, delivered0(delivered, origin));
        let next = queue.events.get(queue.floor + 1);
        while (next !== undefined && canDeliver(delivered, next)) {
          queue.events.delete(next.seq);
          queue.floor = next.seq;
          this.#size--;
          this.#bytes -= this.#weigh(next);
          delivered[origin] = next.seq;
          count++;
          progressed = true;
          deliver(next);
          next = queue.events.get(queue.floor + 1);
        }
        // Deleting the current entry while iterating a Map is well defined in JS.
        if (queue.events.size === 0) this.#byOrigin.delete(origin);
      }
    }
    return count;
  }

  /** Every buffered event, grouped by origin and in seq order within each; for visibility tools. */
  waiting(): E[] {
    const out: E[] = [];
    for (const queue of this.#byOrigin.values()) {
      const events = [...queue.events.values()].sort((a, b) => a.seq - b.seq);
      for (const e of events) out.push(e);
    }
    return out;
  }

  /** Drops every buffered event. */
  clear(): void {
    this.#byOrigin.clear();
    this.#size = 0;
    this.#bytes = 0;
  }

  /** Removes the entries of `queue` at or below `upTo` (already delivered some other way). */
  #dropStale(queue: OriginQueue<E>, upTo: number): void {
    const gap = upTo - queue.floor;
    if (gap <= 0) return;
    const events = queue.events;
    const before = events.size;
    const drop = (seq: number): void => {
      const e = events.get(seq);
      if (e === undefined) return;
      this.#bytes -= this.#weigh(e);
      events.delete(seq);
    };
    if (gap <= before) {
      for (let seq = queue.floor + 1; seq <= upTo; seq++) drop(seq);
    } else {
      for (const seq of events.keys()) if (seq <= upTo) drop(seq);
    }
    this.#size -= before - events.size;
    queue.floor = upTo;
  }
}
