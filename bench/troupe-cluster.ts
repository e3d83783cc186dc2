/**
 * A troupe cluster for the benchmarks: `size` nodes as child processes on 127.0.0.1,
 * running the sink app (`apps/sink.ts`). The last node is `rx`, which hosts the sink; the
 * others (`n1`, `n2` …) host nothing and publish. Full mesh: node i dials every node
 * before it. With `proxied`, every link runs through its own counting proxy (for the
 * wire figures only — a proxy costs the harness CPU).
 *
 * Three ways to publish, chosen per cluster:
 * - `http`: every node is `troupe node` (the CLI), and the harness sends `POST /events`
 *   round-robin over the publishing nodes;
 * - `client`: every node is `troupe node`, and the harness publishes with `troupe/client`
 *   (one connection per publishing node, round-robin), an application in another process;
 * - `embedded`: the publishing nodes are `troupe-publisher.js` — a node with its
 *   publisher in-process — and each sends its share of the load with `node.publish()`.
 *
 * Either way `rx` runs `troupe-publisher.js` too, and the harness reads the sink's
 * `DeliveryProbe` over its IPC channel, as it does for the Moleculer and ceiling receivers.
 *
 * The nodes of a cluster run as production nodes should: each with its own key and one
 * trust list (`--trust`), so the figures include signing and checking origin checkpoints.
 * `TROUPE_BENCH_UNSIGNED=1` runs them with the cluster secret alone, for comparison; the
 * suites run one unsigned throughput figure of their own (`2.durable.unsigned`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type TroupeClient } from '../client/index.js';
import { newNodeKey, TrustList } from '../protocol/node-keys.js';
import { AdminClient, PUBLISH_WINDOW } from './admin-client.js';
import { SINK_NODE_ID } from './apps/sink.js';
import type { ProbeReport } from './delivery-probe.js';
import { waitForDelivery, type ProbeTarget } from './delivery-runs.js';
import { localPacedRunner, mergePacedRuns, type PacedRun, type PacedRunner } from './paced-sender.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { TcpProxy, type ProxyTraffic } from '../nodes/tcp-proxy.js';
import { createFrameCounter } from './frame-counter.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import { wallClockMs } from './wall-clock.js';
import { mergeWindowedRuns, runWindowed, type WindowedRun } from './windowed-sender.js';

const CLI_SCRIPT = new URL('../nodes/cli.js', import.meta.url).pathname;
const PUBLISHER_SCRIPT = new URL('./troupe-publisher.js', import.meta.url).pathname;
const SINK_APP = new URL('./apps/sink.js', import.meta.url).pathname;
const SECRET = 'troupe-bench';
const START_TIMEOUT_MS = 20_000;
/** Time an embedded publisher gets beyond its load's own deadlines to answer. */
const IPC_SLACK_MS = 30_000;

/** How to start one node. */
export interface NodeSpec {
  readonly id: string;
  /** 0 for a free port. */
  readonly port: number;
  readonly dataDir: string;
  readonly peers: readonly string[];
  readonly relaxed: boolean;
  /** The trust list and this node's key file (`--trust`, `--key`); none: the secret alone. */
  readonly keys?: { readonly trust: string; readonly key: string };
  /** Run `troupe-publisher.js` (node and publisher in one process) instead of the CLI. */
  readonly embedded: boolean;
  /** Keep at most this many log entries (`--retain-events`); none: everything. */
  readonly retainEvents?: number;
}

/** A running node. */
export interface TroupeNode {
  readonly spec: NodeSpec;
  readonly child: ChildHandle;
  readonly port: number;
  readonly client: AdminClient;
  /** Spawn to the `listening` log line (ms). */
  readonly listeningMs: number;
  /** Harness `wallClockMs()` when the `listening` line was read. */
  readonly listeningAt: number;
}

