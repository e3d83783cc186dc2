/**
 * Relay: with the A–C link cut and A–B, B–C up, A's events reach C through B and C's reach
 * A, and healing the cut adds no duplicate. The nodes run the orders app under ids it does
 * not place, so they host no service and only store and relay — exactly the edge-gateway
 * role the design gives any node.
 */
import t from 'tap';
import type { Published } from './helpers/admin-client.js';
import { ackProblems, clocksEqual, logProblems } from './helpers/causal-log.js';
import { linked, settledLogs, statuses, tails, waitForLinks, waitForSameClock } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { startProxy } from './helpers/tcp-proxy.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'relay-secret';

async function publishPings(node: NodeProcess, count: number, label: string): Promise<{ published: Published; type: string }[]> {
  const acked: { published: Published; type: string }[] = [];
  for (let i = 0; i < count; i++) {
    const published = await node.admin.publish('Ping', { from: node.id, label, i });
    acked.push({ published, type: 'Ping' });
  }
  return acked;
}

t.test('events published on A reach C through B while A–C is cut, and arrive once after the heal', async (t) => {
  const a = await startNode(t, { id: 'a', secret: SECRET });
  const b = await startNode(t, { id: 'b', secret: SECRET, peers: [a.wsUrl] });
  // C dials A only through the proxy, which is cut before C ever starts.
  const cToA = await startProxy(t, a.port!, 'c→a');
  cToA.cut();
  const c = await startNode(t, { id: 'c', secret: SECRET, peers: [cToA.wsUrl, b.wsUrl] });
  const nodes = [a, b, c];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['a', 'b'], ['b', 'c']]);
  await waitFor(() => cToA.refused, {
    failFast: crashed(nodes),
    until: (n) => n > 0,
    message: () => `c to try to dial a through the cut proxy\n${c.tail()}`,
  });

  // A → C through B.
  const fromA = await publishPings(a, 25, 'cut');
  const { origin: aOrigin, seq: aSeq } = fromA.at(-1)!.published;
  await waitFor(() => c.admin.status(), {
    failFast: crashed(nodes),
    timeout: 60_000,
    until: (s) => (s.vc[aOrigin] ?? 0) >= aSeq,
    message: () => `c's vc[a] to reach ${aSeq} through b\n${tails(nodes)}`,
  });
  // C → A through B.
  const fromC = await publishPings(c, 10, 'cut');
  const { origin: cOrigin, seq: cSeq } = fromC.at(-1)!.published;
  await waitFor(() => a.admin.status(), {
    failFast: crashed(nodes),
    timeout: 60_000,
    until: (s) => (s.vc[cOrigin] ?? 0) >= cSeq,
    message: () => `a's vc[c] to reach ${cSeq} through b\n${tails(nodes)}`,
  });

  const during = await statuses(nodes);
  t.notOk(linked(during.get('c')!, 'a') || linked(during.get('a')!, 'c'), 'a and c were never linked directly', { c: during.get('c'), a: during.get('a') });
  t.equal(cToA.forwarded, 0, 'no connection went through the cut proxy');
  const cLog = await c.admin.log();
  t.same(ackProblems('c', cLog, fromA), [], 'c holds every event a published, once, as a acknowledged it');
  t.same(logProblems('c', cLog, during.get('c')!.vc), [], 'c\'s log is causal and matches its clock');
  const aLog = await a.admin.log();
  t.same(ackProblems('a', aLog, fromC), [], 'a holds every event c published, once');

  // Heal: A and C link directly, and now have two paths for every event.
  cToA.heal();
  await waitForLinks(nodes, [['a', 'b'], ['b', 'c'], ['a', 'c']], 60_000);
  const [moreA, moreC] = await Promise.all([publishPings(a, 15, 'healed'), publishPings(c, 15, 'healed')]);
  const acked = [...fromA, ...fromC, ...moreA, ...moreC];
  await waitForSameClock(nodes, 60_000, (all) => (all.get('a')!.vc[aOrigin] ?? 0) >= moreA.at(-1)!.published.seq
    && (all.get('a')!.vc[cOrigin] ?? 0) >= moreC.at(-1)!.published.seq);
  t.ok(cToA.forwarded > 0, 'the healed proxy carried the a–c link');

  const logs = await settledLogs(nodes);
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.ok(clocksEqual(status.vc, logs.get('a')!.status.vc), `${node.id} ends with a's vector clock`);
    t.equal(status.log.size, log.length, `${node.id}: /status log.size equals the events /log lists`);
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: no event twice, causal order, exactly up to its clock`);
    t.same(ackProblems(node.id, log, acked), [], `${node.id}: every acknowledged event exactly once`);
  }
});
