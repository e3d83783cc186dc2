/**
 * `lost` claims a peer cannot turn into loss: a node counts seqs as lost on peers' word so
 * that delivery goes on, but a linked peer with a valid key could say so of events an
 * honest peer still holds. Unless every known peer able to send them confirmed, the seqs
 * stay asked for (the told clock is lowered as for a refill), so the node still gets them
 * from the honest peer once it links again. A relay so fooled names the seqs as `asked`
 * when it tells the gap on, so the node behind it keeps asking too.
 */
import t from 'tap';
import { tails, waitForLinks } from './helpers/convergence.js';
import { cutDeviceWithAlert, healAndGetAlert } from './helpers/cut-device.js';
import { keyedPeer, testKeys } from './helpers/keyed-peer.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'troupe-test-secret';

t.test('a peer with a valid key that claims events lost cannot make a node lose them: it gets them from the honest peer after healing', async (t) => {
  const cut = await cutDeviceWithAlert(t);
  const { keys, fleet, d1, alert } = cut;

  // d2, a device with a valid key (compromised), says the gateway's alert is gone for good.
  const liar = await keyedPeer(t, d1.wsUrl, { secret: SECRET, identity: keys.identity('d2') });
  await liar.linked();
  liar.send({ type: 'lost', first: 1, ranges: [{ origin: alert.origin, from: alert.seq, to: alert.seq }] });

  const counted = await waitFor(async () => d1.admin.status(), {
    until: (s) => (s.lost?.events ?? 0) > 0 && (s.vc[alert.origin] ?? 0) >= alert.seq,
    failFast: crashed(fleet.all()),
    message: () => `d1 to count the claimed seq once the grace period passed\n${tails(fleet.all())}`,
  });
  t.pass('the gateway was offline past the grace period: d1 counted the seq so that delivery goes on');
  t.equal(counted.lost?.asking, 1, 'but the gateway, a known peer able to send it, never confirmed: d1 still asks for it');
  t.notOk((await d1.admin.log()).some((e) => e.id === alert.id), 'd1 does not hold the alert yet');

  await healAndGetAlert(t, cut);
  const after = await d1.admin.status();
  t.equal(after.lost?.asking, undefined, 'nothing is asked for any more');
  t.equal((await d1.admin.log()).filter((e) => e.id === alert.id).length, 1, 'delivered once');
});

/** Cuts `node`'s link to `peer` and heals it at once: `node` links again and tells its `want`. */
async function relink(node: NodeProcess, peer: string): Promise<void> {
  if ((await node.admin.request('POST', `/links/${peer}/cut`)).status !== 200) throw new Error(`${node.id} could not cut ${peer}`);
  if ((await node.admin.request('POST', `/links/${peer}/heal`)).status !== 200) throw new Error(`${node.id} could not heal ${peer}`);
}

t.test('a relay fooled by a forged lost claim tells it on as asked: the node behind it still gets the event once the relay has it', async (t) => {
  const keys = await testKeys(t, ['r1', 'r2', 'r3', 'm']);
  const r1 = await startNode(t, { id: 'r1', extraArgs: ['--chaos', ...keys.args('r1')] });
  const r2 = await startNode(t, { id: 'r2', peers: [r1.wsUrl], extraArgs: ['--chaos', ...keys.args('r2')] });
  const r3 = await startNode(t, { id: 'r3', peers: [r1.wsUrl], extraArgs: ['--chaos', ...keys.args('r3')] });
  const nodes = [r1, r2, r3];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['r1', 'r2'], ['r1', 'r3']]);
  t.equal((await r1.admin.request('POST', '/links/r2/cut')).status, 200, 'r1 cut its link to r2');
  const ping = await r2.admin.publish('Ping', { from: 'r2' });

  // m, a node with a valid key, tells the relay r1 that r2's event is gone for good.
  const liar = await keyedPeer(t, r1.wsUrl, { secret: SECRET, identity: keys.identity('m') });
  await liar.linked();
  liar.send({ type: 'lost', first: 1, ranges: [{ origin: ping.origin, from: ping.seq, to: ping.seq }] });
  await waitFor(() => r1.admin.status(), {
    until: (s) => (s.lost?.asking ?? 0) > 0,
    failFast: crashed(nodes),
    message: () => `r1 to count the claimed seq and ask for it\n${tails(nodes)}`,
  });
  await liar.close();

  // r3 asks r1 again: r1 tells it the gap, as one it still asks for itself.
  await relink(r3, 'r1');
  await waitFor(() => r3.admin.status(), {
    until: (s) => (s.lost?.asking ?? 0) > 0,
    failFast: crashed(nodes),
    message: () => `r3 to count the seq r1 lacks, and keep asking for it\n${tails(nodes)}`,
  });
  t.pass('r3 counted the seq after the grace period, yet asks for it: r1 named it as asked');

  t.equal((await r1.admin.request('POST', '/links/r2/heal')).status, 200, 'r1 healed its link to r2');
  await waitFor(async () => (await r1.admin.log()).map((e) => e.id), {
    until: (ids) => ids.includes(ping.id),
    failFast: crashed(nodes),
    message: () => `r1 to get the event from r2\n${tails(nodes)}`,
  });
  await relink(r3, 'r1');
  await waitFor(async () => (await r3.admin.log()).map((e) => e.id), {
    until: (ids) => ids.includes(ping.id),
    failFast: crashed(nodes),
    message: () => `r3 to get the event from r1\n${tails(nodes)}`,
  });
  t.pass('r3 got the event from the relay once the relay had it');
});
