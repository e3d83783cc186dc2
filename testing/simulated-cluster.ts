/**
 * A simulated cluster: an app's nodes in one process, each the real kernel (store, host,
 * fabric) on its own LevelDB, linked by a seeded {@link SimulatedNetwork} and timed by
 * one {@link SimulatedTime}.
 *
 * The simulation moves one step at a time: it delivers the next frame in flight or fires
 * the next timer, whichever is due first, and then waits until every node is quiet (its
 * batch committed, its sends done) before the next step. What each node does in a step
 * then depends only on what it was given, so a seed replays the same run, event for
 * event, with no real sleeps: time moves only by steps and {@link SimulatedCluster.advance}.
 *
 * Its nodes have node keys drawn from the seed and one trust list (`simulated-keys.ts`):
 * each commit is signed, and each event from a peer checked against its origin's
 * checkpoint, as in a keyed cluster of processes.
 *
 * A node may be partial, as an edge device is (`want`, and the app's `interest`): it
 * wants its services' event types and its wants, peers skip the rest for it, and each
 * skip is checked against its origin's signed types (a `cover`), as on a real node.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { wholeClock } from '../protocol/clock-floor.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { compare } from '../protocol/vector-clock.js';
import { actorPage, MAX_ACTOR_PAGE, type ActorPage, type ActorQuery } from '../runtime/actor-pages.js';
import type { FabricOptions, LogEntry, PublishInput, Trace } from '../runtime/fabric.js';
import type { NodeStatus } from '../inspector/feed.js';
import type { ActorView } from '../runtime/host.js';
import { nodeWants, placedServices } from '../nodes/placed-services.js';
import { nodeStatus } from '../runtime/node-status.js';
import type { RetentionPolicy } from '../runtime/retention-policy.js';
import type { AppDefinition } from '../runtime/service.js';
import { newestVersions } from '../runtime/upcasters.js';
import { SimulatedNetwork, type Delivery } from './simulated-network.js';
import { simulatedIdentities } from './simulated-keys.js';
import { SimulatedNode } from './simulated-node.js';
import { SimulatedTime } from './simulated-time.js';

/** Options of {@link simulateCluster}. */
export interface SimulationOptions {
  /** The app: its services, and their placement on nodes. */
  readonly app: AppDefinition;
  /** The nodes to run. [default the app's `cluster.nodes`, else the nodes its placement names] */
  readonly nodes?: readonly string[];
  /** Picks how links interleave (and frames' jitter): the same seed, the same run. [default 1] */
  readonly seed?: number;
  /** Simulated time at the start, ms since the epoch. [default 2025-01-01T00:00:00Z] */
  readonly start?: number;
  /** Extra delay of each frame, drawn from [0, jitterMs] by the seed. [default 0] */
  readonly jitterMs?: number;
  /** Where the nodes keep their LevelDB directories. [default a fresh temporary directory, removed by `stop`] */
  readonly dataDir?: string;
  /** Tuning of every node's fabric. */
  readonly fabric?: FabricOptions;
  /** Idle this long (simulated ms), an actor is dropped from memory until needed. [default 5 minutes] */
  readonly passivateAfterMs?: number;
  /**
   * What of its log every node keeps, as `--retain*` sets it (`maxAgeMs`, `maxEvents`,
   * `maxBytes`, `capBytes`): a compaction pass runs each simulated second. [default everything]
   */
  readonly retention?: RetentionPolicy;
  /** A retention policy per node id, in place of `retention` for the nodes it names. [default none] */
  readonly retentionOf?: Readonly<Record<string, RetentionPolicy>>;
  /**
   * Per node id, the event types it wants beside its services', as `--want` flags give
   * them (a type, a prefix ending in `*`, or `*`; `{node}` is the node's id): the node is
   * partial, as with the app's `interest` for it (both together, as on a real node). An
   * empty list: its services' types and its own events only. A node named in neither
   * wants everything. [default none]
   */
  readonly want?: Readonly<Record<string, readonly string[]>>;
  /** Where the nodes log. [default silent] */
  readonly log?: Logger;
  /** Steps one `settle` or `advance` may take before it gives up with `TROUPE_SIMULATION_UNSETTLED`. [default 100000] */
  readonly maxSteps?: number;
}

/** An actor as `GET /actors` shows it, its context typed as the caller says. */
export interface ActorOf<TContext> extends Omit<ActorView, 'context'> {
  readonly context: TContext;
}

/** 2025-01-01T00:00:00Z: simulated runs start at a fixed time, so their event times repeat too. */
const DEFAULT_START = Date.UTC(2025, 0, 1);

