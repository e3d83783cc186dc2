/**
 * Events are authenticated by their origin: with `--trust`, a node takes an event from a
 * peer only if the event's bytes hash to what a checkpoint signed by `nodeOf(origin)`'s key
 * lists for it. A peer with a valid key of its own still cannot publish under another
 * node's id (or the receiver's own), nor alter what it relays; a real relay, even after a
 * restart, forwards the origin's checkpoints with its events. A partial node verifies the
 * subset of an origin's events it is sent, and the history it fetches back when its
 * interest widens. Refusals close the link with 4422 (`forgedEvent`) and change nothing.
 */
import t from 'tap';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../protocol/envelope.js';
import { CLOSE_CODES } from '../protocol/handshake.js';
import { signProof, type ProofFrame } from '../protocol/origin-proof.js';
import { nodeOf } from '../protocol/origin.js';
import { coverOf } from '../protocol/skip-cover.js';
import { tails, waitForLinks } from './helpers/convergence.js';
import { EDGE_APP, startFleet, waitForFleetClock } from './helpers/edge-fleet.js';
import { keyedPeer, testKeys } from './helpers/keyed-peer.js';
import { nodeClock } from './helpers/node-clock.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'proofs-secret';

/** Event `seq` of `origin`, as that origin would encode it. */
function event(origin: string, seq: number, type = 'Ping'): EncodedEvent {
  const id = `${origin}:${seq}`;
  return encodeEvent({ type, data: { n: seq }, origin, seq, vc: { [origin]: seq }, correlationId: id, causationId: null, ts: Date.now(), schema: ENVELOPE_SCHEMA });
}

/** The node's clock by node: each node's origins (one per start) summed. */
async function clockOf(node: NodeProcess): Promise<Record<string, number>> {
  return nodeClock((await node.admin.status()).vc);
}

t.test('an authenticated peer cannot publish under another node id, or the receiver\'s own', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2', 'n3']);
  const n1 = await startNode(t, { id: 'n1', secret: SECRET, extraArgs: keys.args('n1') });
  dumpOnFailure(t, () => [n1]);
  const before = await n1.admin.status();
  const n2 = keys.identity('n2');

  const cases: { what: string; frames: (ProofFrame | { type: 'events'; events: EncodedEvent[] })[] }[] = [
    { what: 'an event of n3 with no checkpoint', frames: [{ type: 'events', events: [event('n3', 1)] }] },
    { what: 'an event of n3 with a checkpoint n2 signed', frames: [signProof(n2, 'troupe', 'n3', 1, [event('n3', 1)]), { type: 'events', events: [event('n3', 1)] }] },
    { what: 'an event of n1 itself with a checkpoint n2 signed', frames: [signProof(n2, 'troupe', 'n1', 1, [event('n1', 1)]), { type: 'events', events: [event('n1', 1)] }] },
  ];
  for (const c of cases) {
    const peer = await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: n2 });
    await peer.linked();
    for (const frame of c.frames) peer.send(frame);
    const closed = await peer.closed;
    t.equal(closed.code, CLOSE_CODES.forgedEvent, `${c.what} closes the link with 4422`);
  }
  const proofOnly = await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: n2 });
  await proofOnly.linked();
  const events = [event('n3', 1), event('n3', 2)];
  proofOnly.send({ ...signProof(keys.identity('n3'), 'troupe', 'n3', 1, events), first: 2 });
  t.equal((await proofOnly.closed).code, CLOSE_CODES.forgedEvent, 'a real signature moved to other seqs does not verify');

  const after = await n1.admin.status();
  t.same(after.vc, before.vc, 'the node\'s clock did not move');
  t.equal(after.log.size, before.log.size, 'nothing was logged');
  t.ok(n1.lines.some((l) => l.json?.code === 'TROUPE_PEER_FORGED_EVENT'), 'the refusals are logged with their code');
});

