/**
 * A latency histogram as plain data, so that it can live in an XState actor's context
 * (the troupe sink) as well as in a receiver process: a sparse record from bucket index
 * to count. Bucket `b > 0` holds latencies in (1 µs · 1.05^(b−1), 1 µs · 1.05^b]; bucket 0
 * holds everything up to 1 µs (including the small negative readings that clock offset
 * between processes can produce). Quantiles report a bucket's upper bound, so they
 * overstate a latency by at most 5% and never understate it.
 */

/** Bucket index (as a string key, as it round-trips through JSON) → count. */
export type LatencyHistogram = Record<string, number>;

const UNIT_MS = 0.001;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);

/** The bucket a latency in ms falls into. */
export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > UNIT_MS)) return 0;
  return Math.ceil(Math.log(latencyMs / UNIT_MS) / LOG_GROWTH);
}

/** The largest latency (ms) bucket `b` holds. */
export function bucketUpperBound(b: number): number {
  return UNIT_MS * GROWTH ** b;
}

/** Counts one latency (ms) into `histogram`, in place. */
export function recordLatency(histogram: LatencyHistogram, latencyMs: number): void {
  const b = bucketOf(latencyMs);
  histogram[b] = (histogram[b] ?? 0) + 1;
}

/** How many latencies `histogram` holds. */
export function histogramCount(histogram: LatencyHistogram): number {
  let n = 0;
  for (const key in histogram) n += histogram[key];
  return n;
}

/**
 * The latency (ms) at quantile `q` (0.5 for p50, 0.99 for p99), or `null` for an empty
 * histogram.
 */
export function quantile(histogram: LatencyHistogram, q: number): number | null {
  const buckets = Object.keys(histogram)
    .map(Number)
    .sort((a, b) => a - b);
  const total = histogramCount(histogram);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const b of buckets) {
    seen += histogram[b];
    if (seen >= rank) return bucketUpperBound(b);
  }
  return bucketUpperBound(buckets[buckets.length - 1]);
}

/**
 * What `after` holds beyond `before` — the latencies recorded between two readings of a
 * histogram that only grows.
 */
export function histogramSince(after: LatencyHistogram, before: LatencyHistogram): LatencyHistogram {
  const out: LatencyHistogram = {};
  for (const key in after) {
    const n = after[key] - (before[key] ?? 0);
    if (n > 0) out[key] = n;
  }
  return out;
}
