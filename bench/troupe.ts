/**
 * troupe under the same loads as the ceiling and Moleculer: the benchmark event is
 * published on one or more nodes and handled by the `sink` service on node `rx` (see
 * `apps/sink.ts` for what the sink measures and `troupe-cluster.ts` for the topology and
 * the two ways to publish: in-process with `node.publish()`, or `POST /events` from the
 * harness; either resolves once the event is committed on its node).
 *
 * - cold start: spawn to the `listening` line, and to the first `GET /status` answer;
 * - the disk floor: one-event commits through the node's store (`disk-floor.ts`);
 * - 1 node: publish and handle on one node — host and store without replication;
 * - 2 nodes, durable (fsync) and relaxed, each publishing in-process and over HTTP:
 *   throughput, latency at fixed loads; the HTTP runs against the POST ceiling tell
 *   whether HTTP publishing or the node limits the figure;
 * - 2 nodes durable, publishing from the harness with `troupe/client` (also alone, beside
 *   in-process and HTTP: `runClientSuite`, `--only client`);
 * - 3, 5, 10 nodes, durable, in-process: throughput, and a fixed cluster-wide load with
 *   its latency, how long after the last publish the sink and then every node had
 *   everything;
 * - wire, 2 and 5 nodes: bytes and WebSocket messages on every link, per event;
 * - catch-up after a partition with a backlog (`troupe-catch-up.ts`).
 *
 * Throughput runs keep `PUBLISH_WINDOW` publishes in flight so that group commit has
 * concurrent publishes to batch. Fixed-load runs get a fresh cluster of their own.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PUBLISH_WINDOW } from './admin-client.js';
import { encodedEventBytes } from './ceiling.js';
import { cpuMicrosPerEvent, describeCpu, startCpuMeter } from './cpu-meter.js';
import { measureCommitLatency } from './disk-floor.js';
import { fixedRateRuns, measureLatency, measureThroughput, measureWire } from './delivery-runs.js';
import { FigureBook, type FigureSet } from './figure.js';
import { formatCount, type Progress } from './progress.js';
import type { SuitePlan } from './suite-plan.js';
import { measureCatchUp } from './troupe-catch-up.js';
import { startTroupeNode, TroupeCluster, type ClusterSpec, type PublishMode } from './troupe-cluster.js';
import { wallClockMs } from './wall-clock.js';

/** Publishes in flight at most in fixed-rate runs; past it the sender falls behind and says so. */
export const PACED_MAX_IN_FLIGHT = 2_048;

/** The pause after each commit of the disk floor: the gap between events at 1k/s. */
const FLOOR_PAUSE_MS = 1;

/** The first line of an error, for a figure's note. */
function reason(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/** Events per throughput run: as many as Moleculer's in-process (and with the client), fewer over HTTP. */
function runEvents(plan: SuitePlan, publish: PublishMode): number {
  return publish === 'http' ? plan.throughputEvents.http : plan.throughputEvents.troupe;
}

/** Fresh clusters under `workDir`, and figures that a failed scenario marks as skipped. */
class Scenarios {
  readonly book = new FigureBook();
  private clusters = 0;

  constructor(
    private readonly plan: SuitePlan,
    private readonly progress: Progress,
    private readonly workDir: string,
  ) {}

  /** A fresh data directory for one cluster. */
  dataDir(): string {
    return join(this.workDir, `cluster-${++this.clusters}`);
  }

  /** Runs `work` on a fresh cluster of `spec`, warmed up with a tenth of a throughput run. */
  warmCluster(spec: Omit<ClusterSpec, 'dataDir'>, work: (cluster: TroupeCluster) => Promise<void>): Promise<void> {
    return TroupeCluster.run({ ...spec, dataDir: this.dataDir() }, async (cluster) => {
      await cluster.warmUp(runEvents(this.plan, spec.publish) / 10, this.plan.deliveryDeadlineMs);
      await work(cluster);
    });
  }

  /** Runs `body`; a failure is reported and its figures `ids` marked as skipped. */
  async attempt(what: string, ids: readonly string[], body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      // The whole message: it quotes the failing node's last log lines.
      this.progress(`troupe ${what}: FAILED: ${err instanceof Error ? err.message : String(err)}`);
      for (const id of ids) this.book.skip(id, '', `${what} failed: ${reason(err)}`);
    }
  }

  /** Throughput, and on 2 nodes latency at the fixed loads, of one way to publish. */
  async publishing(publish: PublishMode, durability: 'durable' | 'relaxed', size: number): Promise<void> {
    const { plan, progress, book } = this;
    const relaxed = durability === 'relaxed';
    const prefix = `${size}.${durability}.${publish}`;
    const what = `${size} node${size === 1 ? '' : 's'} ${durability}, ${publish} publish`;
    await this.attempt(what, [`${prefix}.throughput`], () =>
      this.warmCluster({ size, relaxed, proxied: false, publish }, (cluster) => throughputRuns(plan, progress, book, cluster, prefix, plan.repeats)),
    );
    // Publish-to-handler latency is a question between two nodes. A fresh cluster:
    // compacting the stores of the throughput runs would weigh on a fixed load.
    if (size !== 2) return;
    await this.attempt(`${what}, fixed loads`, [`${prefix}.latency.${plan.latencyRates[0]}.p50`], () =>
      this.warmCluster({ size, relaxed, proxied: false, publish }, (cluster) =>
        fixedRateRuns(plan, progress, book, {
          label: `troupe ${prefix}`,
          prefix,
          target: cluster.sinkProbe(),
          runner: cluster.pacedRunner(PACED_MAX_IN_FLIGHT),
        }),
      ),
    );
  }

  /**
   * Throughput of 2 nodes durable publishing in-process with the cluster secret alone, no
   * node keys: beside `2.durable.embedded`, what signing costs (issue 15).
   */
  async unsigned(): Promise<void> {
    const { plan, progress, book } = this;
    const prefix = '2.durable.unsigned';
    await this.attempt('2 nodes durable, in-process publish, unsigned', [`${prefix}.throughput`], () =>
      this.warmCluster({ size: 2, relaxed: false, proxied: false, publish: 'embedded', unsigned: true }, (cluster) =>
        throughputRuns(plan, progress, book, cluster, prefix, plan.repeats),
      ),
    );
  }
}

