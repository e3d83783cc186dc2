/**
 * How `troupe cluster` watches the cluster it started, through the nodes' admin API.
 *
 * It polls `GET /status` on every node until each serves and every pair the layout links
 * (each with the hub, when there is one) reports its link connected (`missingLinks`),
 * bounded by a deadline, and prints the admin URLs. Then it follows the cluster's progress
 * by long-polling `GET /log` on the first live node — one line per event, moving to the
 * next live node when that one dies — and runs the app's demo. Nothing here is fatal: a
 * failure is printed and the nodes keep running.
 *
 * The processes themselves are `cluster.ts`'s: the watcher only reads whether a node has
 * exited, and stops when the launcher's signal aborts. When the demo restarts a node, the
 * launcher replaces its process (and its entry in the nodes' list); the watcher waits for
 * it to serve and link up again with the peers it had.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeStatus } from '../inspector/feed.js';
import { nodeOf } from '../protocol/origin.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { getJson } from '../runtime/cluster-reader.js';
import type { AppDefinition, RestartOptions } from '../runtime/service.js';
import { linkedPairs } from './cluster-plan.js';
// Types only, so no import cycle at run time: the launcher owns the nodes and the printer.
import type { Printer, RunningNode } from './cluster.js';
import { formatEvent, type Source } from './log-format.js';

/** How long to wait for every node to serve and every link to come up. */
const READY_DEADLINE_MS = 15_000;
/** How often to ask the nodes for their status while waiting for them. */
const READY_POLL_MS = 200;
/** How long `GET /log` waits for an event before answering with none. */
const LOG_WAIT_MS = 1000;
/** How long to wait after a failed request before asking again. */
const RETRY_MS = 500;

/** What the launcher's requests carry: when to give up, and the cluster's admin token. */
interface AdminCall {
  readonly signal: AbortSignal;
  readonly adminToken?: string;
}

/** The label the cluster's events are printed under. */
export const EVENTS: Source = { label: 'events', sgr: '1' };
/** The label the demo's output is printed under. */
export const DEMO: Source = { label: 'demo', sgr: '97' };

/**
 * What keeps a cluster from being ready: each node that does not answer `GET /status`,
 * and each pair of serving nodes that do not both report their link connected, among
 * `pairs` (those the layout links: `linkedPairs`). [default every pair of `ids`] Empty
 * when every node serves and every such pair is linked.
 */
