/**
 * The edge fleet suite (issue 16, `npm run bench -- --only edge`): one gateway and
 * `FLEET_SIZE` partial devices, each linked to the gateway alone through a counting TCP
 * proxy. The gateway and the device that goes offline (`d01`) are processes of their own,
 * so that their peak RSS is theirs; the other devices run in the harness process (several
 * nodes in one process is the only way 20 fit on this machine beside the rest).
 *
 * 1. Steady traffic: every device publishes `plan.fleet.steady` readings; once every
 *    clock equals the gateway's, it records the bytes on each device's disk (and on it
 *    before any traffic: the fixed overhead) against the gateway's, the bytes on each
 *    device's link (both ways) against the fleet's traffic (every byte the devices send
 *    the gateway, which takes in the whole fleet's events), and the share of the fleet's
 *    events a device holds, beside its interest share (1/FLEET_SIZE).
 * 2. Catch-up: `d01`'s link is cut; it publishes a backlog of `plan.fleet.backlog`
 *    readings while the other devices publish as many between them; the link heals, and
 *    once `d01` has its link to the gateway back (`fleet.catchup.reconnect` after the heal:
 *    its reconnect backoff) it records the rate at which the gateway takes `d01`'s backlog
 *    (`fleet.catchup.up`), the rate at which `d01`'s clock reaches the gateway's
 *    (`fleet.catchup.down`, nearly all skip notices), the peak RSS of both processes from
 *    the heal on, and the CPU time each process used meanwhile (`fleet.catchup.*Cpu`: on a
 *    shared machine, the figure a busy neighbour does not change much).
 *
 * `TROUPE_BENCH_EDGE_KEYS=1` gives every node a key and them all one trust list.
 * `TROUPE_BENCH_CPU_PROF=<dir>` starts the gateway and `d01` with `--cpu-prof` into that
 * directory (written when they stop). `TROUPE_BENCH_EDGE_NODE_ARGS` gives them Node flags
 * (space-separated), such as a V8 heap bound (`--max-old-space-size=100`), to see what a
 * device started with one would use.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { connect } from '../client/index.js';
import { nodeWants, placedServices } from '../nodes/placed-services.js';
import { loadIdentity } from '../nodes/key-files.js';
import { statusClock, type ClockOfStatus } from '../inspector/status-clock.js';
import { TcpProxy } from '../nodes/tcp-proxy.js';
import { startNode, type RunningNode } from '../runtime/node.js';
import app, { FLEET_DEVICES, FLEET_SIZE } from './apps/edge-fleet.js';
import { startCpuMeter } from './cpu-meter.js';
import { FigureBook, type FigureSet } from './figure.js';
import { formatCount, type Progress } from './progress.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import type { SuitePlan } from './suite-plan.js';
import { writeKeys } from './troupe-cluster.js';
import { wallClockMs } from './wall-clock.js';

const CLI = new URL('../nodes/cli.js', import.meta.url).pathname;
const APP = new URL('./apps/edge-fleet.js', import.meta.url).pathname;
const SECRET = 'edge-fleet-bench';
const DEADLINE_MS = 600_000;
const PROGRESS_MS = 2_000;
const MB = 2 ** 20;

interface Status {
  readonly recovering: boolean;
  readonly peers: readonly { readonly id: string; readonly connected: boolean; readonly outbox: number }[];
  /** The clock read whole (`statusClock`): `/status` leaves retired origins out of `vc`. */
  readonly vc: Record<string, number>;
  readonly log: { readonly size: number };
}

const sum = (vc: Record<string, number>): number => Object.values(vc).reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const duBytes = (dir: string): number => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);
/** Events of `node` in `vc`, whatever its origins (`node~incarnation`). */
const ofNode = (vc: Record<string, number>, node: string): number =>
  Object.entries(vc).reduce((n, [origin, seq]) => (origin === node || origin.startsWith(`${node}~`) ? n + seq : n), 0);

async function status(url: string): Promise<Status> {
  const res = await fetch(`${url}/status`);
  const served = (await res.json()) as Status & ClockOfStatus;
  return { ...served, vc: statusClock(served) };
}