t.test('an event a relay altered is refused; the same event unaltered, with its origin\'s checkpoint, is taken', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2', 'n3']);
  const n1 = await startNode(t, { id: 'n1', secret: SECRET, extraArgs: keys.args('n1') });
  const n3 = await startNode(t, { id: 'n3', secret: SECRET, extraArgs: keys.args('n3') });
  dumpOnFailure(t, () => [n1, n3]);
  // The fake n2 hears n1's event and its checkpoint, as a relay would.
  const fromN1 = await keyedPeer(t, n1.wsUrl, { secret: SECRET, identity: keys.identity('n2') });
  await fromN1.linked();
  await n1.admin.publish('Ping', { secret: 'pay 10' });
  await waitFor(() => fromN1.received, { until: (f) => f.some((x) => x.type === 'events'), message: 'n1 to send its event to n2' });
  const proof = fromN1.received.find((f) => f.type === 'proof') as ProofFrame | undefined;
  const sent = fromN1.received.find((f) => f.type === 'events');
  t.ok(proof, 'n1 sent its checkpoint ahead of its event');
  t.equal(fromN1.received.indexOf(proof!) < fromN1.received.indexOf(sent!), true, 'before the event');
  const genuine = sent!.type === 'events' ? sent!.events[0] : new Uint8Array();
  const altered = Buffer.from(Buffer.from(genuine).toString('latin1').replace('pay 10', 'pay 99'), 'latin1');
  t.not(Buffer.compare(altered, genuine), 0, 'the test altered the event');

  const tampering = await keyedPeer(t, n3.wsUrl, { secret: SECRET, identity: keys.identity('n2') });
  await tampering.linked();
  tampering.send(proof!);
  tampering.send({ type: 'events', events: [altered] });
  t.equal((await tampering.closed).code, CLOSE_CODES.forgedEvent, 'the altered event closes the link with 4422');
  t.equal((await clockOf(n3)).n1, undefined, 'and n3 took nothing of n1');

  const relaying = await keyedPeer(t, n3.wsUrl, { secret: SECRET, identity: keys.identity('n2') });
  await relaying.linked();
  relaying.send(proof!);
  relaying.send({ type: 'events', events: [genuine] });
  await waitFor(() => clockOf(n3), { until: (vc) => vc.n1 === 1, message: 'n3 to take n1\'s event relayed by n2', failFast: crashed([n1, n3]) });
  t.notOk(relaying.isClosed, 'the relay that forwarded it unaltered is still linked');
  const log = await n3.admin.log();
  t.same(log.map((e) => [nodeOf(e.origin), e.data]), [['n1', { secret: 'pay 10' }]], 'n3 logged n1\'s event as n1 published it');
});

t.test('events relayed through a third node keep verifying, also from its store after a restart', async (t) => {
  const keys = await testKeys(t, ['n1', 'n2', 'n3']);
  // A line: n1 — n2 — n3; n1 and n3 never link, so n1's events reach n3 only through n2.
  const n1 = await startNode(t, { id: 'n1', secret: SECRET, extraArgs: keys.args('n1') });
  const n2 = await startNode(t, { id: 'n2', secret: SECRET, peers: [n1.wsUrl], extraArgs: keys.args('n2') });
  const n3 = await startNode(t, { id: 'n3', secret: SECRET, peers: [n2.wsUrl], extraArgs: keys.args('n3') });
  const nodes = [n1, n2, n3];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2'], ['n2', 'n3']]);
  for (let i = 0; i < 20; i++) await n1.admin.publish('Ping', { i });
  await waitFor(() => clockOf(n3), { until: (vc) => vc.n1 === 20, timeout: 60_000, message: 'n3 to get n1\'s 20 events through n2', failFast: crashed(nodes) });
  t.pass('n3 verified n1\'s events relayed by n2');

  // n2 stores n1's next events while n3 is down; then n1 goes away and n2 restarts, so what
  // n3 gets comes from n2's store, checkpoints included.
  await n3.stop();
  for (let i = 20; i < 30; i++) await n1.admin.publish('Ping', { i });
  await waitFor(() => clockOf(n2), { until: (vc) => vc.n1 === 30, timeout: 60_000, message: 'n2 to hold n1\'s 30 events', failFast: crashed([n1, n2]) });
  await n1.stop();
  await n2.stop();
  await n2.restart();
  await n3.restart();
  await waitFor(() => clockOf(n3), { until: (vc) => vc.n1 === 30, timeout: 60_000, message: 'n3 to get n1\'s events from restarted n2', failFast: crashed([n2, n3]) });
  t.pass('n3 verified n1\'s events relayed from n2\'s store after n2 restarted');
  const refused = [n2, n3].flatMap((n) => n.lines.filter((l) => l.json?.code === 'TROUPE_PEER_FORGED_EVENT'));
  t.same(refused, [], 'no link was refused on the way');
});

