/**
 * Waiting for a healed chaos cluster to go quiet: every node up and linked to every other,
 * one vector clock everywhere, no outbox or causal buffer holding anything, every order
 * on its host in a final state, and all of it unchanged over two reads in a row. The wait
 * has a deadline; what did not settle by then, the checks report.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosNode } from './chaos-node.js';
import { FINAL_ORDER_STATES } from './checker.js';
import { NodeAdmin, type StatusView } from './node-admin.js';

const POLL_MS = 250;

/** How the wait ended. */
export interface Quiescence {
  /** ms from the start of the wait until the clocks agreed, for good, with nothing in flight; `null` if they never did. */
  readonly convergedMs: number | null;
  /** Whether everything settled before the deadline. */
  readonly quiet: boolean;
}

function clockText(status: StatusView): string {
  return JSON.stringify(Object.entries(status.vc).filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

/** The clock all nodes agree on with every link up and nothing in flight, or `undefined`. */
async function converged(nodes: readonly ChaosNode[]): Promise<string | undefined> {
  if (!nodes.every((node) => node.ready)) return undefined;
  const statuses = await Promise.all(nodes.map((node) => new NodeAdmin(node.url, 5000).status()));
  const clocks = new Set(statuses.map(clockText));
  const idle = statuses.every((s) => (s.log.buffered ?? 0) === 0 && s.peers.every((p) => p.outbox === 0)
    && nodes.every((node) => node.id === s.id || s.peers.some((p) => p.id === node.id && p.connected)));
  return clocks.size === 1 && idle ? [...clocks][0] : undefined;
}

/** Whether every order actor on the hosts is completed or cancelled. */
async function ordersFinal(hosts: readonly ChaosNode[]): Promise<boolean> {
  for (const host of hosts) {
    const actors = await new NodeAdmin(host.url, 5000).actors();
    if (actors.some((a) => a.service === 'order' && !(typeof a.state === 'string' && FINAL_ORDER_STATES.includes(a.state)))) return false;
  }
  return true;
}

/** Waits up to `deadlineMs` for the cluster to go quiet. */
export async function waitForQuiet(nodes: readonly ChaosNode[], orderHosts: readonly ChaosNode[], deadlineMs: number): Promise<Quiescence> {
  const start = Date.now();
  let convergedMs: number | null = null;
  let last: string | undefined;
  while (Date.now() - start < deadlineMs) {
    try {
      const clock = await converged(nodes);
      // The last time they came to agree counts: a workflow's trailing events may move them again.
      if (clock === undefined) convergedMs = null;
      else {
        convergedMs ??= Date.now() - start;
        if (clock === last && await ordersFinal(orderHosts)) return { convergedMs, quiet: true };
      }
      last = clock;
    } catch {
      // a node not answering yet: not quiet
      last = undefined;
      convergedMs = null;
    }
    await sleep(POLL_MS);
  }
  return { convergedMs, quiet: false };
}