/**
 * Starts the app's nodes in one process on a simulated network and clock, links them all
 * and settles, so that every node has heard a peer's clock and may publish.
 *
 * @example
 * const sim = await simulateCluster({ app: orders, seed: 7 });
 * sim.cut('n3');
 * await sim.publish('n1', { type: 'OrderPlaced', data: { orderId: 'o-1', sku: 'widget', qty: 1, amount: 5000 } });
 * await sim.settle();
 * sim.actor('n1', 'order', 'o-1')?.state; // 'cancelled'
 * await sim.stop();
 */
export async function simulateCluster(options: SimulationOptions): Promise<SimulatedCluster> {
  const ids = options.nodes ?? options.app.cluster?.nodes ?? Object.keys(options.app.placement);
  if (ids.length === 0 || new Set(ids).size !== ids.length) {
    throw new TroupeError('TROUPE_BAD_REQUEST', `a simulated cluster needs distinct node ids, got [${ids.join(', ')}]`);
  }
  for (const id of ids) {
    const missing = (options.app.placement[id] ?? []).filter((name) => !options.app.services.some((s) => s.name === name));
    if (missing.length > 0) throw new TroupeError('TROUPE_BAD_APP', `placement of ${id} names services the app lacks: ${missing.join(', ')}`);
  }
  const strangers = Object.keys(options.want ?? {}).filter((id) => !ids.includes(id));
  if (strangers.length > 0) throw new TroupeError('TROUPE_BAD_REQUEST', `want names nodes not in this simulated cluster: ${strangers.join(', ')}`);
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'troupe-sim-')));
  const cluster = new SimulatedCluster(options, ids, dataDir, ownDir);
  for (const id of ids) await cluster.restore(id);
  await cluster.settle();
  return cluster;
}

/** A running simulated cluster: drive it, break it, and look inside its nodes. */
export class SimulatedCluster {
  /** The seed this run was started with. */
  readonly seed: number;
  private readonly time: SimulatedTime;
  private readonly network: SimulatedNetwork;
  private readonly nodes = new Map<string, SimulatedNode>();
  private readonly maxSteps: number;
  private readonly dataDir: string;
  private readonly ownDir: boolean;

  /** Use {@link simulateCluster}. */
  constructor(options: SimulationOptions, ids: readonly string[], dataDir: string, ownDir: boolean) {
    const log = options.log ?? pino({ level: 'silent' });
    this.seed = options.seed ?? 1;
    this.time = new SimulatedTime(options.start ?? DEFAULT_START);
    this.network = new SimulatedNetwork({ seed: this.seed, time: this.time, log, jitterMs: options.jitterMs });
    this.maxSteps = options.maxSteps ?? 100_000;
    this.dataDir = dataDir;
    this.ownDir = ownDir;
    const { app } = options;
    const versions = newestVersions(app.services);
    // Keyed, as a production cluster is: every event is checked against its origin's checkpoints.
    const identities = simulatedIdentities(this.seed, ids);
    for (const id of ids) {
      // As a real node places them: `{node}` in a service's types is this node's id.
      const services = placedServices(app, id, app.placement[id] ?? []);
      const retention = options.retentionOf?.[id] ?? options.retention;
      const want = nodeWants(app, id, options.want?.[id]);
      this.nodes.set(id, new SimulatedNode({ id, dataDir: join(dataDir, id), services, versions, seed: this.seed, time: this.time, log, fabric: options.fabric, passivateAfterMs: options.passivateAfterMs, retention, identity: identities.get(id), want }));
    }
  }

  /** Simulated time now, ms since the epoch. */
  now(): number {
    return this.time.now();
  }

  /** Frames sent and not yet delivered. */
  get inFlight(): number {
    return this.network.inFlight;
  }

  /**
   * Publishes an event from `node`, as `POST /events` does; resolves with its envelope
   * once it is committed there. Nothing is delivered to other nodes until the simulation
   * steps ({@link settle}, {@link deliver}, {@link advance}).
   */
  async publish(node: string, input: PublishInput): Promise<Envelope> {
    const committed = this.kernelOf(node).fabric.publish(input);
    const [result] = await Promise.allSettled([committed, this.quiet()]);
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }

  /**
   * Delivers frames, in the seed's order, until none is in flight: every node has then
   * committed what it was sent. Timers due before a frame arrives fire on the way; later
   * ones wait for {@link advance}. Throws `TROUPE_SIMULATION_UNSETTLED` if the nodes keep
   * sending past `maxSteps` (a choreography that never comes to rest).
   */
  async settle(): Promise<void> {
    await this.quiet();
    let steps = 0;
    while (this.network.nextArrival() !== undefined) {
      this.count(++steps, 'settle');
      await this.step(Infinity);
    }
  }

