/**
 * Events are authenticated by their origin: with `--trust`, a node takes an event from a
 * peer only if the event's bytes hash to what a checkpoint signed by `nodeOf(origin)`'s key
 * lists for it. A peer with a valid key of its own still cannot publish under another
 * node's id (or the receiver's own), nor alter what it relays; a real relay, even after a
 * restart, forwards the origin's checkpoints with its events. Refusals close the link with
 * 4422 (`forgedEvent`) and change nothing.
 */
import t from 'tap';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../protocol/envelope.js';
import { CLOSE_CODES } from '../protocol/handshake.js';
import { signProof, type ProofFrame } from '../protocol/origin-proof.js';
import { waitForLinks } from './helpers/convergence.js';
import { keyedPeer, testKeys } from './helpers/keyed-peer.js';
import { crashed, dumpOnFailure, startNode, type NodeProcess } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'proofs-secret';

/** Event `seq` of `origin`, as that origin would encode it. */
function event(origin: string, seq: number, type = 'Ping'): EncodedEvent {
  const id = `${origin}:${seq}`;
  return encodeEvent({ type, data: { n: seq }, origin, seq, vc: { [origin]: seq }, correlationId: id, causationId: null, ts: Date.now(), schema: ENVELOPE_SCHEMA });
}

async function clockOf(node: NodeProcess): Promise<Record<string, number>> {
  return (await node.admin.status()).vc;
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
  t.same(log.map((e) => [e.id, e.data]), [['n1:1', { secret: 'pay 10' }]], 'n3 logged n1\'s event as n1 published it');
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
