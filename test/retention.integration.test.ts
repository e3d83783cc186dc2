/**
 * Retention across real processes: three nodes keep 20 events each (`--retain-events 20`).
 * While one is offline, the two others compact only what all three had; it comes back and
 * gets everything it lacked from them, after which they compact the rest too.
 */
import t from 'tap';
import type { NodeStatus, Published } from './helpers/admin-client.js';
import { tails, waitForLinks, waitForSameClock } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { parsePrometheus, valueOf } from './helpers/prometheus-text.js';
import { waitFor } from './helpers/wait-for.js';

const RETAIN = ['--retain-events', '20'];

async function publish(node: NodeProcess, count: number, label: string): Promise<Published[]> {
  const out: Published[] = [];
  for (let i = 0; i < count; i++) out.push(await node.admin.publish('Ping', { from: node.id, label, i }));
  return out;
}

async function compactedTotal(node: NodeProcess): Promise<number> {
  const answer = await node.admin.request('GET', '/metrics');
  return valueOf(parsePrometheus(answer.text), 'troupe_log_compacted_events_total') ?? -1;
}

t.test('a node offline across a compaction comes back and gets all it lacked; the others compacted only what all had', async (t) => {
  const a = await startNode(t, { id: 'ra', extraArgs: RETAIN });
  const b = await startNode(t, { id: 'rb', peers: [a.wsUrl], extraArgs: RETAIN });
  const c = await startNode(t, { id: 'rc', peers: [a.wsUrl, b.wsUrl], extraArgs: RETAIN });
  const nodes = [a, b, c];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['ra', 'rb'], ['ra', 'rc'], ['rb', 'rc']]);

  const before = await publish(a, 30, 'before');
  await waitForSameClock(nodes, 60_000, (all) => (all.get('rc')!.vc[before.at(-1)!.origin] ?? 0) >= before.at(-1)!.seq);
  // c's acks of all of it reach a and b before it goes.
  await waitFor(() => Promise.all([a.admin.status(), b.admin.status()]), {
    failFast: crashed(nodes),
    until: (all) => all.every((s) => s.peers.every((p) => p.outbox === 0)),
    message: () => `a and b to hear every peer acknowledge everything\n${tails(nodes)}`,
  });
  await c.stop();

  const during = [...(await publish(a, 25, 'during')), ...(await publish(b, 25, 'during'))];
  const compacted = await waitFor(() => Promise.all([a.admin.status(), b.admin.status()]), {
    failFast: crashed([a, b]),
    timeout: 30_000,
    until: (all) => all.every((s) => (s.log.first ?? 1) > 1 && s.vc[during.at(-1)!.origin] === during.at(-1)!.seq),
    message: () => `a and b to compact while c is offline\n${tails([a, b])}`,
  });
  for (const [node, status] of [[a, compacted[0]], [b, compacted[1]]] as const) {
    const log = await node.admin.retainedLog();
    t.equal(log[0]?.pos, status.log.first, `${node.id}: its log starts at the retained start`);
    t.same(during.filter((p) => !log.some((e) => e.id === p.id)).map((p) => p.id), [], `${node.id}: keeps every event c lacks`);
    t.ok(log.length >= during.length, `${node.id}: keeps more than its policy (20) while c lacks them`);
    t.ok(log.length < before.length + during.length, `${node.id}: removed some of what all three had`);
    t.ok((await compactedTotal(node)) > 0, `${node.id}: troupe_log_compacted_events_total counts the removal`);
    const below = await node.admin.request('GET', '/log?from=1');
    t.equal(below.status, 410, `${node.id}: /log below the retained start is gone`);
    t.match(below.body, { error: { code: 'TROUPE_LOG_COMPACTED', first: status.log.first } });
  }

  await c.restart();
  const last = during.at(-1)!;
  await waitFor(() => c.admin.status(), {
    failFast: crashed(nodes),
    timeout: 60_000,
    until: (s: NodeStatus) => during.every((p) => (s.vc[p.origin] ?? 0) >= p.seq),
    message: () => `c to get every event published while it was offline (last ${last.id})\n${tails(nodes)}`,
  });
  const cLog = await c.admin.retainedLog();
  t.same(during.filter((p) => !cLog.some((e) => e.id === p.id)).map((p) => p.id), [], 'c holds every event it lacked');
  for (const node of [a, b]) {
    const status = await node.admin.status();
    t.notOk(status.peers.find((p) => p.id === 'rc')?.behindRetention, `${node.id}: c was not behind what it retains`);
  }

  // With c's acks back, a and b compact down to their policy.
  await waitFor(() => Promise.all([a.admin.status(), b.admin.status()]), {
    failFast: crashed(nodes),
    timeout: 30_000,
    until: (all) => all.every((s) => s.log.size - (s.log.first ?? 1) + 1 <= 40),
    message: () => `a and b to compact what c now has\n${tails(nodes)}`,
  });
  t.pass('a and b compacted the rest once c acknowledged it');
});

t.test('a node removes nothing on the acks of a --relaxed peer, and compacts once that peer acknowledges durably', async (t) => {
  // a keeps 5 events and its one peer b runs relaxed; c and d, the same but strict, show when a pass has removed what it may.
  const a = await startNode(t, { id: 'xa', extraArgs: ['--retain-events', '5'] });
  const b = await startNode(t, { id: 'xb', peers: [a.wsUrl], extraArgs: ['--relaxed'] });
  const c = await startNode(t, { id: 'xc', extraArgs: ['--retain-events', '5'] });
  const d = await startNode(t, { id: 'xd', peers: [c.wsUrl] });
  const nodes = [a, b, c, d];
  dumpOnFailure(t, () => nodes);
  await Promise.all([waitForLinks([a, b], [['xa', 'xb']]), waitForLinks([c, d], [['xc', 'xd']])]);
  await Promise.all([publish(a, 20, 'relaxed'), publish(c, 20, 'strict')]);
  const acked = (s: NodeStatus): boolean => s.peers.length === 1 && s.peers[0].outbox === 0;
  await waitFor(() => Promise.all([a.admin.status(), c.admin.status()]), {
    failFast: crashed(nodes),
    until: (all) => all.every(acked) && (all[1].log.first ?? 1) > 1,
    message: () => `b and d to acknowledge everything, and c to compact on d's acks\n${tails(nodes)}`,
  });
  const held = await a.admin.status();
  t.equal(held.log.first, 1, 'a removed nothing on the acks of relaxed b');

  await b.stop();
  const strict = await startNode(t, { id: 'xb', data: b.data, peers: [a.wsUrl] });
  const compacted = await waitFor(() => a.admin.status(), {
    failFast: crashed([a, strict]),
    timeout: 30_000,
    until: (s) => (s.log.first ?? 1) > 1,
    message: () => `a to compact once b acknowledges durably\n${tails([a, strict])}`,
  });
  t.ok(compacted.log.size - (compacted.log.first ?? 1) + 1 >= 5, 'a keeps what its policy asks');
});