  /**
   * Delivers frames one step at a time until `condition` holds (checked before the first
   * and after each step). Resolves true once it does, or false when nothing is left in
   * flight and it still does not: a test then stops a workflow exactly where it wants.
   */
  async settleUntil(condition: () => boolean): Promise<boolean> {
    await this.quiet();
    let steps = 0;
    for (;;) {
      if (condition()) return true;
      if (this.network.nextArrival() === undefined) return false;
      this.count(++steps, 'settleUntil');
      await this.step(Infinity);
    }
  }

  /** Delivers up to `count` frames, in the seed's order (timers due before each fire first); returns them. */
  async deliver(count = 1): Promise<Delivery[]> {
    await this.quiet();
    const out: Delivery[] = [];
    let steps = 0;
    while (out.length < count && this.network.nextArrival() !== undefined) {
      this.count(++steps, 'deliver');
      const delivery = await this.step(Infinity);
      if (delivery !== undefined) out.push(delivery);
    }
    return out;
  }

  /**
   * Moves time forward by `ms`, firing every timer (actors' `after` delays, heartbeats,
   * delayed acks) and delivering every frame due meanwhile, in time order.
   */
  async advance(ms: number): Promise<void> {
    await this.quiet();
    const until = this.time.now() + ms;
    let steps = 0;
    while (this.nextEventAt() <= until) {
      this.count(++steps, 'advance');
      await this.step(until);
    }
    this.time.moveTo(until);
  }

  /** Cuts the link between `a` and `b` (or, without `b`, every link of `a`): what is in flight on it is lost. */
  cut(a: string, b?: string): void {
    for (const other of this.others(a, b)) this.network.cut(a, other);
  }

  /** Heals the link between `a` and `b` (or, without `b`, every link of `a`): they link again at once. */
  heal(a: string, b?: string): void {
    for (const other of this.others(a, b)) this.network.heal(a, other);
  }

  /** Frames between `a` and `b` sent from now on arrive `ms` later (0: as soon as delivered). */
  delay(a: string, b: string, ms: number): void {
    this.others(a, b);
    this.network.delay(a, b, ms);
  }

  /** Whether `a` and `b` are linked right now. */
  linked(a: string, b: string): boolean {
    this.others(a, b);
    return this.network.linked(a, b);
  }

  /**
   * Kills `node` between two steps, as SIGKILL would: what it committed stays on its disk,
   * everything else it held (causal buffer, timers, unpersisted acks) and every frame in
   * flight to or from it is lost. {@link restore} starts it again.
   */
  async crash(node: string): Promise<void> {
    const n = this.node(node);
    await this.quiet();
    this.network.detach(node, false);
    await n.crash();
  }

  /** Starts a crashed or stopped `node` from its disk and links it to every node up whose link to it is not cut. */
  async restore(node: string): Promise<void> {
    const n = this.node(node);
    if (n.up) return;
    const kernel = await n.start();
    this.network.attach(node, kernel.fabric);
  }

  /** Stops `node` cleanly (as on SIGTERM) and starts it again from its disk. */
  async restart(node: string): Promise<void> {
    const n = this.node(node);
    await this.quiet();
    this.network.detach(node, true);
    await n.stop();
    await this.restore(node);
  }

  /** Every actor on `node`, in memory or passivated, as `GET /actors` shows them. */
  async actors(node: string): Promise<ActorView[]> {
    const out: ActorView[] = [];
    for (let after: string | undefined; ; ) {
      const page = await this.actorPage(node, { limit: MAX_ACTOR_PAGE, after });
      out.push(...page.actors);
      if (page.next === null) return out;
      after = page.next;
    }
  }

  /**
   * One actor on `node` (`key` omitted for a singleton), or `undefined` if it has none.
   * `TContext` is what the test knows its context to be (the machine's context type).
   */
  actor<TContext = unknown>(node: string, service: string, key?: string): ActorOf<TContext> | undefined {
    return this.kernelOf(node).host.view(service, key ?? '') as ActorOf<TContext> | undefined;
  }

  /** One page of `node`'s actors with their counts, as `GET /actors` answers it. */
  actorPage(node: string, query: ActorQuery): Promise<ActorPage> {
    const { host, store } = this.kernelOf(node);
    return actorPage(host, store.actors, query);
  }

