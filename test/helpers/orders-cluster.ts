/**
 * The orders example on three real nodes: n1 hosts `order`, n2 `inventory` and `payment`,
 * n3 `shipping` (the app's placement). n2 dials n1; n3 dials n1 and n2, each link through a
 * {@link TcpProxy} when asked, so a test can cut n1–n3 or n2–n3 without touching a node.
 */
import { startNode, type NodeProcess, type Teardownable } from './node-process.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';
import { waitForLinks, waitForSameClock } from './convergence.js';

const ALL_LINKS = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']] as const;

/** A running three-node orders cluster. */
export interface OrdersCluster {
  readonly n1: NodeProcess;
  readonly n2: NodeProcess;
  readonly n3: NodeProcess;
  readonly nodes: readonly NodeProcess[];
  /** The proxy on n3's link to n1, when asked for. */
  readonly n3ToN1?: TcpProxy;
  /** The proxy on n3's link to n2, when asked for. */
  readonly n3ToN2?: TcpProxy;
}

/** Which of n3's links go through a proxy. */
export interface OrdersClusterOptions {
  readonly proxyN3ToN1?: boolean;
  readonly proxyN3ToN2?: boolean;
  readonly secret?: string;
  /** `--inspect` for every node: the Stately inspector server they push to. */
  readonly inspect?: string;
  /** Extra `troupe node` arguments for every node (e.g. `--chaos`). */
  readonly extraArgs?: readonly string[];
}

/** Starts n1, n2, n3 and waits until all three links are up. */
export async function startOrdersCluster(
  t: Teardownable,
  options: OrdersClusterOptions = {},
): Promise<OrdersCluster> {
  const secret = options.secret ?? 'integration-secret';
  const extraArgs = [...(options.inspect === undefined ? [] : ['--inspect', options.inspect]), ...(options.extraArgs ?? [])];
  const n1 = await startNode(t, { id: 'n1', secret, extraArgs });
  const n2 = await startNode(t, { id: 'n2', secret, extraArgs, peers: [n1.wsUrl] });
  const n3ToN1 = options.proxyN3ToN1 ? await startProxy(t, n1.port!, 'n3→n1') : undefined;
  const n3ToN2 = options.proxyN3ToN2 ? await startProxy(t, n2.port!, 'n3→n2') : undefined;
  const n3 = await startNode(t, {
    id: 'n3',
    secret,
    extraArgs,
    peers: [n3ToN1?.wsUrl ?? n1.wsUrl, n3ToN2?.wsUrl ?? n2.wsUrl],
  });
  const nodes = [n1, n2, n3];
  await waitForLinks(nodes, ALL_LINKS);
  return { n1, n2, n3, nodes, ...(n3ToN1 && { n3ToN1 }), ...(n3ToN2 && { n3ToN2 }) };
}

/**
 * Restarts n3 `times` times, each start first publishing two `Note` events that every node
 * then holds, and waits for every link after each restart. Resolves with the final seq of
 * each ended start, by its origin, in start order.
 */
export async function restartN3(cluster: OrdersCluster, times: number): Promise<Map<string, number>> {
  const { n3, nodes } = cluster;
  const finals = new Map<string, number>();
  for (let start = 0; start < times; start++) {
    await n3.admin.publish('Note', { start, i: 1 });
    await n3.admin.publish('Note', { start, i: 2 });
    await waitForSameClock(nodes);
    const { origin, vc } = await n3.admin.status();
    finals.set(origin!, vc[origin!]);
    await n3.stop();
    await n3.start();
    await waitForLinks(nodes, ALL_LINKS, 60_000);
  }
  return finals;
}
