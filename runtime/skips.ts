/**
 * Skipped seqs: the events a partial node's clock counts without holding them. A peer
 * leaves out of its stream the events outside this node's interest and sends skip
 * notices (origin, first seq, last seq) in their place; applying one advances the clock
 * as delivering those events would, so CBCAST goes on delivering what does arrive. This
 * node keeps which seqs it skipped, as ranges per origin, so that it never claims to hold
 * them: its log has the events it delivered, its clock counts both, and what it lacks
 * after a wider interest is exactly these ranges (see `refill` in `interest-sync.ts`).
 *
 * Ranges of one origin are kept sorted and merged; a node skipping all of another
 * device's readings holds one range for it, whatever their number.
 */

/** Inclusive seq ranges `[first, last]`, sorted, disjoint and not adjacent. */
export type Ranges = readonly (readonly [number, number])[];

/** Skipped (or to-be-fetched) seq ranges per origin, with the origins changed since last taken. */
export class SkipRanges {
  private readonly byOrigin = new Map<string, [number, number][]>();
  private readonly changed = new Set<string>();
  private count = 0;

  constructor(initial: ReadonlyMap<string, Ranges> = new Map()) {
    for (const [origin, ranges] of initial) for (const [a, b] of ranges) this.add(origin, a, b);
    this.changed.clear();
  }

  /** How many seqs are in all the ranges. */
  get total(): number {
    return this.count;
  }

  /** Whether no range is left. */
  get empty(): boolean {
    return this.byOrigin.size === 0;
  }

  /** The ranges of `origin`. */
  ranges(origin: string): Ranges {
    return this.byOrigin.get(origin) ?? [];
  }

  /** Every origin with its ranges. */
  entries(): [string, Ranges][] {
    return [...this.byOrigin];
  }

  /** Whether seq `seq` of `origin` is in a range. */
  has(origin: string, seq: number): boolean {
    return this.byOrigin.get(origin)?.some(([a, b]) => a <= seq && seq <= b) ?? false;
  }

  /** The parts of seqs `from`…`to` of `origin` that lie in its ranges, in seq order: the one intersection of ranges. */
  within(origin: string, from: number, to: number): [number, number][] {
    const out: [number, number][] = [];
    for (const [a, b] of this.byOrigin.get(origin) ?? []) {
      if (a > to) break;
      if (b >= from) out.push([Math.max(a, from), Math.min(b, to)]);
    }
    return out;
  }

  /** The first seq of `origin` in a range, if any. */
  first(origin: string): number | undefined {
    return this.byOrigin.get(origin)?.[0]?.[0];
  }

  /** Adds seqs `from`…`to` of `origin`. */
  add(origin: string, from: number, to: number): void {
    if (to < from) return;
    const list = this.byOrigin.get(origin) ?? [];
    let start = from;
    let end = to;
    const kept: [number, number][] = [];
    let covered = 0;
    for (const [a, b] of list) {
      if (b < start - 1 || a > end + 1) {
        kept.push([a, b]);
        continue;
      }
      covered += b - a + 1;
      start = Math.min(start, a);
      end = Math.max(end, b);
    }
    kept.push([start, end]);
    kept.sort((x, y) => x[0] - y[0]);
    this.count += end - start + 1 - covered;
    this.byOrigin.set(origin, kept);
    this.changed.add(origin);
  }

  /** Removes seqs `from`…`to` of `origin` from the ranges. */
  remove(origin: string, from: number, to: number): void {
    const list = this.byOrigin.get(origin);
    if (list === undefined || to < from) return;
    const kept: [number, number][] = [];
    let removed = 0;
    for (const [a, b] of list) {
      if (b < from || a > to) {
        kept.push([a, b]);
        continue;
      }
      if (a < from) kept.push([a, from - 1]);
      if (b > to) kept.push([to + 1, b]);
      removed += Math.min(b, to) - Math.max(a, from) + 1;
    }
    // Nothing overlapped: the origin's ranges, and what is stored of them, stay as they are.
    if (removed === 0) return;
    this.count -= removed;
    if (kept.length === 0) this.byOrigin.delete(origin);
    else this.byOrigin.set(origin, kept);
    this.changed.add(origin);
  }

  /** The ranges of the origins changed since last taken (empty ranges: none left), to persist. */
  takeChanged(): Map<string, Ranges> {
    const out = new Map<string, Ranges>();
    for (const origin of this.changed) out.set(origin, this.ranges(origin).map(([a, b]) => [a, b] as const));
    this.changed.clear();
    return out;
  }
}
