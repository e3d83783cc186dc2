/**
 * `npm run profile [-- --relaxed] [-- --events N | --rate R --seconds S]`: CPU profiles of
 * both nodes of a 2-node benchmark cluster (the publisher `n1` and the sink's node `rx`)
 * under one load — as fast as the cluster commits (`--events`, the throughput run), or a
 * fixed rate (`--rate`, a latency run) — after the benchmark's warm-up. It writes
 * `bench/.profiles/<time>/{n1,rx}.cpuprofile`: open them in Chrome DevTools' Performance
 * panel or in speedscope (https://www.speedscope.app) for a flame chart.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { PUBLISH_WINDOW } from './admin-client.js';
import type { ProfileReply } from './cpu-profiler.js';
import { waitForDelivery } from './delivery-runs.js';
import { enforceLoopback } from './loopback-guard.js';
import { createProgress, formatCount } from './progress.js';
import { planFor } from './suite-plan.js';
import { TroupeCluster, type TroupeNode } from './troupe-cluster.js';
import { PACED_MAX_IN_FLIGHT } from './troupe.js';

const REPO = new URL('../..', import.meta.url).pathname;
const PROFILES_DIR = join(REPO, 'bench', '.profiles');
/** The full suite's plan: the profiled cluster is warmed up and waited for as its clusters are. */
const PLAN = planFor(false);
const WARM_UP_EVENTS = PLAN.throughputEvents.troupe / 10;
const DEADLINE_MS = PLAN.deliveryDeadlineMs;
/** V8 samples every 1000 µs by default; finer shows the short per-event functions. */
const SAMPLING_INTERVAL_US = 250;

const USAGE = 'usage: npm run profile [-- --relaxed] [-- --events N | --rate R --seconds S]';

interface Options {
  readonly relaxed: boolean;
  readonly events: number;
  /** A fixed rate (events/s) for `seconds`, instead of `events` as fast as committed. */
  readonly rate: number | null;
  readonly seconds: number;
}

function parseCli(argv: readonly string[]): Options {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      relaxed: { type: 'boolean', default: false },
      events: { type: 'string', default: '300000' },
      rate: { type: 'string' },
      seconds: { type: 'string', default: '10' },
    },
    strict: true,
  });
  const positive = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: a positive integer, not ${text}`);
    return n;
  };
  return {
    relaxed: values.relaxed,
    events: positive('events', values.events),
    rate: values.rate === undefined ? null : positive('rate', values.rate),
    seconds: positive('seconds', values.seconds),
  };
}

async function profileRequest(node: TroupeNode, message: Record<string, unknown>): Promise<ProfileReply> {
  const reply = await node.child.request<ProfileReply>(message, 60_000);
  if (reply.error !== undefined) throw new Error(`${node.spec.id}: ${reply.error}`);
  return reply;
}

async function main(): Promise<void> {
  enforceLoopback();
  process.once('SIGINT', () => process.exit(130));
  let options: Options;
  try {
    options = parseCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`profile: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const progress = createProgress();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = join(PROFILES_DIR, stamp);
  mkdirSync(outDir, { recursive: true });
  const mode = options.relaxed ? 'relaxed' : 'durable';
  const load = options.rate === null ? `${formatCount(options.events)} events as fast as committed` : `${formatCount(options.rate)} events/s for ${options.seconds} s`;

  await TroupeCluster.run({ size: 2, relaxed: options.relaxed, proxied: false, publish: 'embedded', dataDir: join(outDir, 'data') }, async (cluster) => {
    progress(`2 nodes ${mode} up; warming up with ${formatCount(WARM_UP_EVENTS)} events`);
    await cluster.warmUp(WARM_UP_EVENTS, DEADLINE_MS);
    for (const node of cluster.nodes) await profileRequest(node, { cmd: 'profile-start', intervalUs: SAMPLING_INTERVAL_US });
    progress(`profiling both nodes under ${load}`);
    const probe = cluster.sinkProbe();
    const base = await probe.report();
    const count = options.rate === null ? options.events : options.rate * options.seconds;
    const run =
      options.rate === null
        ? await cluster.runWindowed(count, PUBLISH_WINDOW, DEADLINE_MS)
        : await cluster.pacedRunner(PACED_MAX_IN_FLIGHT)({ rate: options.rate, count, deadlineMs: DEADLINE_MS });
    if (run.error !== undefined) throw new Error(`load: ${String(run.error)}`);
    const { delivered } = await waitForDelivery(probe, base, count, DEADLINE_MS);
    for (const node of cluster.nodes) {
      const path = join(outDir, `${node.spec.id}.cpuprofile`);
      const { samples } = await profileRequest(node, { cmd: 'profile-stop', path });
      progress(`${node.spec.id}: ${formatCount(samples)} samples → ${relative(process.cwd(), path)}`);
    }
    progress(`the sink handled ${formatCount(delivered)} of ${formatCount(count)} events`);
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`profile: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
