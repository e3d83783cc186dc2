import t from 'tap';
import pino from 'pino';
import { decodeValue } from '../protocol/codec.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { encodeEvent } from '../protocol/event-codec.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import type { PeerLink } from '../runtime/fabric.js';
import { Retirements } from '../runtime/retirements.js';
import { openStoreDb } from '../runtime/store-db.js';
import { Store } from '../runtime/store.js';
import { startFabric } from './helpers/store-fabric.js';

const log = pino({ level: 'silent' });

/** A delivered retirement as `Retirements.learn` sees it. */
function retirement(origin: string, vc: VectorClock, data: unknown): Envelope {
  return { id: `${origin}:${vc[origin]}`, type: RETIRED_TYPE, data, origin, seq: vc[origin], vc, correlationId: 'c', causationId: null, ts: 1, schema: 1 } as Envelope;
}

t.test('the retirements learn the largest final seq their event counts, and the node ids retired for good', async (t) => {
  const r = new Retirements();
  t.equal(r.learn(retirement('n1~b', { 'n1~a': 4, 'n1~b': 1 }, { origins: { 'n1~a': 4 } }), log), undefined);
  t.same([...r.finals], [['n1~a', 4]]);
  r.learn(retirement('n2~x', { 'n1~a': 3, 'n2~x': 1 }, { origins: { 'n1~a': 3 } }), log);
  t.same([...r.finals], [['n1~a', 4]], 'a smaller final seq changes nothing');
  r.learn(retirement('n2~x', { 'n1~a': 4, 'n2~x': 2 }, { origins: { 'n1~a': 7 } }), log);
  t.same([...r.finals], [['n1~a', 4]], 'a final seq its own clock does not count is not taken');
  t.equal(r.learn(retirement('n2~x', { 'n3~q': 5, 'n2~x': 3 }, { origins: { 'n3~q': 5 }, node: 'n3' }), log), 'n3');
  t.ok(r.isRetiredNode('n3'));
  t.same(
    r.takeChanges(),
    { origins: { 'n1~a': 4, 'n3~q': 5 }, nodes: ['n3'], by: { 'n1~a': [['n1~b', 1, 4], ['n2~x', 1, 3]], 'n3~q': [['n2~x', 3, 5]] } },
    'the whole record is written once changed, with every retirement each origin had (a smaller final too: folded clocks are read back by it)',
  );
  t.same([...new Retirements(r.takeChanges() ?? { origins: {}, nodes: [], by: { 'n1~a': [['n1~b', 1, 4]] } }).retiring], [['n1~a', [{ origin: 'n1~b', seq: 1, final: 4 }]]], 'the retirements of each origin come back from the store');
  t.equal(r.takeChanges(), undefined, 'and not again until it changes');
  t.same(new Retirements({ origins: { 'n1~a': 4 }, nodes: ['n3'] }).view(), { nodes: ['n3'], origins: [{ origin: 'n1~a', final: 4 }] }, 'it comes back from the store');
  t.same(r.ended('n1', 'n1~c', { 'n1~a': 4, 'n1~b': 2, 'n1~c': 1, 'n2~x': 3 }), { 'n1~b': 2 }, 'an earlier start of this node not yet retired at its entry is due');
  t.same(r.ended('n1', 'n1~c', { 'n1~a': 6 }), { 'n1~a': 6 }, 'one counted past its final seq is due again');
});

t.test('a retirement that cannot be read retires nothing', async (t) => {
  const r = new Retirements();
  t.equal(r.learn(retirement('n2~x', { 'n2~x': 1 }, { origins: 'everything' }), log), undefined);
  t.same(r.view(), { nodes: [], origins: [] });
});

