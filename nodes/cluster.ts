/**
 * `troupe cluster`: an app's nodes as child processes on one machine.
 *
 * The launcher loads the app to learn its node ids, lays them out on consecutive ports
 * (base port + 1, + 2, …) with node i dialing every node before it, so each pair is
 * linked exactly once, and starts one `troupe node` per id. The cluster secret goes to
 * the children in their environment, never on a command line where `ps` would show it.
 * Children run in their own process group: a Ctrl-C in the terminal reaches only the
 * launcher, which then stops them in order.
 *
 * Every line a node prints is shown prefixed with its id (`log-format.ts`). Once every
 * node serves and every link is up (polling `GET /status`, bounded by a deadline), the
 * launcher prints the admin URLs, follows the cluster's progress by long-polling
 * `GET /log` on the first live node — one line per event — and runs the app's demo. On
 * SIGINT or SIGTERM it sends SIGTERM to every node, SIGKILLs any that outlive a grace
 * period, and reports how each exited. A node that dies on its own is reported loudly;
 * the others keep running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { AppDefinition } from '../runtime/service.js';
import { loadApp } from './load-app.js';
import {
  NODE_COLOURS,
  formatChildLine,
  formatEvent,
  highlight,
  prefixed,
  shouldColour,
  type LineStyle,
  type Source,
} from './log-format.js';

/** How `troupe cluster` runs an app; `parseClusterArgs` builds it from the command line. */
export interface ClusterOptions {
  /** The app module as the user gave it: a directory with an index, or a .ts/.js file, relative to cwd. */
  readonly app: string;
  /** Nodes listen on `basePort + 1`, `+ 2`, … in the order of the app's `cluster.nodes`. */
  readonly basePort: number;
  /** Each node keeps its data in `<dataDir>/<app name>/<node id>`. */
  readonly dataDir: string;
  /** Wipe each node's data directory before starting. */
  readonly fresh: boolean;
  /** Run the app's demo once the cluster is up. */
  readonly demo: boolean;
  /** The cluster secret; default `TROUPE_SECRET` from the environment, else a random one. */
  readonly secret?: string;
  /** The interface nodes listen on. [default '127.0.0.1'] */
  readonly host?: string;
  /** Where the output goes. [default process.stdout] */
  readonly out?: NodeJS.WritableStream;
}

/** The synopsis of `troupe cluster`, for the CLI's usage text. */
export const CLUSTER_USAGE =
  'troupe cluster --app MODULE [--base-port 7400] [--data .troupe] [--fresh] [--no-demo] [--secret S] [--host 127.0.0.1]';

const DEFAULT_BASE_PORT = 7400;
const DEFAULT_DATA_DIR = '.troupe';
const DEFAULT_HOST = '127.0.0.1';
/** How long to wait for every node to serve and every link to come up. */
const READY_DEADLINE_MS = 15_000;
/** How often to ask the nodes for their status while waiting for them. */
const READY_POLL_MS = 200;
/** How long `GET /log` waits for an event before answering with none. */
const LOG_WAIT_MS = 1000;
/** How long to wait after a failed request before asking again. */
const RETRY_MS = 500;
/** How long the nodes get to stop after SIGTERM before they are SIGKILLed. */
const STOP_GRACE_MS = 10_000;
/** A second SIGINT/SIGTERM sooner than this after the first is the same one, delivered twice. */
const REPEAT_SIGNAL_MS = 1000;

/** The `node` executable's entry point, beside this module once built (`dist/nodes/cli.js`). */
const CLI_PATH = fileURLToPath(new URL('./cli.js', import.meta.url));

const CLUSTER_FLAGS = {
  app: { type: 'string' },
  'base-port': { type: 'string', default: String(DEFAULT_BASE_PORT) },
  data: { type: 'string', default: DEFAULT_DATA_DIR },
  fresh: { type: 'boolean', default: false },
  'no-demo': { type: 'boolean', default: false },
  secret: { type: 'string' },
  host: { type: 'string' },
} as const;

