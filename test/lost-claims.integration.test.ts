/**
 * `lost` claims a peer cannot turn into loss: a node counts seqs as lost on peers' word so
 * that delivery goes on, but a linked peer with a valid key could say so of events an
 * honest peer still holds. Unless every known peer able to send them confirmed, the seqs
 * stay asked for (the told clock is lowered as for a refill), so the node still gets them
 * from the honest peer once it links again.
 */
import t from 'tap';
import { tails, waitForLinks } from './helpers/convergence.js';
import { startFleet } from './helpers/edge-fleet.js';
import { keyedPeer, testKeys } from './helpers/keyed-peer.js';
import { crashed } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'troupe-test-secret';

t.test('a peer with a valid key that claims events lost cannot make a node lose them: it gets them from the honest peer after healing', async (t) => {
  const keys = await testKeys(t, ['gw', 'd1', 'd2']);
  const fleet = await startFleet(t, ['d1'], { gw: keys.args('gw'), d1: keys.args('d1') });
  const [d1] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1']]);
  t.equal((await d1.admin.request('POST', '/links/gw/cut')).status, 200, 'd1 cut its link to the gateway');
  const alert = await fleet.gw.admin.publish('alert.d1', { device: 'd1', value: 99 });

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

  t.equal((await d1.admin.request('POST', '/links/gw/heal')).status, 200, 'd1 healed its link');
  await waitFor(async () => (await d1.admin.log()).map((e) => e.id), {
    until: (ids) => ids.includes(alert.id),
    failFast: crashed(fleet.all()),
    message: () => `d1 to get the alert from the gateway\n${tails(fleet.all())}`,
  });
  t.pass('d1 got the alert from the honest gateway');
  const after = await d1.admin.status();
  t.equal(after.lost?.asking, undefined, 'nothing is asked for any more');
  t.equal((await d1.admin.log()).filter((e) => e.id === alert.id).length, 1, 'delivered once');
});