/**
 * `troupe/client` beside in-process publishing and HTTP, 2 nodes durable: throughput and
 * latency at the fixed loads of each (`npm run bench -- --only client`).
 *
 * Both ways publish on `n1` and stamp an event just before `publish()`; latency ends at
 * the sink's handler on `rx`, the same commit and delivery path either way. The client's
 * figure also holds the hop into `n1`: the harness's encoding and send, the loopback, and
 * waking `n1` and reading the message — and any wait for `n1`'s event loop, which an
 * in-process publisher never sees (its timer fires only when that loop is free). On 2
 * shared cores the wake-up of a third busy process is most of the difference.
 */
export async function runClientSuite(plan: SuitePlan, progress: Progress, workDir: string): Promise<FigureSet> {
  const scenarios = new Scenarios(plan, progress, workDir);
  for (const publish of ['embedded', 'client', 'http'] as const) await scenarios.publishing(publish, 'durable', 2);
  await scenarios.unsigned();
  return scenarios.book.figures();
}

/** Runs the troupe benchmarks; data goes under `workDir` and is removed as each cluster stops. */
export async function runTroupeSuite(plan: SuitePlan, progress: Progress, workDir: string): Promise<FigureSet> {
  const scenarios = new Scenarios(plan, progress, workDir);
  const { book } = scenarios;
  const dataDir = (): string => scenarios.dataDir();
  const warmCluster = scenarios.warmCluster.bind(scenarios);
  const attempt = scenarios.attempt.bind(scenarios);

  // A node that cannot start fails every scenario the same way: stop here and say why.
  await coldStarts(plan, progress, book, dataDir);
  await diskFloor(plan, progress, book, workDir);

  for (const publish of ['embedded', 'http'] as const) {
    for (const durability of ['durable', 'relaxed'] as const) {
      for (const size of [1, 2]) await scenarios.publishing(publish, durability, size);
    }
  }
  await scenarios.publishing('client', 'durable', 2);
  await scenarios.unsigned();

  for (const size of plan.clusterSizes) {
    await attempt(`${size} nodes`, [`${size}.throughput`], () =>
      warmCluster({ size, relaxed: false, proxied: false, publish: 'embedded' }, (cluster) =>
        throughputRuns(plan, progress, book, cluster, `${size}`, plan.clusterRepeats),
      ),
    );
    await attempt(`${size} nodes, fixed load`, [`${size}.sustain.p50`], () =>
      warmCluster({ size, relaxed: false, proxied: false, publish: 'embedded' }, (cluster) => sustainRuns(plan, progress, book, cluster, `${size}`)),
    );
  }

  for (const size of [2, 5]) {
    await attempt(`wire ${size} nodes`, [`wire.${size}.${plan.wireRates[0]}.bytes`], () =>
      warmCluster({ size, relaxed: false, proxied: true, publish: 'embedded' }, (cluster) => wireRuns(plan, progress, book, cluster)),
    );
  }

  for (const backlog of plan.backlogs) {
    for (let r = 1; r <= backlog.repeats; r++) {
      await attempt(`catch-up ${formatCount(backlog.events)}`, [`catchup.${backlog.events}.rate`], () =>
        TroupeCluster.run({ size: 2, relaxed: false, proxied: false, publish: 'embedded', dataDir: dataDir() }, (cluster) =>
          measureCatchUp(plan, progress, book, cluster, backlog.events, `${r}/${backlog.repeats}`),
        ),
      );
    }
  }
  return book.figures();
}