/** The launcher's own labels, beside the node ids. */
const LAUNCHER: Source = { label: 'cluster', sgr: '1' };
const EVENTS: Source = { label: 'events', sgr: '1' };
const DEMO: Source = { label: 'demo', sgr: '97' };

/**
 * Reads the arguments of `troupe cluster` (those after `cluster`).
 * @throws TroupeError `TROUPE_BAD_FLAGS` on an unknown flag, a positional argument, a
 *   missing `--app`, or a `--base-port` that is not a port number.
 * @example parseClusterArgs(['--app', 'examples/orders', '--fresh'])
 */
export function parseClusterArgs(argv: readonly string[]): ClusterOptions {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: CLUSTER_FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    const { code, message } = err as { code?: string; message: string };
    // Node's own wording for an unknown option goes on about positionals; say it plainly.
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(message)?.[1] : undefined;
    throw badFlags(unknown === undefined ? message : `unknown flag ${unknown}`, err);
  }
  if (values.app === undefined || values.app === '') {
    throw badFlags('--app MODULE is required (an app directory or module, e.g. examples/orders)');
  }
  const basePort = Number(values['base-port']);
  if (!/^\d+$/.test(values['base-port']) || basePort < 1 || basePort > 65534) {
    throw badFlags(`--base-port must be a port number from 1 to 65534, got '${values['base-port']}'`);
  }
  if (values.data === '') throw badFlags('--data must not be empty');
  if (values.secret === '') throw badFlags('--secret must not be empty');
  if (values.host === '') throw badFlags('--host must not be empty');
  return {
    app: values.app,
    basePort,
    dataDir: values.data,
    fresh: values.fresh,
    demo: !values['no-demo'],
    ...(values.secret === undefined ? {} : { secret: values.secret }),
    ...(values.host === undefined ? {} : { host: values.host }),
  };
}

function badFlags(message: string, cause?: unknown): TroupeError {
  return new TroupeError('TROUPE_BAD_FLAGS', `cluster: ${message}`, { cause });
}

/**
 * The nodes `troupe cluster` starts for an app: its `cluster.nodes`, else the nodes its
 * placement names.
 * @throws TroupeError `TROUPE_BAD_APP` when that leaves none.
 */
export function clusterNodes(app: AppDefinition): readonly string[] {
  const ids = app.cluster?.nodes ?? Object.keys(app.placement);
  if (ids.length === 0) {
    throw new TroupeError('TROUPE_BAD_APP', `app '${app.name}' names no nodes: give it cluster.nodes or a placement`);
  }
  return ids;
}

/** Where one node of a local cluster listens, keeps its data, and which peers it dials. */
export interface NodePlan {
  readonly id: string;
  readonly port: number;
  /** Its admin API base URL (`http://127.0.0.1:7401`). */
  readonly url: string;
  readonly dataDir: string;
  /** The WebSocket URLs it dials: those of every node before it. */
  readonly peers: readonly string[];
}

/**
 * Lays out a local cluster: node i listens on `basePort + i + 1`, keeps its data in
 * `<dataDir>/<appName>/<id>`, and dials every node before it, so each pair of nodes is
 * linked once. URLs use `host`, or loopback when `host` is a wildcard address.
 * @throws TroupeError `TROUPE_BAD_APP` on a node id or app name that is not a safe path
 *   segment, or a repeated id; `TROUPE_BAD_FLAGS` when the ports run past 65535.
 */