  /** How many of `node`'s actors are in memory (`live`), and how many it has in all, passivated ones included. */
  resident(node: string): { live: number; total: number } {
    const { actors } = this.kernelOf(node).host;
    return { live: actors.size, total: actors.total };
  }

  /** Every event `node` retains, in its delivery order, as `GET /log` shows them (from `log.first`: see `retention`). */
  async log(node: string): Promise<LogEntry[]> {
    const fabric = this.kernelOf(node).fabric;
    const out: LogEntry[] = [];
    for (let from = fabric.logStart; ; ) {
      const page = await fabric.read(from, 1000);
      if (page.length === 0) return out;
      out.push(...page);
      from = page[page.length - 1].pos + 1;
    }
  }

  /** The log positions `node` retains, as `/status` `log` shows them: `first` … `size` (`first` is 1 until retention removed some). */
  retained(node: string): { readonly first: number; readonly size: number } {
    const fabric = this.kernelOf(node).fabric;
    return { first: fabric.logStart, size: fabric.size };
  }

  /** `node`'s status, as `GET /status` answers it (`log.first`, each peer's `behindRetention`, `lost`, …). */
  status(node: string): NodeStatus {
    const { fabric, host } = this.kernelOf(node);
    return nodeStatus(fabric, host);
  }

  /** Runs one compaction pass on `node` now, as its timer would each second (a node without a retention policy removes nothing). */
  async compact(node: string): Promise<void> {
    await this.quiet();
    await this.kernelOf(node).fabric.compact();
    await this.quiet();
  }

  /** One workflow as `node` knows it, as `GET /trace/:correlationId` shows it. */
  trace(node: string, correlationId: string): Promise<Trace> {
    return this.kernelOf(node).fabric.trace(correlationId);
  }

  /** The committed vector clock of `node`, every entry (retired origins at their final seq too). */
  clock(node: string): VectorClock {
    return wholeClock(this.kernelOf(node).fabric.clock);
  }

  /** Whether every node is up with the same committed clock, nothing waits in a causal buffer and nothing is in flight. */
  converged(): boolean {
    const nodes = [...this.nodes.values()];
    if (!nodes.every((n) => n.up) || this.network.inFlight > 0) return false;
    const first = nodes[0].kernel.fabric.clock;
    return nodes.every((n) => n.kernel.fabric.buffered === 0 && compare(n.kernel.fabric.clock, first) === 'equal');
  }

  /** Stops every node cleanly and removes the data directory it made. */
  async stop(): Promise<void> {
    await this.quiet();
    for (const [id, n] of this.nodes) {
      this.network.detach(id, true);
      await n.stop();
    }
    if (this.ownDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** Delivers the next frame or fires the next timer due by `until`, then waits for every node to be quiet. */
  private async step(until: number): Promise<Delivery | undefined> {
    const frameAt = this.network.nextArrival() ?? Infinity;
    const timerAt = this.time.nextDue ?? Infinity;
    let delivery: Delivery | undefined;
    if (timerAt <= frameAt && timerAt <= until) this.time.fireNext();
    else if (frameAt <= until) delivery = this.network.deliverNext();
    await this.quiet();
    return delivery;
  }

  private nextEventAt(): number {
    return Math.min(this.network.nextArrival() ?? Infinity, this.time.nextDue ?? Infinity);
  }

  /** Resolves once every node up is quiet: nothing being committed, nothing being sent. */
  private async quiet(): Promise<void> {
    // A due timer's actor read back from disk re-arms its timer once the read is done: wait for it.
    await Promise.all([...this.nodes.values()].filter((n) => n.up).map(async (n) => {
      await n.kernel.host.actors.idle();
      await n.kernel.fabric.idle();
    }));
  }

  private count(steps: number, what: string): void {
    if (steps > this.maxSteps) {
      throw new TroupeError('TROUPE_SIMULATION_UNSETTLED', `${what} took over ${this.maxSteps} steps: the nodes keep sending each other frames`);
    }
  }

  private node(id: string): SimulatedNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new TroupeError('TROUPE_NOT_FOUND', `no node ${id} in this simulated cluster`);
    return node;
  }

  private kernelOf(id: string): SimulatedNode['kernel'] {
    return this.node(id).kernel;
  }

  /** `[b]`, or every node but `a` when `b` is omitted; both must be nodes of this cluster. */
  private others(a: string, b?: string): string[] {
    this.node(a);
    if (b !== undefined) {
      this.node(b);
      if (a === b) throw new TroupeError('TROUPE_BAD_REQUEST', `a node has no link to itself (${a})`);
      return [b];
    }
    return [...this.nodes.keys()].filter((id) => id !== a);
  }
}
