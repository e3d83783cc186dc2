/**
 * `troupe cluster`: an app's nodes as child processes on one machine.
 *
 * The launcher loads the app, lays its nodes out (`cluster-plan.ts`), checks their ports
 * are free and starts one `troupe node` per id. The cluster secret and the admin token
 * (when there is one) go to the children in their environment, never on a command line
 * where `ps` would show them; the launcher's own requests and the demo's carry the token. Children run in
 * their own process group: a Ctrl-C in the terminal reaches only the launcher, which then
 * stops them in order.
 *
 * Every line a node prints is shown prefixed with its id (`log-format.ts`). While the
 * nodes run, `cluster-watch.ts` waits for them to link up, follows the cluster's events
 * and runs the app's demo. On SIGINT or SIGTERM the launcher sends SIGTERM to every
 * node, SIGKILLs any that outlive a grace period, and reports how each exited. A node
 * that dies on its own is reported loudly; the others keep running. The demo may restart
 * a node (`DemoContext.restart`): the launcher stops it the same way, empties its data
 * directory when asked, and starts it again with the same arguments, port and key.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TrustList } from '../protocol/node-keys.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { isLoopbackName } from '../runtime/admin-guard.js';
import { clusterLayout, clusterNodes, DEFAULT_HOST, nodeArgs, type ClusterOptions, type NodePlan } from './cluster-plan.js';
import { DEMO, EVENTS, watchCluster } from './cluster-watch.js';
import { defaultKeyFile, ensureKeyFile } from './key-files.js';
import { loadApp } from './load-app.js';
import {
  NODE_COLOURS,
  formatChildLine,
  highlight,
  prefixed,
  shouldColour,
  type LineStyle,
  type Source,
} from './log-format.js';

/** How long the nodes get to stop after SIGTERM before they are SIGKILLed. */
const STOP_GRACE_MS = 10_000;
/** A second SIGINT/SIGTERM sooner than this after the first is the same one, delivered twice. */
const REPEAT_SIGNAL_MS = 1000;

/** The `node` executable's entry point, beside this module once built (`dist/nodes/cli.js`). */
const CLI_PATH = fileURLToPath(new URL('./cli.js', import.meta.url));

/** The launcher's own label, beside the node ids. */
const LAUNCHER: Source = { label: 'cluster', sgr: '1' };

/** How a child process ended, as `child_process` reports it. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How a process ended, in words: `exited cleanly`, `exited with code 1`, `was killed by SIGKILL`. */
export function describeExit(exit: ExitStatus): string {
  if (exit.signal !== null) return `was killed by ${exit.signal}`;
  if (exit.code === 0) return 'exited cleanly';
  if (exit.code === null) return 'could not be started';
  return `exited with code ${exit.code}`;
}

/** A started node. */
export interface RunningNode {
  readonly plan: NodePlan;
  readonly source: Source;
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output is drained. */
  readonly exited: Promise<ExitStatus>;
  /** How the process ended; undefined while it runs. */
  exit: ExitStatus | undefined;
  /** Set once the launcher has stopped it; an exit before that is unexpected. */
  stopping: boolean;
}

/** Writes prefixed lines to the output. */
export class Printer {
  constructor(
    private readonly out: NodeJS.WritableStream,
    readonly style: LineStyle,
  ) {}

  /** Writes text that is already prefixed. */
  raw(text: string): void {
    this.out.write(`${text}\n`);
  }

  /** Writes `text` under `source`'s label, every line of it. */
  line(source: Source, text: string): void {
    this.raw(prefixed(source, text, this.style));
  }

  /** Writes `text` under the launcher's own label. */
  info(text: string): void {
    this.line(LAUNCHER, text);
  }

  /** Writes `text` under the launcher's label, highlighted as a warning. */
  warn(text: string): void {
    this.line(LAUNCHER, highlight('warn', text, this.style.colour));
  }

  /** Writes `text` under the launcher's label, highlighted as an error. */
  error(text: string): void {
    this.line(LAUNCHER, highlight('error', text, this.style.colour));
  }
}

/**
 * Runs an app as a local cluster until SIGINT or SIGTERM (or until every node has
 * exited), then stops the nodes and resolves. Sets `process.exitCode` to 1 when a node
 * died on its own or did not stop cleanly.
 * @throws TroupeError `TROUPE_BAD_APP` when the app cannot be loaded or laid out;
 *   `TROUPE_BAD_FLAGS` when its ports run past 65535 or one of them is in use.
 */