/**
 * One-event commits through the node's store, with and without fsync, one per
 * millisecond or so as at 1k/s: the floor under durable latency at that load.
 */
async function diskFloor(plan: SuitePlan, progress: Progress, book: FigureBook, workDir: string): Promise<void> {
  for (const sync of [true, false]) {
    const { p50, p99 } = await measureCommitLatency(workDir, plan.diskCommits, sync, FLOOR_PAUSE_MS);
    const kind = sync ? 'sync' : 'relaxed';
    book.add(`disk.${kind}.p50`, 'ms', p50);
    book.add(`disk.${kind}.p99`, 'ms', p99);
    progress(`troupe: one-event commit${sync ? ' with fsync' : ' without fsync'}: p50 ${p50?.toFixed(3)} ms, p99 ${p99?.toFixed(3)} ms (${formatCount(plan.diskCommits)} commits)`);
  }
}

/** Fresh nodes with no peers: spawn to `listening`, and spawn to the first `/status` answer. */
async function coldStarts(plan: SuitePlan, progress: Progress, book: FigureBook, dataDir: () => string): Promise<void> {
  for (let r = 1; r <= plan.coldStarts; r++) {
    const dir = dataDir();
    const node = await startTroupeNode({ id: 'cold', port: 0, dataDir: dir, peers: [], relaxed: false, embedded: false });
    try {
      // The first /status answer: asked as soon as the port is known, so this is
      // `listening` plus one request — the time a client waiting on the node would see.
      await node.client.status();
      const statusMs = wallClockMs() - node.child.startedAt;
      book.add('coldStart.listening', 'ms', node.listeningMs);
      book.add('coldStart.status', 'ms', statusMs);
      progress(`troupe: cold start ${r}/${plan.coldStarts}: listening after ${node.listeningMs.toFixed(0)} ms, /status after ${statusMs.toFixed(0)} ms`);
    } finally {
      node.client.close();
      await node.child.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function throughputRuns(
  plan: SuitePlan,
  progress: Progress,
  book: FigureBook,
  cluster: TroupeCluster,
  prefix: string,
  repeats: number,
): Promise<void> {
  const events = runEvents(plan, cluster.spec.publish);
  for (let r = 1; r <= repeats; r++) {
    const meter = startCpuMeter(cluster.nodes.map((node) => node.child.pid));
    const result = await measureThroughput(cluster.sinkProbe(), {
      events,
      eventsPerUnit: 1,
      run: () => cluster.runWindowed(events, PUBLISH_WINDOW, plan.deliveryDeadlineMs),
      deadlineMs: plan.deliveryDeadlineMs,
    });
    const cpu = meter();
    book.add(`${prefix}.throughput`, 'events/s', result.eventsPerSec, result.problem);
    book.add(`${prefix}.accepted`, 'events/s', result.acceptedPerSec, result.problem);
    book.add(`${prefix}.cpuPerEvent`, 'µs/event', cpuMicrosPerEvent(cpu, result.delivered));
    progress(
      `troupe ${prefix}: throughput run ${r}/${repeats}: ${formatCount(result.eventsPerSec ?? 0)} events/s handled, ` +
        `${formatCount(result.acceptedPerSec ?? 0)} events/s committed ` +
        `(CPU ${describeCpu(cpu, cluster.nodes.map((node) => node.spec.id))})${result.problem ? ` (${result.problem})` : ''}`,
    );
  }
}

/**
 * A fixed cluster-wide load: latency at the sink, the rate the sink kept up with, how
 * long after the last publish the sink had handled everything (`drain`), and how long
 * until every node had delivered everything (`converge`) — a cluster that keeps up
 * drains and converges in milliseconds; one that falls behind needs the backlog's worth.
 */
async function sustainRuns(plan: SuitePlan, progress: Progress, book: FigureBook, cluster: TroupeCluster, prefix: string): Promise<void> {
  const rate = plan.sustainRate;
  for (let r = 1; r <= plan.clusterRepeats; r++) {
    const before = await cluster.delivered();
    const result = await measureLatency(cluster.sinkProbe(), {
      rate,
      seconds: plan.sustainSeconds,
      run: cluster.pacedRunner(PACED_MAX_IN_FLIGHT),
      deadlineMs: plan.deliveryDeadlineMs,
    });
    const convergedAt = await cluster.waitConverged(
      before.map((n) => n + result.sent),
      plan.deliveryDeadlineMs,
    );
    const drainMs = result.lastHandledAt === null ? null : result.lastHandledAt - result.lastSentAt;
    const convergeMs = convergedAt === null ? null : convergedAt - result.lastSentAt;
    const handledRate = result.lastHandledAt === null ? null : (result.delivered * 1000) / (result.lastHandledAt - result.startedAt);
    const problem = [result.problem, convergedAt === null ? 'not every node had every event by the deadline' : undefined].filter(Boolean).join('; ') || undefined;
    book.add(`${prefix}.sustain.p50`, 'ms', result.p50, problem);
    book.add(`${prefix}.sustain.p99`, 'ms', result.p99, problem);
    book.add(`${prefix}.sustain.offered`, 'events/s', result.achievedRate, problem);
    book.add(`${prefix}.sustain.handled`, 'events/s', handledRate, problem);
    book.add(`${prefix}.sustain.drain`, 'ms', drainMs, problem);
    book.add(`${prefix}.sustain.converge`, 'ms', convergeMs, problem);
    progress(
      `troupe ${prefix} nodes: ${formatCount(rate)}/s cluster-wide, run ${r}/${plan.clusterRepeats}: offered ${formatCount(result.achievedRate)}/s, ` +
        `sink ${formatCount(handledRate ?? 0)}/s, p50 ${result.p50?.toFixed(2)} ms, p99 ${result.p99?.toFixed(2)} ms, ` +
        `sink done ${drainMs?.toFixed(0)} ms and all nodes ${convergeMs?.toFixed(0)} ms after the last publish${problem ? ` (${problem})` : ''}`,
    );
  }
}

/**
 * Bytes and WebSocket messages on every link, per event published and per copy delivered
 * to a node other than its origin (an event reaches `size − 1` other nodes), at each wire rate.
 */
async function wireRuns(plan: SuitePlan, progress: Progress, book: FigureBook, cluster: TroupeCluster): Promise<void> {
  const size = cluster.nodes.length;
  const copies = size - 1;
  const eventBytes = encodedEventBytes();
  for (const rate of plan.wireRates) {
    const before = await cluster.delivered();
    const runner = cluster.pacedRunner(PACED_MAX_IN_FLIGHT);
    let sent = 0;
    const wire = await measureWire(
      cluster.sinkProbe(),
      { reset: () => cluster.resetTraffic(), read: () => cluster.traffic() },
      {
        rate,
        seconds: plan.wireSeconds,
        run: async (paced) => {
          const run = await runner(paced);
          sent = run.sent;
          return run;
        },
        deadlineMs: plan.deliveryDeadlineMs,
      },
      async () => {
        await cluster.waitConverged(
          before.map((n) => n + sent),
          plan.deliveryDeadlineMs,
        );
        // Let the acknowledgements of the last batches cross too.
        await sleep(500);
      },
    );
    const perCopy = wire.bytesPerEvent / copies;
    const id = `wire.${size}.${rate}`;
    book.add(`${id}.bytes`, 'B/event', wire.bytesPerEvent, wire.problem);
    book.add(`${id}.messages`, 'messages/event', wire.messagesPerEvent, wire.problem);
    book.add(`${id}.bytesPerCopy`, 'B/copy', perCopy, wire.problem);
    book.add(`${id}.messagesPerCopy`, 'messages/copy', wire.messagesPerEvent / copies, wire.problem);
    book.add(`${id}.overhead`, 'B/copy', perCopy - eventBytes, wire.problem);
    progress(
      `troupe wire, ${size} nodes at ${formatCount(rate)}/s: ${wire.bytesPerEvent.toFixed(1)} B and ${wire.messagesPerEvent.toFixed(3)} messages per event ` +
        `on all links; per copy ${perCopy.toFixed(1)} B (${(perCopy - eventBytes).toFixed(1)} B beyond type+data)${wire.problem ? ` (${wire.problem})` : ''}`,
    );
  }
}
