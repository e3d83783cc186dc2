/**
 * A node's interest and what follows from it for its clock: the seqs it skipped (counted,
 * not held: `skips.ts`) and, after its interest widened, the skipped seqs it is fetching
 * back (`refill`).
 *
 * Widening: a node restarted with an interest that wants something its previous one did
 * not may now want events it skipped. It cannot tell which (it never saw them), so every
 * skipped range becomes a range to refill. While any is left, the clock it tells peers
 * (`want`, `ack`) is its committed clock lowered, per origin, to just below its first seq
 * to refill: a peer then streams that origin again from there, in its own delivery order
 * (causal), sending what the new interest wants and skip notices for the rest. A refilled
 * event (a seq the node counts but skipped) is delivered like a new one: it takes the next
 * log position and goes to the services that want it; a skip notice for a seq to refill
 * confirms it stays skipped. Refilled events thus reach the services in causal order among
 * themselves, after the events the node already held (which no service of the new
 * interest missed: those types were wanted before). As ranges resolve in seq order the
 * told clock rises, so a peer's window keeps moving.
 *
 * Lost seqs still asked for (`asked`): seqs counted as lost on peers' `lost` claims that
 * not every known peer able to send them confirmed (`lost-events.ts`). They are skipped
 * seqs (counted, not held) that the node fetches back exactly as it refills, so that a
 * claim a linked peer forged costs nothing but order: an honest copy is still taken. They
 * do not hold back a retirement (their events are counted lost: the retirement counts
 * them either way) and are told on as gaps, unlike a widening's refill.
 */
import type { VectorClock } from '../protocol/envelope.js';
import { InterestFilter, isEverything, widens, type Interest } from './interest.js';
import { SkipRanges, type Ranges } from './skips.js';

/** What a node keeps about its interest across restarts. */
export interface StoredInterest {
  /** The interest it ran with last (absent: never recorded, so everything). */
  readonly interest?: Interest;
  readonly skips: ReadonlyMap<string, Ranges>;
  readonly refill: ReadonlyMap<string, Ranges>;
  /** Seqs counted as lost that are still asked for. [default none] */
  readonly asked?: ReadonlyMap<string, Ranges>;
}

/** One node's interest, skipped seqs and seqs to refill. */
export class InterestSync {
  readonly interest: Interest;
  readonly filter: InterestFilter;
  readonly skips: SkipRanges;
  readonly refill: SkipRanges;
  /** Seqs counted as lost (so also skipped) that are still asked for from peers. */
  readonly asked: SkipRanges;
  /** The interest changed since last stored. */
  private interestChanged: boolean;

  constructor(interest: Interest, stored: StoredInterest) {
    this.interest = interest;
    this.filter = new InterestFilter(interest);
    this.skips = new SkipRanges(stored.skips);
    this.refill = new SkipRanges(stored.refill);
    this.asked = new SkipRanges(stored.asked);
    const previous = stored.interest ?? ['*'];
    this.interestChanged = previous.join('\n') !== interest.join('\n');
    if (widens(previous, interest)) {
      for (const [origin, ranges] of this.skips.entries()) for (const [a, b] of ranges) this.refill.add(origin, a, b);
    }
  }

  /** Whether this node wants less than everything. */
  get partial(): boolean {
    return !isEverything(this.interest);
  }

  /** Whether any counted seq is being fetched back (to refill, or lost and still asked for). */
  get fetching(): boolean {
    return !this.refill.empty || !this.asked.empty;
  }

  /** The first seq of `origin` being fetched back (to refill or asked for), if any. */
  firstFetched(origin: string): number | undefined {
    const a = this.refill.first(origin);
    const b = this.asked.first(origin);
    return a === undefined ? b : b === undefined ? a : Math.min(a, b);
  }

  /** The clock to tell peers: `committed`, lowered below each origin's first seq to refill or asked for. */
  told(committed: VectorClock): VectorClock {
    if (!this.fetching) return committed;
    const out = { ...committed };
    for (const set of [this.refill, this.asked]) for (const [origin, ranges] of set.entries()) out[origin] = Math.min(out[origin] ?? 0, ranges[0][0] - 1);
    return out;
  }

  /** Seqs `from`…`to` of `origin` were skipped (a skip notice applied to the clock); `asked`: lost, and still asked for. */
  skipped(origin: string, from: number, to: number, asked = false): void {
    this.skips.add(origin, from, to);
    if (asked) this.asked.add(origin, from, to);
  }

  /** A skip notice for seqs the clock counts already: those to refill or asked for stay skipped. */
  confirmSkipped(origin: string, from: number, to: number): void {
    if (!this.refill.empty) this.refill.remove(origin, from, to);
    if (!this.asked.empty) this.asked.remove(origin, from, to);
  }

  /** Lost seqs every known peer able to send them said it no longer holds: no longer asked for. */
  settled(origin: string, from: number, to: number): void {
    this.asked.remove(origin, from, to);
  }

  /** Whether seq `seq` of `origin` is one being fetched back (it may be delivered although the clock counts it). */
  refilling(origin: string, seq: number): boolean {
    return (!this.refill.empty && this.refill.has(origin, seq)) || (!this.asked.empty && this.asked.has(origin, seq));
  }

  /** A refilled event was taken in: it is no longer to refill or asked for, and once delivered no longer skipped. */
  refilled(origin: string, seq: number): void {
    this.refill.remove(origin, seq, seq);
    this.asked.remove(origin, seq, seq);
    this.skips.remove(origin, seq, seq);
  }

  /** What changed since last taken, to write with the next commit. */
  takeChanges(): InterestChanges | undefined {
    const skips = this.skips.takeChanged();
    const refill = this.refill.takeChanged();
    const asked = this.asked.takeChanged();
    const interest = this.interestChanged ? this.interest : undefined;
    this.interestChanged = false;
    if (skips.size === 0 && refill.size === 0 && asked.size === 0 && interest === undefined) return undefined;
    return { skips, refill, asked, ...(interest === undefined ? {} : { interest }) };
  }

  /** As `/status` shows it; `undefined` on a node that wants everything and skipped nothing. */
  view(): { want: readonly string[]; skipped: number; refilling: number } | undefined {
    if (!this.partial && this.skips.empty) return undefined;
    return { want: this.interest, skipped: this.skips.total, refilling: this.refill.total };
  }
}

/** What a commit writes about interest: changed ranges per origin (empty: none left), and a new interest. */
export interface InterestChanges {
  readonly skips: ReadonlyMap<string, Ranges>;
  readonly refill: ReadonlyMap<string, Ranges>;
  readonly asked?: ReadonlyMap<string, Ranges>;
  readonly interest?: Interest;
}
