/**
 * `troupe chaos`: a whole run. It starts the app's nodes as real processes on 127.0.0.1,
 * each dialling the others through its own proxy of the mesh, waits until they are all
 * linked, drives the workload, plays the seed's fault schedule until the duration is over,
 * stops the workload, heals, waits for the cluster to go quiet, reads every node, checks,
 * and prints the report. The exit code is 1 when a check found a violation.
 *
 * The nodes have no admin token (the harness owns them, on loopback) and share a fresh
 * cluster secret, given in their environment. Every process is killed when the run ends,
 * however it ends; the data dirs are removed unless `--data` named where to keep them.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TroupeError } from '../../protocol/troupe-error.js';
import type { AppDefinition } from '../../runtime/service.js';
import { clusterNodes } from '../cluster-plan.js';
import { loadApp } from '../load-app.js';
import type { ChaosOptions } from './chaos-args.js';
import { ChaosNode } from './chaos-node.js';
import { check, type Violation } from './checker.js';
import { FaultInjector, type FaultRecord } from './fault-injector.js';
import { planSchedule } from './fault-schedule.js';
import { History } from './history.js';
import { NodeAdmin } from './node-admin.js';
import { Prng } from './prng.js';
import { ProxyMesh } from './proxy-mesh.js';
import { waitForQuiet } from './quiescence.js';
import { buildReport, formatReport, type ChaosReport } from './report.js';
import { readSnapshots } from './snapshots.js';
import { Workload } from './workload.js';

const LINK_UP_DEADLINE_MS = 120_000;

/** A free port on 127.0.0.1, released for the node that will take it. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

/** The node ids of a run: the app's, then `n<k>` up to `count`. */
export function chaosNodeIds(app: AppDefinition, count: number | undefined): string[] {
  const ids = [...clusterNodes(app)];
  if (count !== undefined && count < ids.length) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `chaos: app ${app.name} places its services on ${ids.length} nodes; --nodes must be at least that`);
  }
  for (let k = 1; ids.length < (count ?? ids.length); k++) if (!ids.includes(`n${k}`)) ids.push(`n${k}`);
  return ids;
}

/** The nodes hosting the orders example's `order` service, when the app has it. */
function orderHosts(app: AppDefinition): string[] {
  const order = app.services.find((s) => s.name === 'order');
  if (order === undefined || !order.on.includes('OrderPlaced')) return [];
  return Object.entries(app.placement).filter(([, names]) => names.includes('order')).map(([id]) => id);
}

async function waitForLinks(nodes: readonly ChaosNode[]): Promise<void> {
  const deadline = Date.now() + LINK_UP_DEADLINE_MS;
  while (Date.now() < deadline) {
    try {
      const statuses = await Promise.all(nodes.map((node) => new NodeAdmin(node.url).status()));
      if (statuses.every((s) => s.peers.filter((p) => p.connected).length >= nodes.length - 1)) return;
    } catch {
      // still starting
    }
    await sleep(200);
  }
  throw new TroupeError('TROUPE_NODE_UNREACHABLE', `chaos: the nodes did not all link up within ${LINK_UP_DEADLINE_MS / 1000} s`);
}