/** Spawns `troupe node` (or the embedded publisher) and waits for its `listening` line. */
export async function startTroupeNode(spec: NodeSpec): Promise<TroupeNode> {
  mkdirSync(spec.dataDir, { recursive: true });
  const args = ['--id', spec.id, '--port', String(spec.port), '--data', spec.dataDir, '--secret', SECRET];
  for (const peer of spec.peers) args.push('--peer', peer);
  if (spec.relaxed) args.push('--relaxed');
  if (spec.keys !== undefined) args.push('--trust', spec.keys.trust, '--key', spec.keys.key);
  if (spec.retainEvents !== undefined) args.push('--retain-events', String(spec.retainEvents));
  const child = spec.embedded
    ? ChildHandle.start({ name: spec.id, script: PUBLISHER_SCRIPT, args, ipc: true })
    : ChildHandle.start({ name: spec.id, script: CLI_SCRIPT, args: ['node', ...args, '--app', SINK_APP] });
  const ready = await child.waitForLine((line) => parseJsonLine(line)?.msg === 'listening', START_TIMEOUT_MS);
  const url = String(parseJsonLine(ready.line)?.url);
  return {
    spec,
    child,
    port: Number(new URL(url).port),
    client: new AdminClient(url),
    listeningMs: ready.at - child.startedAt,
    listeningAt: ready.at,
  };
}

/** How the harness publishes: in the node's process, over `POST /events`, or with `troupe/client`. */
export type PublishMode = 'embedded' | 'http' | 'client';

/** What cluster to start. */
export interface ClusterSpec {
  /** Nodes; the last is the sink node `rx`. */
  readonly size: number;
  /** Skip fsync on commit. */
  readonly relaxed: boolean;
  /** Route every link through a counting proxy. */
  readonly proxied: boolean;
  /** How the harness publishes (see the file comment). */
  readonly publish: PublishMode;
  /** Directory for the nodes' data (one subdirectory per node). */
  readonly dataDir: string;
  /** Every node's `--retain-events`; none: every node keeps its whole log. */
  readonly retainEvents?: number;
  /** Run with the cluster secret alone, no node keys: the cost of signing (issue 15). [default false] */
  readonly unsigned?: boolean;
}

/** A running benchmark cluster. */
export class TroupeCluster {
  private constructor(
    readonly spec: ClusterSpec,
    readonly nodes: TroupeNode[],
    private readonly proxies: TcpProxy[],
    /** With `publish: 'client'`, one client per publishing node. */
    private readonly clients: TroupeClient[] = [],
  ) {}