export function clusterLayout(
  ids: readonly string[],
  options: { readonly basePort: number; readonly dataDir: string; readonly appName: string; readonly host: string },
): NodePlan[] {
  if (!isPathSegment(options.appName)) {
    throw new TroupeError('TROUPE_BAD_APP', `app name '${options.appName}' must be a plain name (letters, digits, _ . -)`);
  }
  const seen = new Set<string>();
  for (const id of ids) {
    if (!isPathSegment(id)) throw new TroupeError('TROUPE_BAD_APP', `node id '${id}' must match ${NODE_ID_PATTERN}`);
    if (seen.has(id)) throw new TroupeError('TROUPE_BAD_APP', `node id '${id}' appears twice in cluster.nodes`);
    seen.add(id);
  }
  const lastPort = options.basePort + ids.length;
  if (lastPort > 65535) {
    throw new TroupeError('TROUPE_BAD_FLAGS', `--base-port ${options.basePort} leaves no room for ${ids.length} nodes`);
  }
  const host = urlHost(options.host);
  const ports = ids.map((_, i) => options.basePort + i + 1);
  return ids.map((id, i) => ({
    id,
    port: ports[i],
    url: `http://${host}:${ports[i]}`,
    dataDir: join(options.dataDir, options.appName, id),
    peers: ports.slice(0, i).map((port) => `ws://${host}:${port}`),
  }));
}

/** A node id or app name that is safe as one directory name. */
function isPathSegment(name: string): boolean {
  return NODE_ID_PATTERN.test(name) && name !== '.' && name !== '..';
}

/** The host as it goes in a URL: loopback for a wildcard address, IPv6 in brackets. */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * The arguments of `troupe node` for one planned node, after the CLI's path. The secret
 * is not among them: it goes in the environment.
 */
export function nodeArgs(plan: NodePlan, options: { readonly app: string; readonly host: string; readonly cluster: string }): string[] {
  return [
    'node',
    '--id', plan.id,
    '--port', String(plan.port),
    '--data', plan.dataDir,
    '--app', options.app,
    '--host', options.host,
    '--cluster', options.cluster,
    ...plan.peers.flatMap((peer) => ['--peer', peer]),
  ];
}

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

/** What the launcher reads of `GET /status`. */
export interface NodeStatus {
  readonly id: string;
  readonly peers: readonly { readonly id: string; readonly connected: boolean }[];
}

/**
 * What keeps a cluster from being ready: each node that does not answer `GET /status`,
 * and each pair of serving nodes that do not both report their link connected. Empty
 * when every node serves and every pair is linked.
 */
export function missingLinks(ids: readonly string[], statuses: ReadonlyMap<string, NodeStatus | undefined>): string[] {
  const missing = ids.filter((id) => statuses.get(id) === undefined).map((id) => `${id} is not serving`);
  const connected = (from: string, to: string): boolean =>
    statuses.get(from)?.peers.some((peer) => peer.id === to && peer.connected) === true;
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const [a, b] = [ids[i], ids[j]];
      if (statuses.get(a) === undefined || statuses.get(b) === undefined) continue;
      if (!connected(a, b) || !connected(b, a)) missing.push(`link ${a}–${b} is down`);
    }
  }
  return missing;
}

/** One event of `GET /log`, as far as the launcher reads it. */
interface LoggedEvent {
  readonly origin: string;
  readonly seq: number;
  readonly type: string;
  readonly correlationId: string;
  readonly data: unknown;
}

/** A page of `GET /log`. */
interface LogPage {
  readonly events: readonly LoggedEvent[];
  readonly next: number;
}

/** A started node. */
interface RunningNode {
  readonly plan: NodePlan;
  readonly source: Source;
  readonly child: ChildProcess;
  /** Resolves once the process has exited and its output is drained. */
  readonly exited: Promise<ExitStatus>;
  exit: ExitStatus | undefined;
  /** Set once the launcher has stopped it; an exit before that is unexpected. */
  stopping: boolean;
}

/** Writes prefixed lines to the output. */
class Printer {
  constructor(
    private readonly out: NodeJS.WritableStream,
    readonly style: LineStyle,
  ) {}

  /** Writes text that is already prefixed. */
  raw(text: string): void {
    this.out.write(`${text}\n`);
  }

  line(source: Source, text: string): void {
    this.raw(prefixed(source, text, this.style));
  }

  info(text: string): void {
    this.line(LAUNCHER, text);
  }