/** Counters and gauges of a node's `/metrics`, by name (the first series of each). */
async function metricsOf(url: string): Promise<(name: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** A node's commits so far: batches and the events in them. */
async function commitsOf(url: string): Promise<{ batches: number; events: number }> {
  const metric = await metricsOf(url);
  return { batches: metric('troupe_commit_events_count'), events: metric('troupe_commit_events_sum') };
}

/**
 * Where a node's memory is: the V8 heap in use and reserved, and memory outside it
 * (buffers), to tell garbage-collected memory from the rest of its RSS; and the mean size
 * of its commits since `since`.
 */
async function memoryOf(url: string, since: { batches: number; events: number }): Promise<string> {
  const metric = await metricsOf(url);
  const mb = (name: string): string => (metric(name) / MB).toFixed(0);
  const batches = metric('troupe_commit_events_count') - since.batches;
  const commits = batches === 0 ? 'no commits yet' : `commits of ${((metric('troupe_commit_events_sum') - since.events) / batches).toFixed(0)} events`;
  return `heap used ${mb('nodejs_heap_size_used_bytes')} of ${mb('nodejs_heap_size_total_bytes')} MB, external ${mb('nodejs_external_memory_bytes')} MB; ${commits}`;
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = wallClockMs() + DEADLINE_MS;
  while (!(await probe())) {
    if (wallClockMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Key and trust files of a node, when the fleet runs with node keys. */
type KeyFiles = { readonly trust: string; readonly key: string } | undefined;

async function spawnNode(id: string, dir: string, peers: readonly string[], keys: KeyFiles): Promise<{ child: ChildHandle; url: string; port: number }> {
  const args = ['node', '--id', id, '--port', '0', '--data', dir, '--app', APP, '--secret', SECRET, '--relaxed', ...peers.flatMap((p) => ['--peer', p])];
  if (keys !== undefined) args.push('--trust', keys.trust, '--key', keys.key);
  const profileDir = process.env.TROUPE_BENCH_CPU_PROF;
  const nodeArgs = process.env.TROUPE_BENCH_EDGE_NODE_ARGS?.split(' ').filter((a) => a !== '') ?? [];
  const execArgv = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir, '--cpu-prof-name', `${id}.cpuprofile`] : []), ...nodeArgs];
  const child = ChildHandle.start({ name: id, script: CLI, args, execArgv });
  const line = await child.waitForLine((l) => parseJsonLine(l)?.msg === 'listening', 30_000);
  const json = parseJsonLine(line.line) as { url: string; port: number };
  return { child, url: json.url, port: json.port };
}

/** Publishes `count` readings on a node through the client protocol, `window` at a time. */
async function publishReadings(url: string, device: string, count: number, window = 2000): Promise<void> {
  const client = await connect(url);
  try {
    for (let first = 0; first < count; first += window) {
      const n = Math.min(window, count - first);
      await Promise.all(Array.from({ length: n }, (_, i) => client.publish({ type: 'reading', data: { device, value: (first + i) % 79 } })));
    }
  } finally {
    await client.close();
  }
}

/** Runs the edge fleet once, at the plan's sizes. */
export async function runEdgeSuite(plan: SuitePlan, progress: Progress, dir: string): Promise<FigureSet> {
  const { steady, backlog } = plan.fleet;
  const book = new FigureBook();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = pino({ level: 'error' });
  const children: ChildHandle[] = [];
  const nodes: RunningNode[] = [];
  const proxies: TcpProxy[] = [];
  try {
    progress(`fleet: a gateway and ${FLEET_SIZE} devices, ${formatCount(steady)} readings each, then a backlog of ${formatCount(backlog)}`);
    // With node keys (`TROUPE_BENCH_EDGE_KEYS=1`), every event and skip is proved by a signed checkpoint (issue 15).
    const keysOf = process.env.TROUPE_BENCH_EDGE_KEYS === '1' ? writeKeys(join(dir, 'keys'), ['gw', ...FLEET_DEVICES]) : undefined;
    if (keysOf !== undefined) progress('fleet: with node keys');
    const gw = await spawnNode('gw', join(dir, 'gw'), [], keysOf?.('gw'));
    children.push(gw.child);
    const urls = new Map<string, string>([['gw', gw.url]]);
    const proxyOf = new Map<string, TcpProxy>();
    const d01 = FLEET_DEVICES[0];
    let offline: ChildHandle | undefined;
    for (const id of FLEET_DEVICES) {
      const proxy = await TcpProxy.start(gw.port, { name: `${id}→gw` });
      proxies.push(proxy);
      proxyOf.set(id, proxy);
      if (id === d01) {
        const d = await spawnNode(id, join(dir, id), [proxy.wsUrl], keysOf?.(id));
        children.push(d.child);
        offline = d.child;
        urls.set(id, d.url);
        continue;
      }
      const node = await startNode({
        id, secret: SECRET, dataDir: join(dir, id), port: 0, peers: [proxy.wsUrl], relaxed: true, log,
        identity: keysOf === undefined ? undefined : loadIdentity(id, keysOf(id).key, keysOf(id).trust),
        services: placedServices(app, id, app.placement[id] ?? []), want: nodeWants(app, id, undefined),
      });
      nodes.push(node);
      urls.set(id, node.url);
    }
    const device = offline!;
    const all = [...urls.values()];
    const converged = async (): Promise<boolean> => {
      const s = await Promise.all(all.map(status));
      return s.every((x) => sum(x.vc) === sum(s[0].vc));
    };
    await until('every device to hear the gateway', async () => (await Promise.all(all.map(status))).every((s) => !s.recovering));

    // 1. Steady traffic. A device's disk before it holds anything is the fixed overhead of the disk goal.
    const emptyDisk = mean(FLEET_DEVICES.map((id) => duBytes(join(dir, id))));
    const steadyStart = wallClockMs();
    await Promise.all(FLEET_DEVICES.map((id) => publishReadings(urls.get(id)!, id, steady, 200)));
    await until('the fleet to converge', converged);
    const steadyMs = wallClockMs() - steadyStart;
    const total = sum((await status(gw.url)).vc);
    const deviceDisk = mean(FLEET_DEVICES.map((id) => duBytes(join(dir, id))));
    const gatewayDisk = duBytes(join(dir, 'gw'));
    const links = FLEET_DEVICES.map((id) => proxyOf.get(id)!.traffic());
    const deviceLink = mean(links.map((l) => l.bytesUp + l.bytesDown));
    // The fleet's traffic: every byte the devices send the gateway (their events, acks and handshakes).
    const fleetTraffic = links.reduce((n, l) => n + l.bytesUp, 0);
    const held = mean(await Promise.all(FLEET_DEVICES.map(async (id) => (await status(urls.get(id)!)).log.size)));
    book.add('fleet.steady.events', 'events', total);
    book.add('fleet.steady.rate', 'events/s', (total * 1000) / steadyMs);
    book.add('fleet.interestShare', '%', 100 / FLEET_SIZE);
    book.add('fleet.device.held', '%', (100 * held) / total);
    book.add('fleet.device.disk', '%', (100 * deviceDisk) / gatewayDisk);
    book.add('fleet.device.diskMb', 'MB', deviceDisk / MB);
    book.add('fleet.device.emptyDiskMb', 'MB', emptyDisk / MB);
    book.add('fleet.gateway.diskMb', 'MB', gatewayDisk / MB);
    book.add('fleet.device.link', '%', (100 * deviceLink) / fleetTraffic);
    book.add('fleet.device.linkMb', 'MB', deviceLink / MB);
    book.add('fleet.trafficMb', 'MB', fleetTraffic / MB);
    book.add('fleet.gateway.rss', 'MB', (gw.child.peakRssBytes() ?? NaN) / MB);
    book.add('fleet.devices.rss', 'MB', process.memoryUsage().rss / MB);
    progress(`steady: ${formatCount(total)} events in ${(steadyMs / 1000).toFixed(1)} s; a device holds ${((100 * held) / total).toFixed(1)}% of them, its disk ${((100 * deviceDisk) / gatewayDisk).toFixed(1)}% of the gateway's, and its link (both ways) ${((100 * deviceLink) / fleetTraffic).toFixed(1)}% of the fleet's traffic`);

    // 2. Catch-up.
    proxyOf.get(d01)!.cut();
    const others = FLEET_DEVICES.slice(1);
    const each = Math.ceil(backlog / others.length);
    const backlogStart = wallClockMs();
    await Promise.all([publishReadings(urls.get(d01)!, d01, backlog), ...others.map((id) => publishReadings(urls.get(id)!, id, each, 500))]);
    progress(`backlog: ${formatCount(backlog)} readings on ${d01} (offline) and ${formatCount(each * others.length)} on the others in ${((wallClockMs() - backlogStart) / 1000).toFixed(1)} s`);
    await until('the others to reach the gateway', async () => ofNode((await status(gw.url)).vc, others[0]) >= steady + each);
    gw.child.resetPeakRss();
    device.resetPeakRss();
    const d01Url = urls.get(d01)!;
    const before = await status(d01Url);
    const gwBefore = await status(gw.url);
    const upTarget = ofNode(before.vc, d01);
    const up = upTarget - ofNode(gwBefore.vc, d01);
    const downTarget = sum(gwBefore.vc) + up;
    const down = downTarget - sum(before.vc);
    const [gwCommits, d01Commits] = await Promise.all([commitsOf(gw.url), commitsOf(d01Url)]);
    const healed = wallClockMs();
    const stopCpuMeter = startCpuMeter([gw.child.pid, device.pid]);
    proxyOf.get(d01)!.heal();
    let linkedAt = 0;
    let upMs = 0;
    let downMs = 0;
    let reported = healed;
    await until(`${d01} and the gateway to catch up`, async () => {
      const [g, d] = await Promise.all([status(gw.url), status(d01Url)]);
      const now = wallClockMs();
      if (linkedAt === 0 && d.peers.some((p) => p.id === 'gw' && p.connected)) linkedAt = now;
      if (upMs === 0 && ofNode(g.vc, d01) >= upTarget) upMs = now - (linkedAt || healed);
      if (downMs === 0 && sum(d.vc) >= downTarget) downMs = now - (linkedAt || healed);
      if (now - reported >= PROGRESS_MS) {
        reported = now;
        const upLeft = Math.max(0, upTarget - ofNode(g.vc, d01));
        const downLeft = Math.max(0, downTarget - sum(d.vc));
        const outbox = (s: Status, peer: string): string => {
          const p = s.peers.find((x) => x.id === peer);
          return p === undefined ? '?' : p.connected ? formatCount(p.outbox) : 'not linked';
        };
        const [gwMemory, d01Memory] = await Promise.all([memoryOf(gw.url, gwCommits), memoryOf(d01Url, d01Commits)]);
        progress(
          `catch-up ${((now - healed) / 1000).toFixed(0)} s: up ${formatCount(upLeft)} left (${d01}'s outbox ${outbox(d, 'gw')}), ` +
            `down ${formatCount(downLeft)} left (the gateway's outbox ${outbox(g, d01)}); ` +
            `peak RSS gateway ${((gw.child.peakRssBytes() ?? 0) / MB).toFixed(0)} MB (${gwMemory}), ${d01} ${((device.peakRssBytes() ?? 0) / MB).toFixed(0)} MB (${d01Memory})`,
        );
      }
      return upMs > 0 && downMs > 0;
    });
    const cpu = stopCpuMeter();
    const [gwCpu, d01Cpu] = cpu.childSeconds;
    book.add('fleet.backlog', 'events', backlog);
    book.add('fleet.catchup.reconnect', 'ms', (linkedAt || healed) - healed);
    book.add('fleet.catchup.upEvents', 'events', up);
    book.add('fleet.catchup.up', 'events/s', (up * 1000) / upMs);
    book.add('fleet.catchup.both', 'events/s', ((up + down) * 1000) / Math.max(upMs, downMs));
    book.add('fleet.catchup.downEvents', 'events', down);
    book.add('fleet.catchup.down', 'events/s', (down * 1000) / downMs);
    book.add('fleet.catchup.gatewayRss', 'MB', (gw.child.peakRssBytes() ?? NaN) / MB);
    book.add('fleet.catchup.deviceRss', 'MB', (device.peakRssBytes() ?? NaN) / MB);
    book.add('fleet.catchup.gatewayCpu', 's', gwCpu);
    book.add('fleet.catchup.deviceCpu', 's', d01Cpu);
    book.add('fleet.catchup.harnessCpu', 's', cpu.harnessSeconds);
    progress(
      `catch-up (timed from the link up, ${(((linkedAt || healed) - healed) / 1000).toFixed(1)} s after the heal): up ${formatCount(up)} events in ${(upMs / 1000).toFixed(1)} s = ${formatCount((up * 1000) / upMs)}/s, ` +
        `down ${formatCount(down)} in ${(downMs / 1000).toFixed(1)} s = ${formatCount((down * 1000) / downMs)}/s, both done in ${(Math.max(upMs, downMs) / 1000).toFixed(1)} s; ` +
        `peak RSS gateway ${((gw.child.peakRssBytes() ?? 0) / MB).toFixed(0)} MB, ${d01} ${((device.peakRssBytes() ?? 0) / MB).toFixed(0)} MB; ` +
        `CPU from the heal: gateway ${gwCpu.toFixed(2)} s, ${d01} ${d01Cpu.toFixed(2)} s, the harness (the other devices) ${cpu.harnessSeconds.toFixed(2)} s`,
    );
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
    rmSync(dir, { recursive: true, force: true });
  }
  return book.figures();
}