  /** Starts the nodes in order, each dialling the ones before it, and waits until every link is up. */
  static async start(spec: ClusterSpec): Promise<TroupeCluster> {
    const nodes: TroupeNode[] = [];
    const proxies: TcpProxy[] = [];
    const cluster = new TroupeCluster(spec, nodes, proxies);
    const ids = Array.from({ length: spec.size }, (_, i) => (i === spec.size - 1 ? SINK_NODE_ID : `n${i + 1}`));
    const keys = spec.unsigned === true || process.env.TROUPE_BENCH_UNSIGNED === '1' ? undefined : writeKeys(spec.dataDir, ids);
    try {
      for (const id of ids) {
        const peers: string[] = [];
        for (const earlier of nodes) {
          let port = earlier.port;
          if (spec.proxied) {
            const proxy = await TcpProxy.start(earlier.port, { messages: () => createFrameCounter('websocket') });
            proxies.push(proxy);
            port = proxy.port;
          }
          peers.push(`ws://127.0.0.1:${port}`);
        }
        // The sink's node always runs in-process, for its probe; the others do when they publish in-process.
        const embedded = spec.publish === 'embedded' || id === SINK_NODE_ID;
        nodes.push(await startTroupeNode({ id, port: 0, dataDir: join(spec.dataDir, id), peers, relaxed: spec.relaxed, embedded, keys: keys?.(id), retainEvents: spec.retainEvents }));
      }
      await cluster.waitLinked(START_TIMEOUT_MS);
      if (spec.publish === 'client') {
        for (const node of cluster.publishers) cluster.clients.push(await connect(`ws://127.0.0.1:${node.port}`));
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** Starts a cluster, runs `body` on it, and always stops it and removes its data. */
  static async run<T>(spec: ClusterSpec, body: (cluster: TroupeCluster) => Promise<T>): Promise<T> {
    const cluster = await TroupeCluster.start(spec);
    try {
      return await body(cluster);
    } finally {
      await cluster.stop();
      rmSync(spec.dataDir, { recursive: true, force: true });
      // The kernel may still be writing back what this cluster wrote: flush it now, so
      // that the next scenario does not pay for it (fixed loads wait on fsync).
      execFileSync('sync');
    }
  }

  /** The node hosting the sink. */
  get sink(): TroupeNode {
    return this.nodes[this.nodes.length - 1];
  }

  /** The nodes the harness publishes on: every node but the sink's, or the sink's own in a 1-node cluster. */
  get publishers(): TroupeNode[] {
    return this.nodes.length === 1 ? this.nodes : this.nodes.slice(0, -1);
  }

  /**
   * The sink's delivery probe in the sink node's process (whichever process runs it now:
   * a restarted sink starts counting from zero).
   */
  sinkProbe(): ProbeTarget {
    return {
      pollMs: 50,
      report: () => this.sink.child.request<ProbeReport>({ cmd: 'report' }),
    };
  }

  /**
   * Sends `count` events as fast as the cluster commits them, `window` in flight in all
   * (each embedded publisher gets its share of both); resolves when all are committed.
   */
  async runWindowed(count: number, window: number, deadlineMs: number): Promise<WindowedRun> {
    if (this.spec.publish !== 'embedded') {
      return runWindowed({ count, window, deadlineMs, send: (i) => this.publishFromHarness(i) });
    }
    const shares = this.publishers.map((_, k) => shareOf(count, k, this.publishers.length));
    const runs = await Promise.all(
      this.publishers.map((node, k) =>
        node.child.request<WindowedRun>(
          { cmd: 'windowed', count: shares[k].size, window: Math.ceil(window / this.publishers.length), deadlineMs, offset: shares[k].offset },
          deadlineMs * 2 + IPC_SLACK_MS,
        ),
      ),
    );
    return mergeWindowedRuns(runs);
  }

  /** A paced-load runner for this cluster, at most `maxInFlight` publishes in flight in all. */
  pacedRunner(maxInFlight: number): PacedRunner {
    if (this.spec.publish !== 'embedded') {
      return localPacedRunner(maxInFlight, async (first, n) => {
        const publishes: Promise<void>[] = [];
        for (let i = first; i < first + n; i++) publishes.push(this.publishFromHarness(i));
        await Promise.all(publishes);
      });
    }
    return async (plan) => {
      const k = this.publishers.length;
      const runs = await Promise.all(
        this.publishers.map((node, j) => {
          const share = shareOf(plan.count, j, k);
          return node.child.request<PacedRun>(
            { cmd: 'paced', rate: plan.rate / k, count: share.size, deadlineMs: plan.deadlineMs, maxInFlight: Math.ceil(maxInFlight / k), offset: share.offset },
            plan.deadlineMs * 2 + IPC_SLACK_MS,
          );
        }),
      );
      return mergePacedRuns(runs);
    };
  }

  /** Publishes `events` events and waits for the sink: JIT, connections and the sink actor warm. */
  async warmUp(events: number, deadlineMs: number): Promise<void> {
    const probe = this.sinkProbe();
    const base = await probe.report();
    const run = await this.runWindowed(events, PUBLISH_WINDOW, deadlineMs);
    if (run.error !== undefined) throw new Error(`warm-up: ${String(run.error)}`);
    const { delivered } = await waitForDelivery(probe, base, events, deadlineMs);
    if (delivered < events) throw new Error(`warm-up: the sink handled ${delivered} of ${events} events`);
  }

  /**
   * Benchmark event `i` on publisher `i mod n`, stamped now, over `POST /events` or the
   * client; resolves once committed there.
   */
  private async publishFromHarness(i: number): Promise<void> {
    const data = benchData(i, wallClockMs());
    if (this.spec.publish === 'client') {
      await this.clients[i % this.clients.length].publish({ type: BENCH_EVENT_TYPE, data });
      return;
    }
    const publishers = this.publishers;
    await publishers[i % publishers.length].client.publish(BENCH_EVENT_TYPE, data);
  }

  /** Waits until every node reports a connected link to every other. */
  async waitLinked(timeoutMs: number): Promise<void> {
    const until = wallClockMs() + timeoutMs;
    const want = this.nodes.length - 1;
    for (;;) {
      const statuses = await Promise.all(this.nodes.map((node) => node.client.status().catch(() => null)));
      const linked = statuses.every((s) => s !== null && s.peers.filter((p) => p.connected).length >= want);
      if (linked) return;
      if (wallClockMs() > until) {
        const seen = statuses.map((s, i) => `${this.nodes[i].spec.id}: ${s ? s.peers.filter((p) => p.connected).length : '?'}/${want}`);
        throw new Error(`cluster not linked within ${timeoutMs} ms (${seen.join(', ')})`);
      }
      await sleep(100);
    }
  }

  /**
   * Events each node has delivered (the sum of its vector clock), in node order — what
   * the harness compares to tell whether replication has caught up.
   */
  async delivered(): Promise<number[]> {
    const statuses = await Promise.all(this.nodes.map((node) => node.client.status()));
    return statuses.map((s) => Object.values(s.vc).reduce((a, b) => a + b, 0));
  }

  /**
   * Waits until every node has delivered at least `expected[i]` events; resolves with
   * the harness time it saw that, or `null` at the deadline.
   */
  async waitConverged(expected: readonly number[], timeoutMs: number): Promise<number | null> {
    const until = wallClockMs() + timeoutMs;
    for (;;) {
      const delivered = await this.delivered();
      if (delivered.every((n, i) => n >= expected[i])) return wallClockMs();
      if (wallClockMs() > until) return null;
      await sleep(50);
    }
  }

  /** Traffic summed over every link's proxy (zero when not proxied). */
  traffic(): ProxyTraffic {
    const sum = { bytesUp: 0, bytesDown: 0, messagesUp: 0, messagesDown: 0 };
    for (const proxy of this.proxies) {
      const t = proxy.traffic();
      sum.bytesUp += t.bytesUp;
      sum.bytesDown += t.bytesDown;
      sum.messagesUp += t.messagesUp;
      sum.messagesDown += t.messagesDown;
    }
    return sum;
  }

  /** Cuts every link's proxy (`proxied` clusters): connections drop and new ones are refused until {@link healLinks}. */
  cutLinks(): void {
    for (const proxy of this.proxies) proxy.cut();
  }

  /** Lets every link's proxy carry connections again; the nodes redial on their backoff. */
  healLinks(): void {
    for (const proxy of this.proxies) proxy.heal();
  }

  resetTraffic(): void {
    for (const proxy of this.proxies) proxy.resetCounters();
  }

  /** Stops node `index` with SIGTERM (a clean shutdown; its data stays). */
  async stopNode(index: number): Promise<void> {
    const node = this.nodes[index];
    node.client.close();
    const exit = await node.child.stop();
    if (exit.code !== 0) throw new Error(`${node.spec.id} did not stop cleanly (code ${exit.code}, signal ${exit.signal})\n${node.child.tail()}`);
  }

  /** Starts node `index` again on its port with its data; resolves once it listens. */
  async restartNode(index: number): Promise<TroupeNode> {
    const before = this.nodes[index];
    const node = await startTroupeNode({ ...before.spec, port: before.port });
    this.nodes[index] = node;
    return node;
  }

  /** Stops every node and proxy; the data directory stays for the caller to remove. */
  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
    await Promise.all(
      this.nodes.map(async (node) => {
        node.client.close();
        await node.child.stop();
      }),
    );
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
  }
}

/** Publisher `k` of `n`'s share of `count` events: a contiguous range, sizes differing by at most one. */
function shareOf(count: number, k: number, n: number): { readonly offset: number; readonly size: number } {
  const base = Math.floor(count / n);
  const extra = count % n;
  return { offset: k * base + Math.min(k, extra), size: base + (k < extra ? 1 : 0) };
}

/** Writes a key per node and a trust list of them all into `dir`; returns each node's files. */
export function writeKeys(dir: string, ids: readonly string[]): (id: string) => { trust: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const trust = join(dir, 'trust');
  const entries = ids.map((id) => {
    const { key, pem } = newNodeKey();
    writeFileSync(join(dir, `${id}.key`), pem, { mode: 0o600 });
    return [id, key.publicKey] as const;
  });
  writeFileSync(trust, TrustList.format(entries));
  return (id) => ({ trust, key: join(dir, `${id}.key`) });
}