/** Runs chaos and returns the report; `progress` hears what happens as it happens. */
export async function runChaos(options: ChaosOptions, progress: (line: string) => void): Promise<ChaosReport> {
  const appPath = resolve(options.app);
  const app = await loadApp(appPath);
  const ids = chaosNodeIds(app, options.nodes);
  const hosts = orderHosts(app);
  const workDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), 'troupe-chaos-')) : resolve(options.dataDir);
  await mkdir(workDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, TROUPE_SECRET: randomBytes(24).toString('base64url') };
  delete env.TROUPE_ADMIN_TOKEN;
  const ports = new Map<string, number>();
  for (const id of ids) ports.set(id, await freePort());
  const mesh = await ProxyMesh.start(ports);
  const nodes = new Map(ids.map((id) => [id, new ChaosNode({
    id, port: ports.get(id)!, dataDir: join(workDir, id), app: appPath, env,
    peers: ids.filter((other) => other !== id).map((other) => mesh.peerUrl(id, other)),
  })]));
  const impostors: ChaosNode[] = [];
  function processOnExit(): void {
    for (const node of [...nodes.values(), ...impostors]) if (node.running) void node.stop('SIGKILL');
  }
  process.on('exit', processOnExit);
  let started = Date.now();
  const now = (): number => Date.now() - started;
  const history = new History();
  const injector = new FaultInjector({
    nodes, mesh, history, workDir, now,
    async impostor(id, dataDir) {
      const impostor = new ChaosNode({
        id, port: await freePort(), dataDir, app: appPath, env,
        peers: ids.filter((other) => other !== id).map((other) => `ws://127.0.0.1:${ports.get(other)}`),
        extraArgs: ['--services', ''],
      });
      impostors.push(impostor);
      return impostor;
    },
  });
  try {
    progress(`starting ${ids.length} nodes of ${app.name} (seed ${options.seed}, data in ${workDir})`);
    try {
      await Promise.all([...nodes.values()].map((node) => node.start()));
    } catch (cause) {
      throw new TroupeError('TROUPE_NODE_UNREACHABLE', `chaos: ${(cause as Error).message}`, { cause });
    }
    await waitForLinks([...nodes.values()]);
    // Times in the report count from here: the cluster is up and linked.
    started = Date.now();
    const prng = new Prng(options.seed);
    const schedule = planSchedule({ seed: options.seed, nodes: ids, durationMs: options.durationMs, kinds: options.faults, rounds: options.rounds });
    const workload = new Workload({
      nodes: [...nodes.values()], history, prng: prng.fork(), orders: hosts.length > 0,
      prefix: `c${options.seed}`, sessions: options.sessions, now,
    });
    workload.start();
    const faults: FaultRecord[] = [];
    const faultsStart = now();
    for (const fault of schedule.slice(0, options.rounds)) {
      if (options.rounds === undefined && now() - faultsStart + fault.gapMs >= options.durationMs) break;
      await sleep(fault.gapMs);
      progress(`${(now() / 1000).toFixed(1)} s: fault #${fault.n} ${fault.kind} on ${fault.nodes.join(' ')}`);
      faults.push(await injector.play(fault));
    }
    // A timed run keeps the workload going to the end of its duration; a counted one stops at its last fault.
    const left = options.rounds === undefined ? options.durationMs - (now() - faultsStart) : 0;
    if (left > 0) await sleep(left);
    await workload.stop();
    await injector.healAll();
    progress(`${(now() / 1000).toFixed(1)} s: healed; waiting up to ${options.settleMs / 1000} s for the cluster to go quiet`);
    const quiet = await waitForQuiet([...nodes.values()], hosts.map((id) => nodes.get(id)!), options.settleMs);
    await injector.settled();
    const { snapshots, silent } = await readSnapshots([...nodes.values()], new Set(hosts));
    const violations: Violation[] = [
      ...check({ operations: history.operations, snapshots, lost: history.lostIds(), orderHosts: hosts.filter((id) => !silent.includes(id)) }),
      ...silent.map((node): Violation => ({ kind: 'not-converged', node, message: `${node} did not answer after the heal` })),
      ...[...nodes.values()].filter((node) => node.crash !== undefined).map((node): Violation => ({
        kind: 'crash', node: node.id, message: `${node.crash}\n${node.tail(10).join('\n')}`,
      })),
      ...faults.filter((f) => f.refused === false).map((f): Violation => ({
        kind: 'duplicate-id-accepted', node: f.planned.nodes[0], message: `fault #${f.planned.n}: a second process with id ${f.planned.nodes[0]} was not refused`,
      })),
    ];
    return buildReport({
      seed: options.seed, app: app.name, nodes: ids, durationMs: options.durationMs, rounds: options.rounds, history, faults, violations,
      convergenceMs: quiet.convergedMs, quiet: quiet.quiet,
    });
  } finally {
    await Promise.all([...nodes.values(), ...impostors].map((node) => node.stop('SIGTERM', 10_000)));
    await mesh.close();
    process.off('exit', processOnExit);
    if (options.dataDir === undefined) await rm(workDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** `troupe chaos`: runs, prints the report, and sets the exit code to 1 on a violation. */
export async function chaosCommand(options: ChaosOptions): Promise<void> {
  function progress(line: string): void {
    process.stderr.write(`chaos: ${line}\n`);
  }
  // Exiting runs the 'exit' listener that kills the nodes; a signal's default would not.
  function processOnSignal(signal: NodeJS.Signals): void {
    progress(`${signal}: killing the nodes`);
    process.exit(130);
  }
  process.once('SIGINT', processOnSignal);
  process.once('SIGTERM', processOnSignal);
  const report = await runChaos(options, progress);
  process.off('SIGINT', processOnSignal);
  process.off('SIGTERM', processOnSignal);
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (!report.ok) process.exitCode = 1;
}
