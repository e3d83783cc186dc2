/**
 * A stream of `OrderPlaced` events published in the background, one lane per target node,
 * while a test cuts links and kills nodes around it.
 *
 * Only a `201` counts as acknowledged: that is the node's promise that the event is durable.
 * A request that fails or answers anything else is recorded with its error and never
 * counted, which is right for a node that was killed mid-request (the event may or may not
 * have been committed; the checks allow both). Orders are deterministic — the n-th order
 * has the same sku, quantity and amount in every run — and each is published with its
 * order id as correlation id, so a workflow's events can be found in any node's log.
 */
import type { Published } from './admin-client.js';
import type { NodeProcess } from './node-process.js';
import { describeError, waitFor } from './wait-for.js';

/** The skus the orders example stocks. */
export const SKUS = ['widget', 'gadget', 'gizmo'] as const;

/** The data of one `OrderPlaced`. */
export interface OrderData {
  readonly orderId: string;
  readonly sku: string;
  readonly qty: number;
  readonly amount: number;
  readonly shipDelayMs?: number;
}

/** An order some node acknowledged. */
export interface PlacedOrder {
  readonly order: OrderData;
  readonly node: string;
  readonly published: Published;
}

/**
 * The n-th order of a run. The example's stock is small (17 units), so a paid order is
 * rare — every fourth, for one unit — and the others are over the payment limit: they
 * reserve stock, are declined, and release it again, which keeps the compensation path
 * busy instead of running out of stock after a dozen orders.
 */
export function makeOrder(prefix: string, n: number, shipDelayMs = 20): OrderData {
  const paid = n % 4 === 0;
  return {
    orderId: `${prefix}-${n}`,
    sku: SKUS[n % SKUS.length]!,
    qty: paid ? 1 : 1 + (n % 3),
    amount: paid ? 10 + (n % 90) : 1500 + n,
    shipDelayMs,
  };
}

/** Options of a traffic run. */
export interface TrafficOptions {
  /** Order ids start with this. */
  readonly prefix: string;
  /** The nodes to publish on, asked again before every request (a node may be down). */
  readonly targets: () => readonly NodeProcess[];
  /** Stop after this many attempts in all. [default: 10000] */
  readonly max?: number;
  /** `shipDelayMs` of every order. [default: 20] */
  readonly shipDelayMs?: number;
  /** Waits for acknowledgements give up at once when this names a reason (a node crashed). */
  readonly failFast?: () => string | undefined;
}

/** Background publisher of orders; {@link stop} it before checking. */
export class OrderTraffic {
  readonly acked: PlacedOrder[] = [];
  readonly failed: { order: OrderData; node: string; error: string }[] = [];
  private next = 0;
  private stopping = false;
  private running: Promise<void> | undefined;
  private finished = false;

  constructor(private readonly options: TrafficOptions) {}

  /** Attempts so far. */
  get attempts(): number {
    return this.next;
  }

  /** Acknowledged orders per node id. */
  ackedBy(node: string): number {
    return this.acked.filter((p) => p.node === node).length;
  }

  /** Starts publishing, one request in flight per target lane. */
  start(): this {
    const lanes = this.options.targets().length;
    this.running = Promise.all(Array.from({ length: lanes }, (_, lane) => this.lane(lane))).then(() => {
      this.finished = true;
    });
    return this;
  }

  /** Waits until `count` more orders than now (or than `from`) are acknowledged. */
  async waitForAcks(count: number, what: string, timeout = 60_000, from = this.acked.length): Promise<void> {
    const target = from + count;
    await waitFor(() => this.acked.length, {
      timeout,
      interval: 20,
      ...(this.options.failFast && { failFast: this.options.failFast }),
      until: (n) => n >= target || this.finished,
      message: () => `${target} acknowledged orders (${what}); ${this.failed.length} failed, last: ${this.failed.at(-1)?.error ?? 'none'}`,
    });
    if (this.acked.length < target) throw new Error(`traffic ended with ${this.acked.length} of ${target} acknowledged orders`);
  }

  /** Stops publishing and waits for requests in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private async lane(lane: number): Promise<void> {
    const max = this.options.max ?? 10_000;
    while (!this.stopping && this.next < max) {
      const targets = this.options.targets();
      if (targets.length === 0) break;
      const node = targets[lane % targets.length]!;
      const order = makeOrder(this.options.prefix, this.next++, this.options.shipDelayMs);
      try {
        const published = await node.admin.publish('OrderPlaced', order, order.orderId);
        this.acked.push({ order, node: node.id, published });
      } catch (err) {
        this.failed.push({ order, node: node.id, error: describeError(err) });
        // A refused connection fails in microseconds: do not spin on a dead node.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
}
