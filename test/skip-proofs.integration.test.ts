/**
 * Skip notices a relay cannot forge: a partial node counts a skipped seq in its clock, so
 * a linked peer that could name a wanted event in a `skip` frame would make the node lose
 * it for good. With keys, a skip run is taken only where its origin's signed checkpoint
 * (or that checkpoint's cover) shows every seq outside the node's interest; otherwise the
 * link closes with 4422 and the clock does not move, and the event still comes from an
 * honest peer.
 */
import t from 'tap';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA } from '../protocol/envelope.js';
import { CLOSE_CODES } from '../protocol/handshake.js';
import { signProof } from '../protocol/origin-proof.js';
import { coverOf } from '../protocol/skip-cover.js';
import { waitForLinks } from './helpers/convergence.js';
import { cutDeviceWithAlert, healAndGetAlert } from './helpers/cut-device.js';
import { startFleet, waitForFleetClock } from './helpers/edge-fleet.js';
import { keyedPeer, testKeys } from './helpers/keyed-peer.js';

const SECRET = 'troupe-test-secret';

t.test('a peer with a valid key cannot make a partial node skip an event it wants; the node still gets it from an honest peer', async (t) => {
  const cut = await cutDeviceWithAlert(t);
  const { keys, d1, alert } = cut;
  const before = await d1.admin.status();

  // d2, a device with a valid key (compromised), tells d1 the gateway's alert for it is skipped.
  const bare = await keyedPeer(t, d1.wsUrl, { secret: SECRET, identity: keys.identity('d2') });
  await bare.linked();
  bare.send({ type: 'skip', ranges: [{ origin: alert.origin, from: alert.seq, to: alert.seq }] });
  t.equal((await bare.closed).code, CLOSE_CODES.forgedEvent, 'a skip with no checkpoint behind it closes the link with 4422');

  // It signs a cover of the gateway's seq as a reading with its own key: that is no proof either.
  const fake = encodeEvent({ type: 'reading', data: {}, origin: alert.origin, seq: alert.seq, vc: { [alert.origin]: alert.seq }, correlationId: 'fake', causationId: null, ts: 1, schema: ENVELOPE_SCHEMA });
  const covered = await keyedPeer(t, d1.wsUrl, { secret: SECRET, identity: keys.identity('d2') });
  await covered.linked();
  covered.send(coverOf(signProof(keys.identity('d2'), 'troupe', alert.origin, alert.seq, [fake]))!);
  covered.send({ type: 'skip', ranges: [{ origin: alert.origin, from: alert.seq, to: alert.seq }] });
  t.equal((await covered.closed).code, CLOSE_CODES.forgedEvent, 'a cover not signed by the gateway\'s key closes the link with 4422');

  const after = await d1.admin.status();
  t.same(after.vc, before.vc, 'd1\'s clock did not move');
  t.ok(d1.lines.some((l) => l.json?.code === 'TROUPE_PEER_FORGED_EVENT'), 'the refusals are logged with their code');

  await healAndGetAlert(t, cut);
});

t.test('an honest gateway\'s skips carry their proof: a device counts the readings it does not want, and nothing is refused', async (t) => {
  const keys = await testKeys(t, ['gw', 'd1', 'd2']);
  const fleet = await startFleet(t, ['d1', 'd2'], { gw: keys.args('gw'), d1: keys.args('d1'), d2: keys.args('d2') });
  const [d1, d2] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2']]);
  await Promise.all(Array.from({ length: 30 }, (_, i) => d2.admin.publish('reading', { device: 'd2', value: i % 2 === 0 ? 96 : i })));
  await fleet.gw.admin.publish('alert.d1', { device: 'd1', value: 1 });
  await waitForFleetClock(fleet);
  const held = await d1.admin.log();
  t.notOk(held.some((e) => e.type === 'reading'), 'd1 holds none of d2\'s readings: it counted them as skipped');
  t.ok(held.some((e) => e.type === 'alert.d1'), 'and holds its alert');
  const refused = fleet.all().flatMap((n) => n.lines.filter((l) => l.json?.code === 'TROUPE_PEER_FORGED_EVENT'));
  t.same(refused, [], 'no skip or event was refused');
});
