/**
 * Retirement on real processes (`protocol/retirement.ts`): a node restarted a few times
 * retires the origins of its earlier starts, and once every node has delivered that, new
 * events' clocks no longer carry them; `troupe forget` retires a stopped node's id, which
 * is then refused when it comes back, while the others keep working.
 */
import t from 'tap';
import { nodeOf } from '../protocol/origin.js';
import { CLOSE_CODES } from '../protocol/handshake.js';
import type { LogEntry, NodeStatus } from './helpers/admin-client.js';
import { logProblems } from './helpers/causal-log.js';
import { runCli } from './helpers/cli-run.js';
import { settledLogs, statuses, tails, waitForLinks, waitForSameClock } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { restartN3, startOrdersCluster } from './helpers/orders-cluster.js';
import { waitFor } from './helpers/wait-for.js';

const ALL_LINKS = [['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']] as const;

/** The origins `status` lists as retired. */
function retiredOrigins(status: NodeStatus): string[] {
  return (status.retired?.origins ?? []).map((o) => o.origin);
}

/** Waits until every node lists each of `origins` as retired. */
async function waitForRetired(nodes: readonly NodeProcess[], origins: readonly string[]): Promise<Map<string, NodeStatus>> {
  return waitFor(() => statuses(nodes), {
    timeout: 60_000,
    failFast: crashed(nodes),
    interval: 200,
    until: (all) => [...all.values()].every((s) => origins.every((o) => retiredOrigins(s).includes(o))),
    message: () => `every node to list ${origins.join(', ')} as retired\n${tails(nodes)}`,
    describe: (all) => [...all.values()].map((s) => `${s.id}: ${JSON.stringify(s.retired)}`).join('\n'),
  });
}

/** The events of `log` from position `after` on, published by the test (type `Note`). */
function notesAfter(log: readonly LogEntry[], after: number): LogEntry[] {
  return log.filter((e) => e.pos > after && e.type === 'Note');
}

t.test('a node restarted a few times retires its earlier starts: new events carry no entry for them, old ones stay readable', async (t) => {
  const cluster = await startOrdersCluster(t);
  const { n1, n2, n3, nodes } = cluster;
  dumpOnFailure(t, () => nodes);
  const finals = await restartN3(cluster, 3);
  const ended = [...finals.keys()];
  const current = (await n3.admin.status()).origin!;
  t.notOk(ended.includes(current), 'n3 stamps under a fresh origin after each start');

  const all = await waitForRetired(nodes, ended);
  for (const [id, status] of all) {
    t.same(retiredOrigins(status).filter((o) => nodeOf(o) === 'n3').sort(), [...ended].sort(), `${id}: /status lists n3's three ended starts as retired`);
    for (const o of status.retired!.origins) t.equal(o.final, finals.get(o.origin), `${id}: ${o.origin} is retired at its final seq`);
  }

  const before = (await n1.admin.status()).log.size;
  for (const node of nodes) await node.admin.publish('Note', { after: node.id });
  const logs = await settledLogs(nodes, 90_000);
  for (const node of nodes) {
    const { status, log } = logs.get(node.id)!;
    t.same(logProblems(node.id, log, status.vc), [], `${node.id}: each event once, in causal order, exactly up to its clock`);
    const fresh = notesAfter(log, before);
    t.equal(fresh.length, 3, `${node.id} holds the three events published after the retirements`);
    for (const e of fresh) {
      t.same(Object.keys(e.vc).filter((o) => ended.includes(o)), [], `${node.id}: ${e.id}'s clock carries no retired origin`);
    }
    for (const [origin, final] of finals) {
      const old = log.filter((e) => e.origin === origin);
      t.same(old.map((e) => e.seq), Array.from({ length: final }, (_, i) => i + 1), `${node.id}: the events of ${origin} are still readable`);
      t.ok(old.every((e) => e.vc[origin] === e.seq), `${node.id}: their stored clocks keep their entry`);
    }
    const retirements = log.filter((e) => e.type === 'troupe.retired');
    t.equal(retirements.length, 3, `${node.id}: one retirement per restart is in the log`);
  }
  t.ok(n2.running, 'n2 is still running');
});

t.test('troupe forget retires a stopped node: it is refused when it comes back, and the others keep working', async (t) => {
  const token = 'forget-token';
  const secret = 'forget-secret';
  const n1 = await startNode(t, { id: 'n1', secret, adminToken: token });
  const n2 = await startNode(t, { id: 'n2', secret, adminToken: token, peers: [n1.wsUrl] });
  const n3 = await startNode(t, { id: 'n3', secret, adminToken: token, peers: [n1.wsUrl, n2.wsUrl] });
  const nodes = [n1, n2, n3];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, ALL_LINKS);
  await n3.admin.publish('Note', { i: 1 });
  await waitForSameClock(nodes);
  const n3Origin = (await n3.admin.status()).origin!;

  const linked = await runCli(['forget', n1.url, 'n3', '--token', token]);
  t.equal(linked.code, 2, 'a linked node is not retired');
  t.match(linked.stderr, /TROUPE_BAD_REQUEST/, 'and the refusal names its code');
  const unauthorised = await runCli(['forget', n1.url, 'n3']);
  t.not(unauthorised.code, 0, 'without the admin token nothing is retired');

  await n3.stop();
  await waitFor(() => statuses([n1, n2]), {
    timeout: 30_000,
    until: (all) => [...all.values()].every((s) => !s.peers.some((p) => p.id === 'n3' && p.connected)),
    message: () => `n3's links to be down\n${tails(nodes)}`,
  });
  const forgot = await runCli(['forget', n1.url, 'n3', '--token', token]);
  t.equal(forgot.code, 0, `troupe forget succeeds: ${forgot.stderr}`);
  const answer = JSON.parse(forgot.stdout) as { id: string; origins: Record<string, number> };
  t.same(answer.origins, { [n3Origin]: 1 }, 'it retires every origin of n3 at its entry');

  const after = await waitFor(() => statuses([n1, n2]), {
    timeout: 30_000,
    until: (all) => [...all.values()].every((s) => s.retired?.nodes.includes('n3') === true),
    message: () => `n1 and n2 to list n3 as retired\n${tails(nodes)}`,
  });
  for (const [id, s] of after) t.notOk(s.peers.some((p) => p.id === 'n3'), `${id} no longer counts n3 as a member`);

  await n3.start();
  const refusedBy = await n1.waitForRecord((r) => r.code === 'TROUPE_NODE_RETIRED' && r.peer === 'n3', 'its refusal of n3');
  t.equal(refusedBy.closeCode, CLOSE_CODES.nodeRetired, `n1 refuses n3 with close ${CLOSE_CODES.nodeRetired}`);
  const refused = await n3.waitForRecord((r) => r.code === 'TROUPE_NODE_RETIRED', 'that it was refused');
  t.equal(refused.closeCode, CLOSE_CODES.nodeRetired, 'n3 hears why: its id was retired');
  t.notOk((await n3.admin.status()).peers.some((p) => p.connected), 'n3 is linked to no one');

  const published = await n1.admin.publish('Note', { after: 'forget' });
  t.same(Object.keys(published.vc).filter((o) => nodeOf(o) === 'n3'), [], 'a new event carries no entry of n3');
  await waitFor(() => n2.admin.log(), {
    timeout: 30_000,
    until: (log) => log.some((e) => e.id === published.id),
    message: () => `n2 to deliver ${published.id}\n${tails(nodes)}`,
  });
  const log = await n2.admin.log();
  t.ok(log.some((e) => e.origin === n3Origin), 'n3\'s events stay readable');
});