  warn(text: string): void {
    this.line(LAUNCHER, highlight('warn', text, this.style.colour));
  }

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
  const appPath = resolve(options.app);
  const app = await loadApp(appPath);
  const plans = clusterLayout(clusterNodes(app), {
    basePort: options.basePort,
    dataDir: resolve(options.dataDir),
    appName: app.name,
    host,
  });
  await assertPortsFree(plans, host);
  await prepareDataDirs(plans, options.fresh);
  const labels = [...plans.map((plan) => plan.id), LAUNCHER.label, EVENTS.label, DEMO.label];
  const printer = new Printer(out, {
    colour: shouldColour(out, process.env),
    width: Math.max(...labels.map((label) => label.length)),
  });
  const secret = options.secret ?? process.env.TROUPE_SECRET ?? randomBytes(24).toString('base64url');

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
      nodes.push(startNode(plan, source, nodeArgs(plan, { app: appPath, host, cluster: app.name }), secret, printer, nodeOnExit));
    });
    const watching = watchCluster(app, nodes, options.demo, printer, stop.signal);
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
    if (fresh) await rm(plan.dataDir, { recursive: true, force: true });
    await mkdir(plan.dataDir, { recursive: true });
  }
}

/** Spawns one node and shows its output; `onExit` hears of its exit once its output is drained. */
function startNode(
  plan: NodePlan,
  source: Source,
  args: readonly string[],
  secret: string,
  printer: Printer,
  onExit: (node: RunningNode) => void,
): RunningNode {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, TROUPE_SECRET: secret },
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
  killAll(wasRunning, 'SIGTERM');
  const grace = new AbortController();
  const allExited = Promise.all(wasRunning.map((node) => node.exited));
  const inTime = await Promise.race([allExited.then(() => true), pause(STOP_GRACE_MS, grace.signal).then(() => false)]);
  grace.abort();
  if (!inTime) {
    for (const node of wasRunning.filter((node) => node.exit === undefined)) {
      printer.warn(`${node.plan.id} did not stop within ${STOP_GRACE_MS / 1000} s: sending SIGKILL`);
      node.child.kill('SIGKILL');
    }
    await allExited;
  }
  for (const node of nodes) {
    const how = `${node.plan.id} ${describeExit(node.exit!)}`;
    if (!node.stopping) printer.error(`${how} (before the cluster was stopped)`);
    else if (node.exit!.code === 0) printer.info(how);
    else printer.warn(how);
  }
}

/** Waits for the cluster to come up, prints its URLs, then follows its events and runs the demo. */
async function watchCluster(
  app: AppDefinition,
  nodes: readonly RunningNode[],
  demo: boolean,
  printer: Printer,
  signal: AbortSignal,
): Promise<void> {
  try {
    const started = Date.now();
    const pairs = (nodes.length * (nodes.length - 1)) / 2;
    printer.info(`waiting for ${nodes.length} nodes to serve and ${pairs} links to come up`);
    const missing = await waitUntilLinked(nodes, signal);
    if (signal.aborted) return;
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (missing.length === 0) printer.info(`all ${nodes.length} nodes up and linked in ${took}`);
    else printer.warn(`not ready after ${took}: ${missing.join(', ')}; going on anyway`);
    const idWidth = Math.max(...nodes.map((node) => node.plan.id.length));
    for (const node of nodes) {
      const services = app.placement[node.plan.id] ?? [];
      printer.info(
        `  ${node.plan.id.padEnd(idWidth)}  ${node.plan.url}  ${services.length > 0 ? services.join(', ') : '(relay only)'}`,
      );
    }
    const tasks = [followEvents(nodes, printer, signal)];
    if (app.demo === undefined) {
      printer.info(`post events with: curl -X POST ${nodes[0].plan.url}/events -H 'content-type: application/json' -d '{"type":"…"}'`);
    } else if (demo) {
      tasks.push(runDemo(app.demo, nodes, printer, signal));
    } else {
      printer.info('demo skipped (--no-demo)');
    }
    await Promise.all(tasks);
  } catch (err) {
    if (!signal.aborted) printer.error(`watching the cluster failed: ${errorText(err)}`);
  }
}

