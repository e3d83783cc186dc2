/**
 * Pins that what this node knows of each peer's durability (`--relaxed` or not) survives
 * a restart beside its acknowledged clock (`dur/<peer>`), so that compaction after a
 * restart counts a durable peer's stored acks without waiting for it to reconnect; that a
 * peer coming back relaxed overwrites it; and that a durable hello counts only once the
 * peer told its whole clock (`want`), never on a clock an earlier relaxed run acknowledged.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import type { VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { RecentLog } from '../runtime/recent-log.js';
import { Replication, type PeerLink } from '../runtime/replication.js';
import { Store } from '../runtime/store.js';

function fakeLink(peer: string, relaxed = false): PeerLink {
  return { peer, origin: peer, relaxed, bufferedAmount: 0, send: (_frame: Frame) => {}, close: () => {}, pause: () => {}, resume: () => {} };
}

/** A Replication of node `n1` over `store`, started from what the store holds of its peers. */
async function replicationOver(t: Test, store: Store): Promise<Replication> {
  const state = await store.load();
  const replication = new Replication({
    origin: 'n1', store, recent: new RecentLog(100), log: pino({ level: 'silent' }), committed: () => ({}),
    readStored: async () => [],
    acks: state.acks, durability: state.durability, window: 100, frameEvents: 10, frameBytes: 1 << 20, stallMs: 5000, ackDelayMs: 25, clock: new SimulatedClock(),
  });
  t.teardown(() => {
    replication.stopTicking();
    replication.cancelAcks();
  });
  return replication;
}

/** Persists what replication has to persist, as a commit would (its acks and, read with them, their durability). */
async function persist(store: Store, replication: Replication): Promise<void> {
  const acks = replication.dirtyAcks(true);
  const vc: VectorClock = {};
  await store.commit({ events: [], vcBefore: vc, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks, durability: replication.durabilityOf(acks.keys()) });
}

const durability = (r: Replication) => r.members().map((m) => [m.id, m.durable, m.acked]);

t.test('a peer known to acknowledge durably counts as durable after a restart, before it reconnects', async (t) => {
  const dir = t.testdir();
  let store = await Store.open(dir, 'n1', { sync: false });
  let replication = await replicationOver(t, store);
  const link = fakeLink('p');
  replication.linkUp(link);
  await replication.receiveWant(replication.linked(link)!, { a: 3 });
  t.same(durability(replication), [['p', true, { a: 3 }]], 'p told its clock on a durable link');
  await persist(store, replication);
  replication.stopTicking();
  await store.close();

  store = await Store.open(dir, 'n1', { sync: false });
  replication = await replicationOver(t, store);
  t.same(durability(replication), [['p', true, { a: 3 }]], 'after the restart p counts as durable without a hello');
  await store.close();
});

t.test('a peer that comes back relaxed is stored as relaxed, and a durable one again counts only once it told its clock', async (t) => {
  const dir = t.testdir();
  let store = await Store.open(dir, 'n1', { sync: false });
  await store.load();
  await store.commit({ events: [], vcBefore: {}, vc: {}, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map([['p', { a: 3 }]]), durability: new Map([['p', true]]) });
  let replication = await replicationOver(t, store);
  const relaxed = fakeLink('p', true);
  replication.linkUp(relaxed);
  t.same(durability(replication), [['p', false, { a: 3 }]], 'a relaxed hello makes its acks count for nothing at once');
  replication.receiveAck(replication.linked(relaxed)!, { a: 9 });
  await persist(store, replication);
  replication.linkDown(relaxed);
  replication.stopTicking();
  await store.close();

  store = await Store.open(dir, 'n1', { sync: false });
  replication = await replicationOver(t, store);
  t.same(durability(replication), [['p', false, { a: 9 }]], 'after the restart p is still relaxed: its stored clock came from relaxed acks');
  const strict = fakeLink('p');
  replication.linkUp(strict);
  t.same(durability(replication), [['p', false, { a: 9 }]], 'a durable hello alone does not make the relaxed clock count');
  await replication.receiveWant(replication.linked(strict)!, { a: 7 });
  t.same(durability(replication), [['p', true, { a: 7 }]], 'its want replaces the clock and makes it count');
  await store.close();
});

t.test('a peer never stored as durable waits for its hello, as before', async (t) => {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  await store.load();
  await store.commit({ events: [], vcBefore: {}, vc: {}, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map([['old', { a: 1 }]]) });
  const replication = await replicationOver(t, store);
  t.same(durability(replication), [['old', false, { a: 1 }]], 'a clock stored without durability (an older store) holds entries back');
  await store.close();
});
