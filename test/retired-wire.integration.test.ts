/**
 * Retired origins off the wire, the disk and memory, on real processes
 * (`protocol/clock-folding.ts`, `protocol/clock-floor.ts`): a node started five times ends
 * with `ack` and `want` clocks that carry only the live origins to a peer that reads them
 * folded (and every entry to one that does not), stored `meta/vc` and `ack/` clocks without
 * the retired ones, and every node's `/status` clock and in-memory clocks (delivered, and
 * its peers': `troupe_clock_entries`) holding only live origins, while every event stays
 * delivered once and readable.
 */
import t from 'tap';
import { decodeValue } from '../protocol/codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { openStoreDb } from '../runtime/store-db.js';
import type { NodeStatus } from './helpers/admin-client.js';
import { connectAuthenticated, type AuthenticatedPeer, type PeerIdentity } from './helpers/authenticated-peer.js';
import { logProblems } from './helpers/causal-log.js';
import { settledLogs, statuses, tails, waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, type NodeProcess } from './helpers/node-process.js';
import { restartN3, startOrdersCluster } from './helpers/orders-cluster.js';
import { parsePrometheus } from './helpers/prometheus-text.js';
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

/** A node's in-memory clock entries by clock (`troupe_clock_entries`) and its `/status` as served. */
async function clockEntries(node: NodeProcess): Promise<{ entries: Record<string, number>; served: NodeStatus }> {
  const answer = await node.admin.request('GET', '/metrics');
  const entries: Record<string, number> = {};
  for (const s of parsePrometheus(answer.text).samples) if (s.name === 'troupe_clock_entries') entries[s.labels.clock!] = s.value;
  return { entries, served: await node.admin.statusAsServed() };
}

/**
 * Whether a node's clocks hold only live origins: its served `vc` none of `ended` and no
 * more entries than `live` origins, and its in-memory clocks no more than that for itself
 * and each of its `peers` (three per-link clocks per peer).
 */
function onlyLive(read: { entries: Record<string, number>; served: NodeStatus }, ended: readonly string[], live: number, peers: number): boolean {
  const { entries, served } = read;
  const shown = Object.keys(served.vc);
  return (
    shown.every((o) => !ended.includes(o)) &&
    shown.length <= live &&
    (served.retired?.folded ?? 0) >= ended.length &&
    entries.delivered! <= live &&
    entries.acked! <= peers * live &&
    entries.sent! <= peers * live &&
    entries.link! <= 3 * peers * live
  );
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

  // In memory and in `/status`: each node holds the live origins only (n1, n2 and n3's
  // current start), for itself and its two peers, however many times n3 started.
  for (const node of nodes) {
    const read = await waitFor(() => clockEntries(node), {
      timeout: 30_000,
      interval: 200,
      until: (r) => onlyLive(r, ended, live.length, 2),
      message: () => `${node.id}'s clocks to hold only the ${live.length} live origins`,
      describe: (r) => JSON.stringify({ entries: r.entries, vc: r.served.vc, retired: r.served.retired }),
    });
    t.same(Object.keys(read.served.vc).sort(), [...live].sort(), `${node.id}'s /status vc shows the ${live.length} live origins, not ${Object.keys(full).length}`);
    t.equal(read.served.retired?.folded, ended.length, `${node.id} says it folds the ${ended.length} ended starts`);
    t.ok(read.entries.delivered! <= live.length && read.entries.acked! <= 2 * live.length, `${node.id}'s delivered and acknowledged clocks hold live origins only (${JSON.stringify(read.entries)})`);
  }

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
  const storedAcks = new Map<string, VectorClock>();
  for await (const [key, value] of db.iterator({ gt: 'ack/', lt: 'ack0' })) storedAcks.set(key.slice(4), decodeValue(value) as VectorClock);
  await db.close();
  t.same(Object.keys(stored).filter((o) => ended.includes(o)), [], `n1's stored meta/vc carries no ended start (${JSON.stringify(stored)})`);
  for (const peer of ['n2', 'n3']) {
    const ack = storedAcks.get(peer);
    t.ok(ack !== undefined && Object.keys(ack).every((o) => !ended.includes(o)), `n1's stored ack/${peer} carries no ended start (${JSON.stringify(ack)})`);
  }
  await n1.start();
  await waitForLinks(nodes, ALL_LINKS, 60_000);
  const back = await n1.admin.status();
  t.ok(ended.every((o) => back.vc[o] === finals.get(o)), 'read back at start, it counts every ended start at its final seq');
  t.ok(Object.keys(full).every((o) => (back.vc[o] ?? 0) >= full[o]), 'and nothing less than before the stop');
  const n1Before = logs.get('n1')!.status.origin!;
  const again2 = await waitFor(() => clockEntries(n1), {
    timeout: 30_000,
    interval: 200,
    until: (r) => onlyLive(r, [...ended, n1Before], live.length, 4), // the two fake peers are known now too
    message: `n1's clocks, after it started again, to hold only live origins (its earlier start ${n1Before} retired too)`,
    describe: (r) => JSON.stringify({ entries: r.entries, vc: r.served.vc }),
  });
  t.notOk(n1Before in again2.served.vc, "n1's earlier start left its /status vc");
});
