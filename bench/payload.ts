/**
 * The one event every system in the suite carries: same type, same data, so bytes and
 * handler work compare like for like. `sentAt` is the publisher's `wallClockMs()` at the
 * moment it hands the event to the system under test; receivers subtract it from their
 * own clock to get publish-to-handler latency.
 */

/** The event type published in every benchmark. */
export const BENCH_EVENT_TYPE = 'bench.event';

/** The data of a benchmark event: a small order line, plus the send time. */
export interface BenchData {
  readonly i: number;
  readonly orderId: string;
  readonly sku: string;
  readonly qty: number;
  readonly price: number;
  /** Publisher's `wallClockMs()` when it sent the event. */
  readonly sentAt: number;
}

/** The data of the `i`-th benchmark event, sent at `sentAt`. */
export function benchData(i: number, sentAt: number): BenchData {
  return { i, orderId: `order-${i % 100_000}`, sku: 'SKU-00042', qty: 3, price: 19.99, sentAt };
}