export function missingLinks(
  ids: readonly string[],
  statuses: ReadonlyMap<string, Pick<NodeStatus, 'peers'> | undefined>,
  pairs: readonly (readonly [string, string])[] = ids.flatMap((a, i) => ids.slice(i + 1).map((b) => [a, b] as const)),
): string[] {
  const missing = ids.filter((id) => statuses.get(id) === undefined).map((id) => `${id} is not serving`);
  const connected = (from: string, to: string): boolean =>
    statuses.get(from)?.peers.some((peer) => peer.id === to && peer.connected) === true;
  for (const [a, b] of pairs) {
    if (statuses.get(a) === undefined || statuses.get(b) === undefined) continue;
    if (!connected(a, b) || !connected(b, a)) missing.push(`link ${a}–${b} is down`);
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

/**
 * The launcher's half of a restart: stops node `id`, empties its data directory when
 * `wipe`, and starts it again in its place in the nodes' list; resolves once it is spawned.
 */
export type RestartProcess = (id: string, wipe: boolean) => Promise<void>;

/** How the launcher watches: whether to run the demo, the admin token its requests carry, how it restarts a node. */
export interface WatchOptions {
  readonly demo: boolean;
  readonly adminToken?: string;
  readonly restart: RestartProcess;
}

/** Waits for the cluster to come up, prints its URLs, then follows its events and runs the demo. */
export async function watchCluster(
  app: AppDefinition,
  nodes: readonly RunningNode[],
  options: WatchOptions,
  printer: Printer,
  signal: AbortSignal,
): Promise<void> {
  const call: AdminCall = { signal, adminToken: options.adminToken };
  try {
    const started = Date.now();
    const pairs = linkedPairs(nodes.map((node) => node.plan)).length;
    printer.info(`waiting for ${nodes.length} nodes to serve and ${pairs} links to come up`);
    const missing = await waitUntilLinked(nodes, call);
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
    const tasks = [followEvents(nodes, printer, call)];
    if (app.demo === undefined) {
      const auth = options.adminToken === undefined ? '' : ` -H 'authorization: Bearer <admin token>'`;
      printer.info(`post events with: curl -X POST ${nodes[0].plan.url}/events -H 'content-type: application/json'${auth} -d '{"type":"…"}'`);
    } else if (options.demo) {
      tasks.push(runDemo(app.demo, nodes, options.restart, printer, call));
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
async function waitUntilLinked(nodes: readonly RunningNode[], call: AdminCall): Promise<string[]> {
  const { signal } = call;
  const deadline = Date.now() + READY_DEADLINE_MS;
  const ids = nodes.map((node) => node.plan.id);
  const pairs = linkedPairs(nodes.map((node) => node.plan));
  for (;;) {
    const statuses = new Map(
      await Promise.all(
        nodes.map(async (node) => [node.plan.id, node.exit === undefined ? await fetchStatus(node, call) : undefined] as const),
      ),
    );
    const missing = missingLinks(ids, statuses, pairs);
    const someExited = nodes.some((node) => node.exit !== undefined);
    if (missing.length === 0 || someExited || signal.aborted || Date.now() >= deadline) return missing;
    await pause(READY_POLL_MS, signal);
  }
}

/**
 * Polls until node `id` (its latest process in `nodes`) serves and reports each of
 * `peers` connected, and each of them reports it connected; or the deadline passes, its
 * process exits, or `signal` aborts. Returns what is still missing.
 */
async function waitUntilBack(nodes: readonly RunningNode[], id: string, peers: readonly string[], call: AdminCall): Promise<string[]> {
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    const node = nodes.find((each) => each.plan.id === id)!;
    if (node.exit !== undefined) return [`${id} exited`];
    const linked = nodes.filter((each) => peers.includes(each.plan.id) || each === node);
    const statuses = new Map(await Promise.all(linked.map(async (each) => [each.plan.id, await fetchStatus(each, call)] as const)));
    const missing = missingLinks([id, ...peers], statuses, peers.map((peer) => [id, peer] as const));
    if (missing.length === 0 || call.signal.aborted || Date.now() >= deadline) return missing;
    await pause(READY_POLL_MS, call.signal);
  }
}

async function fetchStatus(node: RunningNode, call: AdminCall): Promise<NodeStatus | undefined> {
  try {
    return await getJson<NodeStatus>(`${node.plan.url}/status`, 1000, call.signal, call.adminToken);
  } catch {
    return undefined;
  }
}

/**
 * Prints each event of the cluster as the first live node delivers it. When that node
 * exits, follows the next one from the start of its log, skipping what was shown: every
 * node delivers an origin's events in `seq` order, so one counter per origin suffices.
 */
async function followEvents(nodes: readonly RunningNode[], printer: Printer, call: AdminCall): Promise<void> {
  const { signal } = call;
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
      else if (source.stopping) printer.info(`${source.plan.id} is restarting: following the events at ${next.plan.id} now`);
      else printer.warn(`${source.plan.id} is gone: following the events at ${next.plan.id} now`);
      source = next;
      from = 1;
      failing = false;
    }
    try {
      const page = await getJson<LogPage>(`${source.plan.url}/log?from=${from}&wait=${LOG_WAIT_MS}`, LOG_WAIT_MS + 5000, call.signal, call.adminToken);
      if (failing) printer.info(`reading the log at ${source.plan.id} again`);
      failing = false;
      for (const event of page.events) {
        if (event.seq <= (shown[event.origin] ?? 0)) continue;
        shown[event.origin] = event.seq;
        printer.line(EVENTS, formatEvent(event, sgrOf.get(nodeOf(event.origin)) ?? '0', printer.style.colour));
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
  restartProcess: RestartProcess,
  printer: Printer,
  call: AdminCall,
): Promise<void> {
  const { signal, adminToken } = call;
  function demoLog(line: string): void {
    printer.line(DEMO, line);
  }
  /** `DemoContext.restart`: the launcher restarts the process; this waits for it to be back with the links it had. */
  async function demoRestart(id: string, options: RestartOptions = {}): Promise<void> {
    const before = nodes.find((node) => node.plan.id === id);
    const status = before === undefined || before.exit !== undefined ? undefined : await fetchStatus(before, call);
    const peers = (status?.peers ?? []).filter((peer) => peer.connected).map((peer) => peer.id);
    const started = Date.now();
    await restartProcess(id, options.wipe === true);
    const missing = await waitUntilBack(nodes, id, peers, call);
    const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
    if (missing.length > 0) throw new TroupeError('TROUPE_NODE_UNREACHABLE', `${id} is not back after ${took}: ${missing.join(', ')}`);
    printer.info(`${id} is back up${peers.length === 0 ? '' : ` and linked to ${peers.join(', ')}`} in ${took}`);
  }
  printer.info('running the demo');
  try {
    const targets = nodes.map((node) => ({ id: node.plan.id, url: node.plan.url }));
    await demo({ nodes: targets, log: demoLog, signal, restart: demoRestart, ...(adminToken === undefined ? {} : { adminToken }) });
    if (!signal.aborted) printer.info('demo finished; the cluster keeps running (Ctrl-C stops it)');
  } catch (err) {
    if (!signal.aborted) printer.error(`demo failed: ${errorText(err)}`);
  }
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