/**
 * Polls every node's status until all serve and all links are up, the deadline passes,
 * a node exits, or `signal` aborts. Returns what is still missing.
 */
async function waitUntilLinked(nodes: readonly RunningNode[], signal: AbortSignal): Promise<string[]> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  const ids = nodes.map((node) => node.plan.id);
  for (;;) {
    const statuses = new Map(
      await Promise.all(
        nodes.map(async (node) => [node.plan.id, node.exit === undefined ? await fetchStatus(node, signal) : undefined] as const),
      ),
    );
    const missing = missingLinks(ids, statuses);
    const someExited = nodes.some((node) => node.exit !== undefined);
    if (missing.length === 0 || someExited || signal.aborted || Date.now() >= deadline) return missing;
    await pause(READY_POLL_MS, signal);
  }
}

async function fetchStatus(node: RunningNode, signal: AbortSignal): Promise<NodeStatus | undefined> {
  try {
    return await getJson<NodeStatus>(`${node.plan.url}/status`, signal, 1000);
  } catch {
    return undefined;
  }
}

/**
 * Prints each event of the cluster as the first live node delivers it. When that node
 * exits, follows the next one from the start of its log, skipping what was shown: every
 * node delivers an origin's events in `seq` order, so one counter per origin suffices.
 */
async function followEvents(nodes: readonly RunningNode[], printer: Printer, signal: AbortSignal): Promise<void> {
  const shown: Record<string, number> = {};
  const sgrOf = new Map(nodes.map((node) => [node.plan.id, node.source.sgr]));
  let source: RunningNode | undefined;
  let from = 1;
  let failing = false;
  while (!signal.aborted) {
    if (source === undefined || source.exit !== undefined) {
      const next = nodes.find((node) => node.exit === undefined);
      if (next === undefined) return;
      if (source === undefined) printer.info(`events as ${next.plan.id} delivers them (Ctrl-C stops the cluster):`);
      else printer.warn(`${source.plan.id} is gone: following the events at ${next.plan.id} now`);
      source = next;
      from = 1;
      failing = false;
    }
    try {
      const page = await getJson<LogPage>(`${source.plan.url}/log?from=${from}&wait=${LOG_WAIT_MS}`, signal, LOG_WAIT_MS + 5000);
      if (failing) printer.info(`reading the log at ${source.plan.id} again`);
      failing = false;
      for (const event of page.events) {
        if (event.seq <= (shown[event.origin] ?? 0)) continue;
        shown[event.origin] = event.seq;
        printer.line(EVENTS, formatEvent(event, sgrOf.get(event.origin) ?? '0', printer.style.colour));
      }
      from = page.next;
    } catch (err) {
      if (signal.aborted) return;
      await pause(RETRY_MS, signal);
      // A node that has just died fails the request before its exit is known: let the exit speak.
      if (!failing && source.exit === undefined) {
        printer.warn(`cannot read the log at ${source.plan.id} (${errorText(err, false)}); retrying`);
      }
      failing = true;
    }
  }
}

/** Runs the app's demo; its failure is shown, not fatal, and says nothing once the cluster is stopping. */
async function runDemo(
  demo: NonNullable<AppDefinition['demo']>,
  nodes: readonly RunningNode[],
  printer: Printer,
  signal: AbortSignal,
): Promise<void> {
  function demoLog(line: string): void {
    printer.line(DEMO, line);
  }
  printer.info('running the demo');
  try {
    await demo({ nodes: nodes.map((node) => ({ id: node.plan.id, url: node.plan.url })), log: demoLog, signal });
    if (!signal.aborted) printer.info('demo finished; the cluster keeps running (Ctrl-C stops it)');
  } catch (err) {
    if (!signal.aborted) printer.error(`demo failed: ${errorText(err)}`);
  }
}

async function getJson<T>(url: string, signal: AbortSignal, timeoutMs: number): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** An error's stack (or just its message), or the thrown value as text. */
function errorText(err: unknown, stack = true): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return stack && err.stack !== undefined ? err.stack : `${err.message}${cause}`;
}
