/**
 * A Prometheus histogram cheap enough to observe once per event.
 *
 * prom-client's `Histogram.observe` builds, validates and hashes a label set and looks a
 * bucket up by a number-keyed property on every call: about 1.5 µs, which for one
 * observation per delivered event came to several percent of a busy node's CPU. prom-client
 * has no call that adds many observations at once (prometheus/client_js#514), and the
 * Prometheus clients' answer for values counted outside the client is a custom collector.
 * This is one: it counts into a typed array, and a prom-client `Registry` reads it at scrape
 * through `get()` as it reads its own metrics, giving the same series as a prom-client
 * histogram with the same buckets (`_bucket{le}`, cumulative, then `+Inf`, `_sum`, `_count`).
 * It has no labels.
 */
import type { Metric, Registry } from 'prom-client';

/** Options of {@link EventHistogram}. */
export interface EventHistogramOptions {
  readonly name: string;
  readonly help: string;
  /** Upper bounds of the buckets, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
  readonly registers: readonly Registry[];
}

/** One series of a histogram as prom-client's `Registry` reads it. */
export interface HistogramSeries {
  readonly metricName: string;
  readonly labels: { readonly le?: number | '+Inf' };
  readonly value: number;
}

/** A label-less histogram whose `observe` is a bucket search and three additions. */
export class EventHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  /** How prom-client's cluster registry combines workers' values, as for its own histograms. */
  readonly aggregator = 'sum';
  private readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative); the last slot is `+Inf`. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(options: EventHistogramOptions) {
    this.name = options.name;
    this.help = options.help;
    this.bounds = [...options.buckets];
    this.counts = new Float64Array(this.bounds.length + 1);
    // prom-client reads any registered metric through `get()`; its types name only its own classes.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** Counts one observation of `value` (a finite number). */
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  /** Forgets every observation (prom-client's `Registry.resetMetrics` calls it). */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  /** The series as prom-client's `Registry` renders them. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramSeries[] }> {
    const bucket = `${this.name}_bucket`;
    const values: HistogramSeries[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i];
      values.push({ metricName: bucket, labels: { le }, value: cumulative });
    });
    values.push(
      { metricName: bucket, labels: { le: '+Inf' }, value: this.count },
      { metricName: `${this.name}_sum`, labels: {}, value: this.sum },
      { metricName: `${this.name}_count`, labels: {}, value: this.count },
    );
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
