/**
 * Retired origins off the wire and the disk, on real processes (`protocol/clock-folding.ts`):
 * a node started five times ends with `ack` and `want` clocks that carry only the live
 * origins to a peer that reads them folded (and every entry to one that does not), and a
 * stored `meta/vc` without the retired ones, while every event stays delivered once and
 * readable.
 */
import t from 'tap';
import { decodeValue } from '../protocol/codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { openStoreDb } from '../runtime/store-db.js';
import { connectAuthenticated, type AuthenticatedPeer, type PeerIdentity } from './helpers/authenticated-peer.js';
import { logProblems } from './helpers/causal-log.js';
import { settledLogs, statuses, tails, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, type NodeProcess } from './helpers/node-process.js';
import { restartN3, startOrdersCluster } from './helpers/orders-cluster.js';
import { waitFor } from './helpers/wait-for.js';

const ALL_LINKS = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']] as const;
const STARTS = 5;
/** The secret `startOrdersCluster` gives its nodes. */
const SECRET = 'integration-secret';

/** A fake peer's identity; `folds` says it reads folded clocks. */
function identity(node: string, folds: boolean): PeerIdentity {
  return { cluster: 'troupe', secret: SECRET, node, hello: { admin: 'http://127.0.0.1:1', instance: 'x1', ...(folds ? { folds: true } : {}) } };
}

/** Waits until every node lists each of `origins` as retired. */
async function waitForRetired(nodes: readonly NodeProcess[], origins: readonly string[]): Promise<void> {
  await waitFor(() => statuses(nodes), {
    timeout: 60_000,
    failFast: crashed(nodes),
    interval: 200,
    until: (all) => [...all.values()].every((s) => origins.every((o) => (s.retired?.origins ?? []).some((r) => r.origin === o))),
    message: () => `every node to list ${origins.join(', ')} as retired\n${tails(nodes)}`,
  });
}

/** The clock of the next frame of `type` the node sends `peer` after the first `after` frames. */
async function nextClock(peer: AuthenticatedPeer, type: 'ack' | 'want', after: number): Promise<VectorClock> {
  const frame = await waitFor(() => peer.received.slice(after).find((f): f is Extract<Frame, { type: 'ack' | 'want' }> => f.type === type), {
    timeout: 15_000,
    message: `an ${type} frame from the node`,
  });
  if (frame === undefined) throw new Error(`no ${type} frame`);
  return frame.vc;
}

/** Tells the node `peer` has `vc`, then sends it an `events` frame of nothing new: the node acks at once. */
async function ackOf(peer: AuthenticatedPeer, vc: VectorClock): Promise<VectorClock> {
  await peer.linked();
  const after = peer.received.length;
  peer.send({ type: 'want', vc });
  peer.send({ type: 'events', events: [] });
  return nextClock(peer, 'ack', after);
}

t.test('a node started five times: want, ack and the stored clock carry only live origins, every event once and readable', async (t) => {
  const cluster = await startOrdersCluster(t);
  const { n1, nodes } = cluster;
  dumpOnFailure(t, () => nodes);
  const finals = await restartN3(cluster, STARTS - 1);
  const ended = [...finals.keys()];
  t.equal(ended.length, STARTS - 1, 'n3 ended four starts');
  await waitForRetired(nodes, ended);
  for (const node of nodes) await node.admin.publish('Note', { after: node.id });

  const logs = await settledLogs(nodes, 90_000);
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: each event once, in causal order, exactly up to its clock`);
    for (const [origin, final] of finals) {
      t.same(log.filter((e) => e.origin === origin).map((e) => e.seq), Array.from({ length: final }, (_, i) => i + 1), `${node.id}: the events of ${origin} are readable`);
    }
  }
  const full = logs.get('n1')!.status.vc;
  const live = Object.keys(full).filter((o) => !ended.includes(o));
  t.ok(ended.every((o) => full[o] === finals.get(o)), "n1's clock counts every ended start at its final seq");

  const old = await connectAuthenticated(n1.wsUrl, identity('old1', false));
  const oldAck = await ackOf(old, full);
  t.same(Object.keys(oldAck).sort(), Object.keys(full).sort(), 'a peer that does not read folded clocks is acked every entry');
  await old.close();

  const peer = await connectAuthenticated(n1.wsUrl, identity('f1', true));
  const ack = await ackOf(peer, full);
  t.same(Object.keys(ack).sort(), [...live].sort(), `the ack to a peer that reads folded clocks carries only the ${live.length} live origins, not ${Object.keys(full).length}`);
  t.ok(live.every((o) => ack[o] === full[o]), 'each live entry as it is');
  await peer.close();

  const again = await connectAuthenticated(n1.wsUrl, identity('f1', true));
  const want = await nextClock(again, 'want', 0);
  t.same(Object.keys(want).filter((o) => ended.includes(o)), [], 'the want to it, when it links again, carries no ended start');
  t.ok(Object.keys(want).length <= live.length, `nor more entries than live origins (${JSON.stringify(want)})`);
  await again.close();

  await n1.stop();
  const db = await openStoreDb(n1.data);
  const stored = decodeValue((await db.get('meta/vc'))!) as VectorClock;
  await db.close();
  t.same(Object.keys(stored).filter((o) => ended.includes(o)), [], `n1's stored meta/vc carries no ended start (${JSON.stringify(stored)})`);
  await n1.start();
  await waitForLinks(nodes, ALL_LINKS, 60_000);
  const back = await n1.admin.status();
  t.ok(ended.every((o) => back.vc[o] === finals.get(o)), 'read back at start, it counts every ended start at its final seq');
  t.ok(Object.keys(full).every((o) => (back.vc[o] ?? 0) >= full[o]), 'and nothing less than before the stop');
});