export async function runCluster(options: ClusterOptions): Promise<void> {
  const out = options.out ?? process.stdout;
  const host = options.host ?? DEFAULT_HOST;
  const adminToken = options.adminToken ?? (process.env.TROUPE_ADMIN_TOKEN || undefined);
  if (!isLoopbackName(host) && adminToken === undefined && options.insecureAdmin !== true) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `cluster: --host ${host} is off loopback: give --admin-token T (or TROUPE_ADMIN_TOKEN), or --insecure-admin`);
  }
  const appPath = resolve(options.app);
  const app = await loadApp(appPath);
  const plans = clusterLayout(clusterNodes(app), {
    basePort: options.basePort,
    dataDir: resolve(options.dataDir),
    appName: app.name,
    host,
    ...(app.cluster?.hub === undefined ? {} : { hub: app.cluster.hub }),
  });
  await assertPortsFree(plans, host);
  await prepareDataDirs(plans, options.fresh);
  const trust = await prepareKeys(plans, join(resolve(options.dataDir), app.name));
  const labels = [...plans.map((plan) => plan.id), LAUNCHER.label, EVENTS.label, DEMO.label];
  const printer = new Printer(out, {
    colour: shouldColour(out, process.env),
    width: Math.max(...labels.map((label) => label.length)),
  });
  const secret = options.secret ?? process.env.TROUPE_SECRET ?? randomBytes(24).toString('base64url');
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TROUPE_SECRET: secret };
  if (adminToken === undefined) delete childEnv.TROUPE_ADMIN_TOKEN;
  else childEnv.TROUPE_ADMIN_TOKEN = adminToken;

  const stop = new AbortController();
  const nodes: RunningNode[] = [];
  let firstSignalAt: number | undefined;
  function processOnSignal(signal: NodeJS.Signals): void {
    if (firstSignalAt === undefined) {
      firstSignalAt = Date.now();
      printer.info(`${signal}: stopping the cluster (Ctrl-C again kills the nodes)`);
      stop.abort();
    } else if (Date.now() - firstSignalAt >= REPEAT_SIGNAL_MS) {
      printer.warn(`${signal} again: killing every node now`);
      killAll(nodes, 'SIGKILL');
    }
    // A repeat within REPEAT_SIGNAL_MS is the same Ctrl-C: the terminal signals the whole
    // process group, and `npm start` forwards the signal to the launcher as well.
  }
  // Children have their own process group, so nothing else stops them if the launcher dies.
  function processOnExit(): void {
    killAll(nodes, 'SIGKILL');
  }
  function nodeOnExit(node: RunningNode): void {
    if (node.stopping) return;
    printer.error(`${node.plan.id} ${describeExit(node.exit!)} — the other nodes keep running`);
    if (nodes.every((other) => other.exit !== undefined) && !stop.signal.aborted) {
      printer.error('every node has exited');
      stop.abort();
    }
  }
  const argsOf = new Map<string, readonly string[]>();
  const restarting = new Map<string, Promise<void>>();
  /** Restarts one node; a restart asked while one of the same node runs waits for that one (two would each start a process). */
  function restartNode(id: string, wipe: boolean): Promise<void> {
    let running = restarting.get(id);
    if (running === undefined) {
      running = restartProcess(id, wipe).finally(() => restarting.delete(id));
      restarting.set(id, running);
    }
    return running;
  }
  /** Stops one node, wipes its data directory when asked, and starts it again in its place. */
  async function restartProcess(id: string, wipe: boolean): Promise<void> {
    const at = nodes.findIndex((node) => node.plan.id === id);
    if (at < 0) throw new TroupeError('TROUPE_NOT_FOUND', `cluster: no node '${id}' to restart (nodes: ${nodes.map((n) => n.plan.id).join(', ')})`);
    const old = nodes[at];
    printer.info(`restarting ${id}${wipe ? ` with its data directory wiped (${old.plan.dataDir})` : ''}`);
    old.stopping = true;
    await stopProcesses([old], printer);
    if (wipe) {
      try {
        await emptyDir(old.plan.dataDir);
      } catch (err) {
        throw new TroupeError('TROUPE_NODE_UNREACHABLE', `cluster: could not empty ${id}'s data directory (${old.plan.dataDir}), so it is not started again: ${(err as Error).message}`, { cause: err });
      }
    }
    // The cluster may have been stopped meanwhile: a node started now would outlive it.
    if (stop.signal.aborted) throw new TroupeError('TROUPE_NODE_STOPPING', `cluster: stopping, ${id} is not started again`);
    printer.info(`${id} ${describeExit(old.exit!)}; starting it again on port ${old.plan.port}`);
    nodes[at] = startNode(old.plan, old.source, argsOf.get(id)!, childEnv, printer, nodeOnExit);
  }
  process.on('SIGINT', processOnSignal);
  process.on('SIGTERM', processOnSignal);
  process.on('exit', processOnExit);
  try {
    printer.info(
      `starting ${app.name}: ${plans.length} nodes on ${host}, ports ${plans[0].port}–${plans.at(-1)!.port}, ` +
        `data in ${join(resolve(options.dataDir), app.name)}${options.fresh ? ' (fresh)' : ''}`,
    );
    plans.forEach((plan, i) => {
      const source = { label: plan.id, sgr: NODE_COLOURS[i % NODE_COLOURS.length] };
      const args = nodeArgs(plan, { app: appPath, host, cluster: app.name, inspect: options.inspect, insecureAdmin: options.insecureAdmin, trust });
      argsOf.set(plan.id, args);
      nodes.push(startNode(plan, source, args, childEnv, printer, nodeOnExit));
    });
    const watching = watchCluster(app, nodes, { demo: options.demo, adminToken, restart: restartNode }, printer, stop.signal);
    if (!stop.signal.aborted) await new Promise((resolveStop) => stop.signal.addEventListener('abort', resolveStop));
    await stopNodes(nodes, printer);
    await watching;
    if (nodes.some((node) => !node.stopping || node.exit!.code !== 0)) process.exitCode = 1;
  } finally {
    process.off('SIGINT', processOnSignal);
    process.off('SIGTERM', processOnSignal);
    process.off('exit', processOnExit);
  }
}