t.test('a node started again retires its earlier start: its next events carry no entry for it, across restarts', async (t) => {
  const dir = t.testdir();
  const first = await startFabric(t, dir, 'n1~a');
  await first.fabric.publish({ type: 'Ping' });
  await first.fabric.publish({ type: 'Ping' });
  t.same(first.fabric.retired, { nodes: [], origins: [] }, 'a first start has nothing to retire');
  await first.stop();

  const second = await startFabric(t, dir, 'n1~b');
  await second.fabric.waitFor(3, 5000);
  const [retiring] = await second.fabric.read(3, 1);
  t.match(retiring, { type: RETIRED_TYPE, origin: 'n1~b', seq: 1, vc: { 'n1~a': 2, 'n1~b': 1 }, data: { origins: { 'n1~a': 2 } } }, 'the start stamps a retirement of n1~a at its final seq, its clock naming n1~a in full');
  const next = await second.fabric.publish({ type: 'Ping' });
  t.same(next.vc, { 'n1~b': 2 }, 'the next event leaves n1~a out');
  t.same((await second.fabric.read(1, 1))[0]?.vc, { 'n1~a': 1 }, 'the old events keep their clocks');
  await second.stop();

  const third = await startFabric(t, dir, 'n1~c');
  t.same(third.fabric.retired.origins, [{ origin: 'n1~a', final: 2 }], 'the retirement comes back from the store');
  await third.fabric.waitFor(5, 5000);
  const [again] = await third.fabric.read(5, 1);
  t.same(again?.data, { origins: { 'n1~b': 2 } }, 'only the start not yet retired is retired next');
  t.same(again?.vc, { 'n1~b': 2, 'n1~c': 1 }, 'its clock names n1~b in full and leaves out n1~a, retired before: a retirement does not grow with every start');
  t.same((await third.fabric.publish({ type: 'Ping' })).vc, { 'n1~c': 2 });
  t.same(third.fabric.retired.origins.map((o) => o.origin), ['n1~a', 'n1~b']);
});

t.test('retiring a node id for good: refused for itself, a linked peer or a bad id; otherwise every origin of it, and it stops being a member', async (t) => {
  const { fabric } = await startFabric(t, t.testdir(), 'n1~a');
  const sent: unknown[] = [];
  const link: PeerLink = { peer: 'n2', origin: 'n2~x', send: (f) => void sent.push(f), bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
  t.ok(fabric.linkUp(link));
  fabric.receive(link, { type: 'events', events: [encodeEvent({ origin: 'n2~x', seq: 1, schema: 1, vc: { 'n2~x': 1 }, type: 'Hi', correlationId: 'c', causationId: null, ts: 1, data: null })] });
  await fabric.waitFor(1, 5000);
  await t.rejects(fabric.retireNode('n1'), { code: 'TROUPE_BAD_REQUEST' }, 'not itself');
  await t.rejects(fabric.retireNode('no such id!'), { code: 'TROUPE_BAD_REQUEST' }, 'not a malformed id');
  await t.rejects(fabric.retireNode('n2'), { code: 'TROUPE_BAD_REQUEST' }, 'not a peer linked now');
  fabric.linkDown(link);
  t.ok(fabric.peerViews().some((p) => p.id === 'n2'), 'n2 is still a member while down');

  const retired = await fabric.retireNode('n2');
  t.same(retired.data, { origins: { 'n2~x': 1 }, node: 'n2' }, 'every origin of n2 is retired at its entry here');
  t.same(retired.vc, { 'n1~a': 1, 'n2~x': 1 }, 'the retirement counts them in full');
  t.same((await fabric.publish({ type: 'Ping' })).vc, { 'n1~a': 2 }, 'the next event leaves them out');
  t.ok(fabric.isRetiredNode('n2'));
  t.notOk(fabric.peerViews().some((p) => p.id === 'n2'), 'n2 is no longer a member');
  t.same(fabric.retired.nodes, ['n2']);
});

t.test('a batch that changes the stored retirements stores every acknowledged clock again, folded against them', async (t) => {
  const dir = t.testdir();
  const first = await startFabric(t, dir, 'n1~a');
  await first.fabric.publish({ type: 'Ping' });
  await first.fabric.publish({ type: 'Ping' });
  await first.stop();
  // n2 is known by a stored ack only (it does not link): nothing makes that ack dirty again.
  const store = await Store.open(dir, 'n1', { sync: false });
  await store.load();
  const vc = { 'n1~a': 2 };
  await store.commit({ events: [], vcBefore: vc, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map([['n2', { 'n1~a': 2, 'n1~b': 1 }]]) });
  await store.close();

  const second = await startFabric(t, dir, 'n1~b');
  await second.fabric.waitFor(3, 5000); // n1~b:1 retires n1~a at 2
  await second.stop();
  const db = await openStoreDb(dir);
  const ack = decodeValue((await db.get('ack/n2'))!) as VectorClock;
  await db.close();
  t.same(ack, { 'n1~b': 1 }, 'n1~a, at the final seq of a retirement the ack counts, is left out of the stored ack with the retirement itself');
});
