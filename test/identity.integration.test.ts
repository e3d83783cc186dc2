/**
 * A node id is never reused with a rewound log: a node that lost its disk fetches its own
 * events back from a peer before it stamps anything new.
 */
import { rm } from 'node:fs/promises';
import t from 'tap';
import { waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'identity-secret';

t.test('a node whose disk was lost gets its own events back before publishing again, under new seqs', async (t) => {
  // Ids the orders app does not place: the nodes only store and relay. A dials B: a node
  // with peers to ask waits for one's clock before it stamps anything.
  const b = await startNode(t, { id: 'b', secret: SECRET });
  const a = await startNode(t, { id: 'a', secret: SECRET, peers: [b.wsUrl] });
  const nodes = [a, b];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['a', 'b']]);
  for (let i = 1; i <= 5; i++) await a.admin.publish('Ping', { i });
  await waitFor(() => b.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.vc.a === 5,
    message: () => `b to hold a's five events\n${b.tail()}`,
  });
  const before = (await b.admin.log()).filter((e) => e.origin === 'a');

  await a.stop('SIGKILL');
  await rm(a.data, { recursive: true, force: true });
  await a.restart();
  // Publish at once, again and again: until a knows its history it must refuse (503),
  // never accept under a seq it already used.
  const early = await waitFor(() => a.admin.publishRaw('Ping', { i: 6 }), {
    failFast: crashed(nodes),
    until: (answer) => answer.status === 201,
    interval: 5,
    message: () => `a to accept a publish once recovered\n${a.tail()}`,
  });
  t.match(early.body, { id: 'a:6', seq: 6 }, 'the first accepted publish continues after the lost events');

  const status = await waitFor(() => a.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.vc.a === 6,
    message: () => `a to fetch its five events back from b\n${a.tail()}`,
  });
  t.equal(status.vc.a, 6, 'a holds its own history again, and the new event');
  const recovered = (await a.admin.log()).filter((e) => e.origin === 'a').slice(0, 5);
  t.same(recovered.map((e) => [e.id, e.data]), before.map((e) => [e.id, e.data]), 'the same events under the same ids');
  const recovering = await a.waitForRecord((r) => r.code === 'TROUPE_NODE_RECOVERING', 'that it was recovering (TROUPE_NODE_RECOVERING)');
  t.equal(recovering.peer, 'b', 'a logged that it was recovering its events from b');

  await waitFor(() => b.admin.status(), {
    failFast: crashed(nodes),
    until: (s) => s.vc.a === 6,
    message: () => `b to receive a's sixth event\n${b.tail()}`,
  });
  const onB = (await b.admin.log()).filter((e) => e.origin === 'a');
  t.same(onB.map((e) => e.id), ['a:1', 'a:2', 'a:3', 'a:4', 'a:5', 'a:6'], 'b holds each of a\'s events once');
});