t.test('a partial node verifies the events of an origin it is sent without the rest, and the history it refills', async (t) => {
  const keys = await testKeys(t, ['gw', 'd1', 'd2']);
  const fleet = await startFleet(t, ['d1', 'd2'], { gw: keys.args('gw'), d1: keys.args('d1'), d2: keys.args('d2') });
  const [d1, d2] = fleet.devices;
  await waitForLinks(fleet.all(), [['gw', 'd1'], ['gw', 'd2']]);
  // The gateway's alerts for d1 and d2 share its checkpoints; d1 is sent only its own.
  for (const value of [96, 5, 97]) await d2.admin.publish('reading', { device: 'd2', value });
  for (const value of [91, 2]) await d1.admin.publish('reading', { device: 'd1', value });
  await waitForFleetClock(fleet);
  const gatewayLog = await fleet.gw.admin.log();
  const held = (await d1.admin.log()).map((e) => e.id);
  t.ok(gatewayLog.some((e) => e.type === 'alert.d2'), 'the gateway alerted d2');
  t.same(held.filter((id) => id.startsWith('gw')), gatewayLog.filter((e) => e.type === 'alert.d1').map((e) => e.id), 'd1 took the gateway\'s alerts for it, and no other of its events');

  await d1.stop();
  const wider = await startNode(t, { id: 'd1', app: EDGE_APP, data: d1.data, port: d1.port, peers: [fleet.gw.wsUrl], extraArgs: ['--relaxed', '--want', 'reading', ...keys.args('d1')] });
  fleet.devices[0] = wider;
  await waitFor(() => wider.admin.status(), {
    until: (s) => (s as { interest?: { refilling: number } }).interest?.refilling === 0 && s.peers.some((p) => p.connected),
    failFast: crashed(fleet.all()),
    timeout: 60_000,
    message: () => tails(fleet.all()),
  });
  await waitForFleetClock(fleet);
  const refilled = (await wider.admin.log()).filter((e) => e.origin.split('~')[0] === 'd2' && e.type === 'reading');
  t.equal(refilled.length, 3, 'd1 fetched back and verified the three readings of d2 it had skipped');
  const refused = [...fleet.all(), d1].flatMap((n) => n.lines.filter((l) => l.json?.code === 'TROUPE_PEER_FORGED_EVENT'));
  t.same(refused, [], 'no event was refused on the way');
});

t.test('a refilled event is checked like a new one: a skipped seq comes back only with its origin\'s checkpoint', async (t) => {
  const keys = await testKeys(t, ['gw', 'd1', 'd2']);
  const d1 = await startNode(t, { id: 'd1', app: EDGE_APP, secret: SECRET, extraArgs: ['--relaxed', ...keys.args('d1')] });
  dumpOnFailure(t, () => [d1]);
  const readings = [1, 2, 3].map((seq) => event('d2', seq, 'reading'));
  const skipping = await keyedPeer(t, d1.wsUrl, { secret: SECRET, identity: keys.identity('gw') });
  await skipping.linked();
  // The skip is proved by d2's checkpoint's cover: d2 signed the three as readings, which d1 does not want.
  skipping.send(coverOf(signProof(keys.identity('d2'), 'troupe', 'd2', 1, readings))!);
  skipping.send({ type: 'skip', ranges: [{ origin: 'd2', from: 1, to: 3 }] });
  await waitFor(() => clockOf(d1), { until: (vc) => vc.d2 === 3, message: 'd1 to count d2\'s three skipped readings', failFast: crashed([d1]) });
  await d1.stop();

  const wider = await startNode(t, { id: 'd1', app: EDGE_APP, secret: SECRET, data: d1.data, port: d1.port, extraArgs: ['--relaxed', '--want', 'reading', ...keys.args('d1')] });
  dumpOnFailure(t, () => [wider]);
  const forging = await keyedPeer(t, wider.wsUrl, { secret: SECRET, identity: keys.identity('gw') });
  await forging.linked();
  forging.send({ type: 'events', events: [readings[0]] });
  t.equal((await forging.closed).code, CLOSE_CODES.forgedEvent, 'a seq to refill sent without a checkpoint closes the link with 4422');
  t.same((await wider.admin.log()).filter((e) => e.origin === 'd2'), [], 'and is not taken');

  const refilling = await keyedPeer(t, wider.wsUrl, { secret: SECRET, identity: keys.identity('gw') });
  await refilling.linked();
  refilling.send(signProof(keys.identity('d2'), 'troupe', 'd2', 1, readings));
  refilling.send({ type: 'events', events: readings });
  await waitFor(async () => (await wider.admin.log()).filter((e) => e.origin === 'd2').length, { until: (n) => n === 3, message: 'd1 to take back d2\'s readings', failFast: crashed([wider]) });
  t.notOk(refilling.isClosed, 'with d2\'s checkpoint they are taken, and the link stays up');
});