/** Fails early, with a hint, when a port is taken (by a cluster still running, say). */
async function assertPortsFree(plans: readonly NodePlan[], host: string): Promise<void> {
  for (const plan of plans) {
    const server = createServer();
    try {
      await new Promise<void>((resolveListen, rejectListen) => {
        server.once('error', rejectListen);
        server.listen(plan.port, host, resolveListen);
      });
    } catch (err) {
      throw new TroupeError(
        'TROUPE_BAD_FLAGS',
        `cannot listen on ${host}:${plan.port} for ${plan.id} (${(err as Error).message}); ` +
          'is another cluster still running? Stop it, or pick another --base-port',
        { cause: err },
      );
    }
    await new Promise((resolveClose) => server.close(resolveClose));
  }
}

async function prepareDataDirs(plans: readonly NodePlan[], fresh: boolean): Promise<void> {
  for (const plan of plans) {
    if (fresh) await emptyDir(plan.dataDir);
    else await mkdir(plan.dataDir, { recursive: true });
  }
}

/** Removes `dir` and makes it again, empty. The node's key sits beside it and stays. */
async function emptyDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/**
 * Gives every node a key pair (kept beside its data directory, so `--fresh` keeps it) and
 * writes the cluster's trust list, `<dir>/trust`; returns the list's path.
 */
async function prepareKeys(plans: readonly NodePlan[], dir: string): Promise<string> {
  const file = join(dir, 'trust');
  const entries = plans.map((plan) => [plan.id, ensureKeyFile(defaultKeyFile(plan.dataDir)).publicKey] as const);
  await writeFile(file, `# written by troupe cluster: one "nodeId publicKey" line per node\n${TrustList.format(entries)}`);
  return file;
}

/** Spawns one node with `env` and shows its output; `onExit` hears of its exit once its output is drained. */
function startNode(
  plan: NodePlan,
  source: Source,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  printer: Printer,
  onExit: (node: RunningNode) => void,
): RunningNode {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  function childOnLine(line: string): void {
    printer.raw(formatChildLine(source, line, printer.style));
  }
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', childOnLine);
  createInterface({ input: child.stderr!, crlfDelay: Infinity }).on('line', childOnLine);
  const exited = new Promise<ExitStatus>((resolveExit) => {
    function childOnClose(code: number | null, signal: NodeJS.Signals | null): void {
      resolveExit({ code, signal });
    }
    function childOnError(err: Error): void {
      printer.error(`${plan.id}: ${err.message}`);
      resolveExit({ code: null, signal: null });
    }
    child.once('close', childOnClose);
    child.once('error', childOnError);
  });
  const node: RunningNode = { plan, source, child, exited, exit: undefined, stopping: false };
  void exited.then(function nodeExited(exit) {
    node.exit = exit;
    onExit(node);
  });
  return node;
}

function killAll(nodes: readonly RunningNode[], signal: NodeJS.Signals): void {
  for (const node of nodes) if (node.exit === undefined) node.child.kill(signal);
}

/** SIGTERM to every live node, SIGKILL to any still running after the grace period; then the tally. */
async function stopNodes(nodes: readonly RunningNode[], printer: Printer): Promise<void> {
  const wasRunning = nodes.filter((node) => node.exit === undefined);
  for (const node of nodes) node.stopping ||= node.exit === undefined;
  if (wasRunning.length > 0) printer.info(`stopping ${wasRunning.map((node) => node.plan.id).join(', ')}`);
  await stopProcesses(wasRunning, printer);
  for (const node of nodes) {
    const how = `${node.plan.id} ${describeExit(node.exit!)}`;
    if (!node.stopping) printer.error(`${how} (before the cluster was stopped)`);
    else if (node.exit!.code === 0) printer.info(how);
    else printer.warn(how);
  }
}

/** SIGTERM to `wasRunning`, SIGKILL to any still running after the grace period; resolves once all have exited. */
async function stopProcesses(wasRunning: readonly RunningNode[], printer: Printer): Promise<void> {
  killAll(wasRunning, 'SIGTERM');
  const grace = new AbortController();
  const allExited = Promise.all(wasRunning.map((node) => node.exited));
  // The grace timer is cancelled once every node is out, so it does not hold the launcher open.
  const graceOver = sleep(STOP_GRACE_MS, false, { signal: grace.signal }).catch(() => false);
  const inTime = await Promise.race([allExited.then(() => true), graceOver]);
  grace.abort();
  if (!inTime) {
    for (const node of wasRunning.filter((node) => node.exit === undefined)) {
      printer.warn(`${node.plan.id} did not stop within ${STOP_GRACE_MS / 1000} s: sending SIGKILL`);
      node.child.kill('SIGKILL');
    }
    await allExited;
  }
}

