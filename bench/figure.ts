/**
 * A measured figure: the median of several runs, with the runs kept so a reader can see
 * the spread. A figure that could not be measured carries `null` and a reason instead.
 */

/** One benchmark figure. */
export interface Figure {
  /** Median of `samples`, or `null` when nothing was measured. */
  readonly value: number | null;
  readonly unit: string;
  /** Every run's value, in run order. */
  readonly samples: readonly number[];
  /** Why the figure is missing or what qualifies it (partial delivery, a timeout …). */
  readonly note?: string;
}

/** The median of `values` (mean of the middle two for an even count), or `null` if empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A figure from the runs' values; non-finite values (a run that failed) are left out. */
export function figure(unit: string, samples: readonly (number | null)[], note?: string): Figure {
  const finite = samples.filter((v): v is number => v !== null && Number.isFinite(v));
  return { value: median(finite), unit, samples: finite, ...(note ? { note } : {}) };
}

/** A set of figures keyed by a stable id (`throughput`, `latency1k.p50` …). */
export type FigureSet = Record<string, Figure>;

/** Collects the runs' values per figure id, and turns them into medians. */
export class FigureBook {
  private readonly entries = new Map<string, { unit: string; samples: (number | null)[]; notes: Set<string> }>();

  /** Records one run's value (or `null` for a failed run) of figure `id`, with an optional note. */
  add(id: string, unit: string, value: number | null, note?: string): void {
    let entry = this.entries.get(id);
    if (!entry) {
      entry = { unit, samples: [], notes: new Set() };
      this.entries.set(id, entry);
    }
    entry.samples.push(value);
    if (note) entry.notes.add(note);
  }

  /** Records figure `id` as not measured, and why. */
  skip(id: string, unit: string, note: string): void {
    this.add(id, unit, null, note);
  }

  /** Every figure recorded so far, each the median of its runs. */
  figures(): FigureSet {
    const out: FigureSet = {};
    for (const [id, { unit, samples, notes }] of this.entries) {
      out[id] = figure(unit, samples, notes.size > 0 ? [...notes].join('; ') : undefined);
    }
    return out;
  }
}
