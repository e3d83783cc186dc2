/**
 * Waiting for a cluster to reach a state: links up or down, every node on the same vector
 * clock, logs quiet enough to read as one snapshot. Each wait fails with what every node
 * last reported and the tail of every node's output.
 */
import type { LogEntry, NodeStatus } from './admin-client.js';
import { clocksEqual, normalClock } from './causal-log.js';
import { crashed, type NodeProcess } from './node-process.js';
import { waitFor } from './wait-for.js';

/** The tails of every node's output, for failure messages. */
export function tails(nodes: readonly NodeProcess[], n = 30): string {
  return nodes.map((node) => node.tail(n)).join('\n');
}

/** Every node's status, or the error asking for it, keyed by node id. */
export async function statuses(nodes: readonly NodeProcess[]): Promise<Map<string, NodeStatus>> {
  const all = await Promise.all(nodes.map(async (node) => [node.id, await node.admin.status()] as const));
  return new Map(all);
}

/** A compact rendering of statuses: vc, log size and links of each node. */
export function describeStatuses(all: Map<string, NodeStatus>): string {
  return [...all.values()].map((s) =>
    `${s.id}: vc=${JSON.stringify(normalClock(s.vc))} log=${s.log.size} peers=${JSON.stringify(s.peers)}`).join('\n');
}

/** Whether `status` shows a connected link to `peer`. */
export function linked(status: NodeStatus, peer: string): boolean {
  return status.peers.some((p) => p.id === peer && p.connected);
}

/** Waits until every pair in `pairs` shows a connected link on both of its ends. */
export async function waitForLinks(
  nodes: readonly NodeProcess[],
  pairs: readonly (readonly [string, string])[],
  timeout = 30_000,
): Promise<void> {
  await waitFor(() => statuses(nodes), {
    timeout,
    failFast: crashed(nodes),
    until: (all) => pairs.every(([a, b]) => linked(all.get(a)!, b) && linked(all.get(b)!, a)),
    message: () => `links ${pairs.map(([a, b]) => `${a}–${b}`).join(', ')} to be up on both ends\n${tails(nodes)}`,
    describe: describeStatuses,
  });
}

/** Waits until neither end of `a`–`b` shows the link connected. */
export async function waitForLinkDown(
  nodes: readonly NodeProcess[],
  a: string,
  b: string,
  timeout = 30_000,
): Promise<void> {
  await waitFor(() => statuses(nodes), {
    timeout,
    failFast: crashed(nodes),
    until: (all) => !linked(all.get(a)!, b) && !linked(all.get(b)!, a),
    message: () => `link ${a}–${b} to be down on both ends\n${tails(nodes)}`,
    describe: describeStatuses,
  });
}

/** Waits until every node reports the same vector clock; returns the statuses. */
export async function waitForSameClock(
  nodes: readonly NodeProcess[],
  timeout = 60_000,
  also: (all: Map<string, NodeStatus>) => boolean = () => true,
): Promise<Map<string, NodeStatus>> {
  return waitFor(() => statuses(nodes), {
    timeout,
    failFast: crashed(nodes),
    interval: 200,
    until: (all) => {
      const clocks = [...all.values()].map((s) => s.vc);
      return clocks.every((vc) => clocksEqual(vc, clocks[0]!)) && also(all);
    },
    message: () => `every node to report the same vector clock\n${tails(nodes)}`,
    describe: describeStatuses,
  });
}

/** One node's log read between two identical statuses: a consistent snapshot. */
export interface SettledLog {
  readonly status: NodeStatus;
  readonly log: LogEntry[];
}

/**
 * Reads every node's whole log, retrying until no node's clock moved while its log was
 * read (a trailing event of a workflow may still be in flight when clocks first agree).
 */
export async function settledLogs(
  nodes: readonly NodeProcess[],
  timeout = 60_000,
): Promise<Map<string, SettledLog>> {
  const result = await waitFor(async () => {
    const reads = await Promise.all(nodes.map(async (node) => {
      const before = await node.admin.status();
      const log = await node.admin.log();
      const after = await node.admin.status();
      return { id: node.id, before, after, log };
    }));
    return reads;
  }, {
    timeout,
    failFast: crashed(nodes),
    interval: 250,
    until: (reads) => reads.every((r) => clocksEqual(r.before.vc, r.after.vc) && r.before.log.size === r.after.log.size)
      && reads.every((r) => clocksEqual(r.after.vc, reads[0]!.after.vc)),
    message: () => `every node's clock to stay put, and agree, while its log is read\n${tails(nodes)}`,
    describe: (reads) => reads.map((r) => `${r.id}: before=${JSON.stringify(normalClock(r.before.vc))} after=${JSON.stringify(normalClock(r.after.vc))} read=${r.log.length}`).join('\n'),
  });
  return new Map(result.map((r) => [r.id, { status: r.after, log: r.log }]));
}
