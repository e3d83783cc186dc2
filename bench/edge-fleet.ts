/**
 * The edge fleet benchmark (issue 16): one gateway and `FLEET_SIZE` partial devices, each
 * linked to the gateway alone through a counting TCP proxy. The gateway and the device
 * that goes offline (`d01`) are processes of their own, so that their peak RSS is theirs;
 * the other devices run in this process (several nodes in one process is the only way 20
 * fit on this machine beside the rest).
 *
 * 1. Steady traffic: every device publishes `STEADY` readings; once every clock equals the
 *    gateway's, it records the bytes on each device's disk and link against the gateway's
 *    (`fleet.device.disk`, `fleet.device.link`, `fleet.gateway.disk`, `fleet.gateway.link`)
 *    and the interest share (1/FLEET_SIZE).
 * 2. Catch-up: `d01`'s link is cut; it publishes a backlog of `BACKLOG` readings while the
 *    other devices publish `BACKLOG` between them; the link heals, and it records the rate
 *    at which the gateway takes `d01`'s backlog (`fleet.catchup.up`), the rate at which
 *    `d01`'s clock reaches the gateway's (`fleet.catchup.down`, nearly all skip notices),
 *    and the peak RSS of both processes meanwhile.
 *
 * Run: `npx tsc -p tsconfig.bench.json && node dist-bench/bench/edge-fleet.js`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { connect } from '../client/index.js';
import { nodeWants, placedServices } from '../nodes/placed-services.js';
import { startNode, type RunningNode } from '../runtime/node.js';
import app, { FLEET_DEVICES, FLEET_SIZE } from './apps/edge-fleet.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import { TcpProxy } from '../nodes/tcp-proxy.js';
import { wallClockMs } from './wall-clock.js';

const CLI = new URL('../nodes/cli.js', import.meta.url).pathname;
const APP = new URL('./apps/edge-fleet.js', import.meta.url).pathname;
const SECRET = 'edge-fleet-bench';
const STEADY = Number(process.env.FLEET_STEADY ?? 1000);
const BACKLOG = Number(process.env.FLEET_BACKLOG ?? 100_000);
const DEADLINE_MS = 600_000;

interface Status {
  readonly recovering: boolean;
  readonly vc: Record<string, number>;
  readonly log: { readonly size: number };
}

const sum = (vc: Record<string, number>): number => Object.values(vc).reduce((a, b) => a + b, 0);
const mb = (bytes: number | null): string => (bytes === null ? '?' : (bytes / 2 ** 20).toFixed(1));
const kb = (bytes: number): string => (bytes / 1024).toFixed(0);
const duBytes = (dir: string): number => Number(execFileSync('du', ['-sb', dir]).toString().split('\t')[0]);

async function status(url: string): Promise<Status> {
  const res = await fetch(`${url}/status`);
  return (await res.json()) as Status;
}

async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
  const deadline = wallClockMs() + DEADLINE_MS;
  while (!(await probe())) {
    if (wallClockMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function spawnNode(id: string, dir: string, peers: readonly string[]): Promise<{ child: ChildHandle; url: string; port: number }> {
  const args = ['node', '--id', id, '--port', '0', '--data', dir, '--app', APP, '--secret', SECRET, '--relaxed', ...peers.flatMap((p) => ['--peer', p])];
  const child = ChildHandle.start({ name: id, script: CLI, args });
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

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'troupe-fleet-'));
  const log = pino({ level: 'error' });
  const children: ChildHandle[] = [];
  const nodes: RunningNode[] = [];
  const proxies: TcpProxy[] = [];
  try {
    const gw = await spawnNode('gw', join(root, 'gw'), []);
    children.push(gw.child);
    const urls = new Map<string, string>([['gw', gw.url]]);
    const proxyOf = new Map<string, TcpProxy>();
    let offline: ChildHandle | undefined;
    for (const id of FLEET_DEVICES) {
      const proxy = await TcpProxy.start(gw.port, { name: `${id}→gw` });
      proxies.push(proxy);
      proxyOf.set(id, proxy);
      if (id === FLEET_DEVICES[0]) {
        const d = await spawnNode(id, join(root, id), [proxy.wsUrl]);
        children.push(d.child);
        offline = d.child;
        urls.set(id, d.url);
        continue;
      }
      const node = await startNode({
        id, secret: SECRET, dataDir: join(root, id), port: 0, peers: [proxy.wsUrl], relaxed: true, log,
        services: placedServices(app, id, app.placement[id] ?? []), want: nodeWants(app, id, undefined),
      });
      nodes.push(node);
      urls.set(id, node.url);
    }
    const all = [...urls.values()];
    const converged = async (): Promise<boolean> => {
      const s = await Promise.all(all.map(status));
      return s.every((x) => sum(x.vc) === sum(s[0].vc));
    };

    await until('every device to hear the gateway', async () => (await Promise.all(all.map(status))).every((s) => !s.recovering));

    // 1. Steady traffic.
    const steadyStart = wallClockMs();
    await Promise.all(FLEET_DEVICES.map((id) => publishReadings(urls.get(id)!, id, STEADY, 200)));
    await until('the fleet to converge', converged);
    const steadyMs = wallClockMs() - steadyStart;
    const total = sum((await status(gw.url)).vc);
    const deviceDisk = FLEET_DEVICES.map((id) => duBytes(join(root, id)));
    const gatewayDisk = duBytes(join(root, 'gw'));
    const links = FLEET_DEVICES.map((id) => proxyOf.get(id)!.traffic());
    const deviceLink = links.map((l) => l.bytesUp + l.bytesDown);
    const gatewayLink = deviceLink.reduce((a, b) => a + b, 0);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const held = await Promise.all(FLEET_DEVICES.map(async (id) => (await status(urls.get(id)!)).log.size));
    console.log(`steady: ${FLEET_SIZE} devices × ${STEADY} readings = ${total} events in ${(steadyMs / 1000).toFixed(1)} s (${Math.round((total * 1000) / steadyMs)} events/s through the gateway)`);
    console.log(`  device holds ${mean(held).toFixed(0)} events on average = ${((100 * mean(held)) / total).toFixed(1)}% (interest share ${(100 / FLEET_SIZE).toFixed(1)}%)`);
    console.log(`  disk: device ${kb(mean(deviceDisk))} KB on average, gateway ${kb(gatewayDisk)} KB = ${((100 * mean(deviceDisk)) / gatewayDisk).toFixed(1)}%`);
    console.log(`  link: device ${kb(mean(deviceLink))} KB on average (up and down), gateway ${kb(gatewayLink)} KB over all links = ${((100 * mean(deviceLink)) / gatewayLink).toFixed(1)}%; a device's down link ${kb(mean(links.map((l) => l.bytesDown)))} KB, up ${kb(mean(links.map((l) => l.bytesUp)))} KB`);
    console.log(`  peak RSS: gateway ${mb(gw.child.peakRssBytes())} MB, d01 ${mb(offline!.peakRssBytes())} MB, the other ${FLEET_SIZE - 1} devices in one process ${mb(process.memoryUsage().rss)} MB`);

    // 2. Catch-up.
    const d01 = FLEET_DEVICES[0];
    const d01Url = urls.get(d01)!;
    proxyOf.get(d01)!.cut();
    const others = FLEET_DEVICES.slice(1);
    const backlogStart = wallClockMs();
    await Promise.all([
      publishReadings(d01Url, d01, BACKLOG),
      ...others.map((id) => publishReadings(urls.get(id)!, id, Math.ceil(BACKLOG / others.length), 500)),
    ]);
    console.log(`catch-up: backlog of ${BACKLOG} on ${d01} and ${BACKLOG} on the others published in ${((wallClockMs() - backlogStart) / 1000).toFixed(1)} s`);
    await until('the others to reach the gateway', async () => (await status(gw.url)).vc[others[0]] >= STEADY + Math.ceil(BACKLOG / others.length));
    gw.child.resetPeakRss();
    offline!.resetPeakRss();
    const before = await status(d01Url);
    const d01Target = before.vc[d01];
    const gwTarget = sum((await status(gw.url)).vc) + BACKLOG;
    const healed = wallClockMs();
    proxyOf.get(d01)!.heal();
    let upMs = 0;
    let downMs = 0;
    await until('d01 and the gateway to catch up', async () => {
      const [g, d] = await Promise.all([status(gw.url), status(d01Url)]);
      if (upMs === 0 && (g.vc[d01] ?? 0) >= d01Target) upMs = wallClockMs() - healed;
      if (downMs === 0 && sum(d.vc) >= gwTarget) downMs = wallClockMs() - healed;
      return upMs > 0 && downMs > 0;
    });
    const d01Status = await status(d01Url);
    console.log(`  up (d01 → gateway): ${BACKLOG} events in ${(upMs / 1000).toFixed(1)} s = ${Math.round((BACKLOG * 1000) / upMs)} events/s`);
    const down = gwTarget - sum(before.vc);
    console.log(`  down (gateway → d01, its clock to the gateway's): ${down} events counted in ${(downMs / 1000).toFixed(1)} s = ${Math.round((down * 1000) / downMs)} events/s; d01 holds ${d01Status.log.size} of ${sum(d01Status.vc)}`);
    console.log(`  peak RSS during the catch-up: gateway ${mb(gw.child.peakRssBytes())} MB, d01 ${mb(offline!.peakRssBytes())} MB`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop().catch(() => undefined)));
    await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
