/**
 * The workload of a chaos run, recorded in a {@link History}: orders of the orders example
 * (when the app has its `order` service) and plain `ChaosPing` events of client sessions,
 * published on every node through the admin API while faults come and go.
 *
 * A session publishes one event at a time and moves from node to node. Before it publishes
 * on a node it asks that node's `/status` whether it already holds the session's previous
 * acknowledged event; only then does it record the new one as coming `after` it, because
 * only then does the runtime promise that order (the new event's clock covers the old).
 * That is the client's view of causal order the checker holds every node to.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosNode } from './chaos-node.js';
import type { History, Operation, OperationKind } from './history.js';
import { NodeAdmin, type Ack, type Clock } from './node-admin.js';
import type { Prng } from './prng.js';

/** The skus the orders example stocks. */
const SKUS = ['widget', 'gadget', 'gizmo'] as const;
/** Tries to find a node holding a session's previous event before the session gives up on it. */
const MAX_MISSES = 50;
/** The event type of a session's plain events. */
const PING = 'ChaosPing';

/** What the workload drives. */
export interface WorkloadOptions {
  readonly nodes: readonly ChaosNode[];
  readonly history: History;
  readonly prng: Prng;
  /** Publish orders of the orders example. */
  readonly orders: boolean;
  /** Prefix of order ids and session names, unique to the run. */
  readonly prefix: string;
  /** How many client sessions publish plain events. */
  readonly sessions: number;
  /** ms since the run started. */
  readonly now: () => number;
}

/**
 * The n-th order. The example's stock is small, so most orders are over the payment limit:
 * they reserve stock, are declined and release it (the compensation path); every fourth is
 * paid and shipped, one unit at a time.
 */
function orderData(orderId: string, n: number): Record<string, unknown> {
  const paid = n % 4 === 0;
  return { orderId, sku: SKUS[n % SKUS.length], qty: paid ? 1 : 1 + (n % 3), amount: paid ? 10 + (n % 90) : 1500 + n, shipDelayMs: 20 };
}

/** Whether a node's clock holds the acknowledged event. */
function covers(vc: Clock, ack: Ack): boolean {
  return (vc[ack.origin] ?? 0) >= ack.seq;
}

/** The background publishers; {@link stop} them before checking. */
export class Workload {
  private stopping = false;
  private running: Promise<void> | undefined;
  private orderCount = 0;

  constructor(private readonly options: WorkloadOptions) {}

  /** Starts every lane: two of orders (if any), one per session. */
  start(): void {
    const lanes: Promise<void>[] = [];
    if (this.options.orders) lanes.push(this.orderLane(), this.orderLane());
    for (let s = 1; s <= this.options.sessions; s++) lanes.push(this.sessionLane(`${this.options.prefix}-s${s}`));
    this.running = Promise.all(lanes).then(() => undefined);
  }

  /** Stops publishing and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.running;
  }

  private ready(): ChaosNode[] {
    return this.options.nodes.filter((node) => node.ready);
  }

  private async publish(kind: OperationKind, session: string, node: ChaosNode, type: string, data: unknown, correlationId: string, after?: number): Promise<Operation> {
    const startedAt = this.options.now();
    const result = await new NodeAdmin(node.url).publish(type, data, correlationId);
    return this.options.history.record({
      kind, session, node: node.id, type, data, correlationId, startedAt, endedAt: this.options.now(),
      outcome: result.outcome,
      ...(result.outcome === 'ok' ? { ack: result.ack } : { error: result.error }),
      ...(after !== undefined && result.outcome === 'ok' ? { after } : {}),
    });
  }

  private async orderLane(): Promise<void> {
    const { prng } = this.options;
    while (!this.stopping) {
      const ready = this.ready();
      if (ready.length > 0) {
        const n = this.orderCount++;
        const orderId = `${this.options.prefix}-o${n}`;
        await this.publish('order', 'orders', prng.pick(ready), 'OrderPlaced', orderData(orderId, n), orderId);
      }
      await sleep(prng.int(40, 120));
    }
  }

  private async sessionLane(session: string): Promise<void> {
    const { prng } = this.options;
    let previous: Operation | undefined;
    let n = 0;
    let misses = 0;
    while (!this.stopping) {
      await sleep(prng.int(40, 120));
      const ready = prng.shuffle(this.ready());
      if (ready.length === 0) continue;
      const target = previous?.ack === undefined ? { node: ready[0]!, after: undefined } : await this.holderOf(ready, previous);
      if (target === undefined) {
        // No node holds it: the event may be lost with a disk. The session starts a new chain.
        if (++misses >= MAX_MISSES) previous = undefined;
        continue;
      }
      misses = 0;
      const operation = await this.publish('session', session, target.node, PING, { session, n: n++ }, session, target.after);
      if (operation.outcome === 'ok') previous = operation;
    }
  }

  /** A ready node that holds `previous`'s event (another node than the last, when one does), or none yet. */
  private async holderOf(ready: readonly ChaosNode[], previous: Operation): Promise<{ node: ChaosNode; after: number } | undefined> {
    const ordered = [...ready.filter((node) => node.id !== previous.node), ...ready.filter((node) => node.id === previous.node)];
    for (const node of ordered) {
      try {
        if (covers((await new NodeAdmin(node.url, 2000).status()).vc, previous.ack!)) return { node, after: previous.n };
      } catch {
        // down, stopped or slow: try the next
      }
    }
    return undefined;
  }
}
