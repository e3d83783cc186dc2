/**
 * Reading what every node holds at the end of a chaos run: `/status`, the whole `/log`
 * and, on the hosts of a checked service, `/actors`. A node's log is read between two
 * `/status` reads; when its clock moved meanwhile, it is read again, so each snapshot is
 * one consistent moment of that node.
 */
import type { ChaosNode } from './chaos-node.js';
import type { NodeSnapshot } from './checker.js';
import { NodeAdmin } from './node-admin.js';

const ATTEMPTS = 5;

/** One node's snapshot; `undefined` when it does not answer. */
async function snapshotOf(node: ChaosNode, withActors: boolean): Promise<NodeSnapshot | undefined> {
  const admin = new NodeAdmin(node.url, 30_000);
  let last: NodeSnapshot | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    try {
      const before = await admin.status();
      const log = await admin.log();
      const actors = withActors ? await admin.actors() : undefined;
      const status = await admin.status();
      last = { node: node.id, status, log, ...(actors && { actors }) };
      if (JSON.stringify(before.vc) === JSON.stringify(status.vc)) return last;
    } catch {
      // not answering: try again, then give up on it
    }
  }
  return last;
}

/** Every answering node's snapshot, and the ids of those that did not answer. */
export async function readSnapshots(nodes: readonly ChaosNode[], actorHosts: ReadonlySet<string>): Promise<{ snapshots: NodeSnapshot[]; silent: string[] }> {
  const snapshots: NodeSnapshot[] = [];
  const silent: string[] = [];
  for (const node of nodes) {
    const snapshot = await snapshotOf(node, actorHosts.has(node.id));
    if (snapshot === undefined) silent.push(node.id);
    else snapshots.push(snapshot);
  }
  return { snapshots, silent };
}
