/**
 * Pins that replication never echoes: a peer is not sent back the events it sent us on
 * the current link (`Replication.received` records them in `peer.heard`), while events
 * of other origins are still relayed to it, and a new link forgets what was heard so that
 * a peer that lost its disk and asks for everything (`want {}`) gets its own events back.
 * Also pins how acks are paced, how often acknowledged clocks are persisted, and that a
 * stalled peer is re-sent from its ack. Drives one `Replication` over a real store and
 * `RecentLog` with fake links and XState's `SimulatedClock`, so time moves only when a
 * test says.
 */
import t, { type Test } from 'tap';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { encodeEvent, eventHeader } from '../protocol/codec.js';
import type { VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { RecentLog } from '../runtime/recent-log.js';
import { Replication, type Peer, type PeerLink } from '../runtime/replication.js';
import { Store, type StoredEvent } from '../runtime/store.js';
import { waitFor } from './helpers/wait-for.js';

/** A link that records what is sent on it. */
function fakeLink(peer: string, origin = peer): PeerLink & { frames: Frame[] } {
  const frames: Frame[] = [];
  return { peer, origin, bufferedAmount: 0, frames, send: (frame) => void frames.push(frame), close: () => {}, pause: () => {}, resume: () => {} };
}

/** `origin:seq` of every event sent on `link`, in order (`links`, `want`, `ack` frames ignored). */
const sentOn = (link: { frames: Frame[] }): string[] =>
  link.frames.flatMap((f) => (f.type === 'events' ? f.events.map(eventHeader).map((h) => `${h.origin}:${h.seq}`) : []));

/** Waits until `done()` holds. */
const until = (done: () => boolean, what: string): Promise<boolean> => waitFor(done, { message: what, timeout: 5000, interval: 1 });

/** Node `n1` with one Replication over a fresh store; `commit` logs events as delivered, in the given order. */
async function setup(t: Test) {
  const clock = new SimulatedClock();
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  const recent = new RecentLog(1000);
  const committed: VectorClock = {};
  const replication = new Replication({
    origin: 'n1', store, recent, log: pino({ level: 'silent' }), committed: () => committed,
    readStored: async (from, limit) => (await store.readFrom(from, Math.min(limit, recent.start - from))).map((r) => ({ pos: r.pos, ...eventHeader(r.bytes), bytes: r.bytes })),
    acks: new Map(), window: 8192, frameEvents: 512, frameBytes: 1 << 20, stallMs: 5000, ackDelayMs: 25, clock,
  });
  t.teardown(async () => {
    replication.stopTicking();
    replication.cancelAcks();
    await store.close();
  });
  async function commit(ids: string[]): Promise<void> {
    const vcBefore = { ...committed };
    const events: StoredEvent[] = ids.map((id, i) => {
      const [origin, s] = id.split(':');
      const seq = Number(s);
      committed[origin] = seq;
      const pos = recent.end + i;
      return { pos, origin, seq, correlationId: 'c1', bytes: encodeEvent({ origin, seq, schema: 1, vc: { ...committed }, type: 'T', correlationId: 'c1', causationId: null, ts: pos, data: pos }) };
    });
    await store.commit({ events, vcBefore, vc: { ...committed }, actors: [], deadLetters: [], removedDeadLetters: [], acks: new Map() });
    recent.append(events);
  }
  /** Links peer `id` (stamping under `origin`) and returns its link and Peer. */
  function link(id: string, origin = id): { link: ReturnType<typeof fakeLink>; peer: Peer } {
    const l = fakeLink(id, origin);
    t.ok(replication.linkUp(l), `${id} links up`);
    const peer = replication.linked(l);
    if (peer === undefined) throw new Error(`${id} is not linked`);
    return { link: l, peer };
  }
  /** Whether the push to `peer` is over: no pass running, the whole log considered. */
  const pushed = (peer: Peer) => (): boolean => !peer.sending && peer.cursor === recent.end;
  return { replication, commit, link, pushed, clock, store };
}

const heardOf = (...ids: string[]) => ids.map((id) => ({ origin: id.split(':')[0], seq: Number(id.split(':')[1]) }));

/** p sends n1 three events, n1 commits them between two of its own and pushes: what reaches p. */
async function echoScenario(env: Awaited<ReturnType<typeof setup>>): Promise<{ p: ReturnType<typeof env.link>; sent: string[] }> {
  const p = env.link('p');
  env.replication.received(p.peer, heardOf('p:1', 'p:2', 'p:3'), 3, false);
  await env.commit(['p:1', 'n1:1', 'p:2', 'p:3', 'n1:2']);
  env.replication.pushAll();
  await until(env.pushed(p.peer), 'the push to p');
  return { p, sent: sentOn(p.link) };
}

t.test('a peer is never sent back the events it sent', async (t) => {
  const { sent } = await echoScenario(await setup(t));
  t.same(sent, ['n1:1', 'n1:2'], 'only the events p did not send, in delivery order');
});

t.test('events the peer did not send are still relayed to it', async (t) => {
  const { replication, commit, link, pushed } = await setup(t);
  const p = link('p');
  replication.received(p.peer, heardOf('p:1'), 1, false);
  await commit(['q:1', 'p:1', 'q:2']);
  replication.pushAll();
  await until(pushed(p.peer), 'the push to p');
  t.same(sentOn(p.link), ['q:1', 'q:2'], 'q events relayed, p:1 not echoed');
});

t.test('a new link forgets what was heard', async (t) => {
  const env = await setup(t);
  const { replication, link, pushed } = env;
  const { p: first, sent } = await echoScenario(env);
  t.same(sent, ['n1:1', 'n1:2'], 'no echo on the first link');

  replication.linkDown(first.link);
  const second = link('p', 'p~2');
  // p restarted with an empty disk, under a new origin: it wants everything, its earlier events too.
  await replication.receiveWant(second.peer, {});
  await until(pushed(second.peer), 'the re-send to p');
  t.same(sentOn(second.link), ['p:1', 'n1:1', 'p:2', 'p:3', 'n1:2'], 'p gets its own events back on the new link');
});

t.test('acknowledged clocks are handed out for persisting at most once a second, and all at stop', async (t) => {
  const { replication, link } = await setup(t);
  const p = link('p');
  replication.receiveAck(p.peer, { p: 1 });
  t.same([...replication.dirtyAcks()], [['p', { p: 1 }]], 'the first change is persisted');
  replication.receiveAck(p.peer, { p: 2 });
  t.same([...replication.dirtyAcks()], [], 'a change within the second waits');
  t.same([...replication.dirtyAcks(true)], [['p', { p: 2 }]], 'stopping takes it at once');
  t.same([...replication.dirtyAcks(true)], [], 'and only once');
});

/** The clocks acknowledged on `link`, in order. */
const acksOn = (link: { frames: Frame[] }): VectorClock[] => link.frames.flatMap((f) => (f.type === 'ack' ? [f.vc] : []));

t.test('a peer that sent events is acknowledged ackDelayMs after the commit, not before', async (t) => {
  const { replication, commit, link, clock } = await setup(t);
  const p = link('p');
  replication.received(p.peer, heardOf('p:1'), 1, false);
  await commit(['p:1']);
  replication.scheduleAcks();
  t.same(acksOn(p.link), [], 'no ack right after the commit');
  clock.increment(24);
  t.same(acksOn(p.link), [], 'none 24 ms later');
  clock.increment(1);
  t.same(acksOn(p.link), [{ p: 1 }], 'one ack of the committed clock at 25 ms');
});

t.test('a peer that sent a large share of its window is acknowledged at once', async (t) => {
  const { replication, commit, link } = await setup(t);
  const p = link('p');
  const ids = Array.from({ length: 1024 }, (_, i) => `p:${i + 1}`);
  replication.received(p.peer, heardOf(...ids), ids.length, false);
  await commit(ids);
  replication.scheduleAcks();
  t.same(acksOn(p.link), [{ p: 1024 }], 'acknowledged without waiting for the delay');
});

t.test('a frame of duplicates only is acknowledged at once', async (t) => {
  const { replication, commit, link } = await setup(t);
  const p = link('p');
  await commit(['p:1']);
  replication.received(p.peer, heardOf('p:1'), 0, false);
  t.same(acksOn(p.link), [{ p: 1 }]);
});

t.test('the heartbeat tells a linked peer the clock it has not heard, once', async (t) => {
  const { commit, link, clock } = await setup(t);
  const p = link('p');
  await commit(['n1:1', 'n1:2']);
  clock.increment(1000);
  t.same(acksOn(p.link), [{ n1: 2 }], 'the first beat acknowledges the committed clock');
  clock.increment(1000);
  t.same(acksOn(p.link), [{ n1: 2 }], 'the next beat has nothing new to say');
});

t.test('a peer whose acks stop while events are in flight is re-sent from its last ack', async (t) => {
  const { replication, commit, link, pushed, clock } = await setup(t);
  const p = link('p');
  await commit(['n1:1', 'n1:2', 'n1:3']);
  replication.pushAll();
  await until(pushed(p.peer), 'the push to p');
  replication.receiveAck(p.peer, { n1: 1 });
  t.same(sentOn(p.link), ['n1:1', 'n1:2', 'n1:3'], 'sent once');
  for (let beat = 0; beat < 5; beat++) clock.increment(1000);
  await until(pushed(p.peer), 'the beats\' pushes');
  t.same(sentOn(p.link), ['n1:1', 'n1:2', 'n1:3'], 'not re-sent within the 5 s stall timeout');
  clock.increment(1000);
  await until(() => sentOn(p.link).length === 5, 'the re-send to p');
  t.same(sentOn(p.link).slice(3), ['n1:2', 'n1:3'], 'past it, re-sent from the last ack');
});

t.test('a link\'s changes are timed by the clock', async (t) => {
  const { replication, link, clock } = await setup(t);
  clock.set(1_700_000_000_000);
  const p = link('p');
  t.match(replication.peerViews(), [{ id: 'p', connected: true, since: 1_700_000_000_000, outbox: 0 }]);
  clock.increment(500);
  replication.linkDown(p.link);
  t.match(replication.peerViews(), [{ id: 'p', connected: false, since: 1_700_000_000_500 }]);
});

t.test('the heartbeat stops with stopTicking', async (t) => {
  const { replication, commit, link, clock } = await setup(t);
  const p = link('p');
  await commit(['n1:1']);
  replication.stopTicking();
  clock.increment(10_000);
  t.same(acksOn(p.link), [], 'no beat after stopping');
});

t.test('a peer asking for events below what the log retains is sent what is retained and marked behind retention', async (t) => {
  const { replication, commit, link, pushed, store } = await setup(t);
  await commit(['q:1', 'q:2']);
  await commit(['q:3']);
  await commit(['q:4']);
  const [oldest] = await store.readCommits(1, 5);
  await store.removeCommits([oldest], 3);
  const p = link('p');
  t.same(replication.members(), [{ id: 'p', acked: {}, durable: false }], 'a peer just linked counts for nothing until it tells its clock');
  await replication.receiveWant(p.peer, {});
  t.same(replication.members(), [{ id: 'p', acked: {}, durable: true }], 'a linked peer whose hello did not say relaxed acknowledges durably once it told its clock');
  await until(pushed(p.peer), 'the push to p');
  t.same(sentOn(p.link), ['q:3', 'q:4'], 'what is retained is sent');
  t.same(p.link.frames.filter((f) => f.type === 'lost'), [{ type: 'lost', first: 3, ranges: [{ origin: 'q', from: 1, to: 2 }] }], 'p is told, before the events, which seqs it lacks that n1 no longer holds');
  t.ok(p.link.frames.findIndex((f) => f.type === 'lost') < p.link.frames.findIndex((f) => f.type === 'events'), 'the lost frame goes first');
  t.equal(replication.peerViews()[0].behindRetention, true, '/status marks the peer');
  replication.receiveAck(p.peer, { q: 2 });
  await until(() => replication.peerViews()[0].behindRetention === undefined, 'p, which acknowledged what was removed (got elsewhere), not to be behind any more');
  await replication.receiveWant(p.peer, { q: 1 });
  t.equal(replication.peerViews()[0].behindRetention, true, 'a peer that says it lacks removed events is behind again');
  await replication.receiveWant(p.peer, { q: 2 });
  t.equal(replication.peerViews()[0].behindRetention, undefined, 'a peer that has everything removed is not behind');

  await replication.receiveWant(link('r').peer, {});
  const relaxed = { ...fakeLink('r2'), relaxed: true };
  t.ok(replication.linkUp(relaxed));
  await replication.receiveWant(replication.linked(relaxed)!, {});
  t.same(replication.members().map((m) => [m.id, m.durable]), [['p', true], ['r', true], ['r2', false]], 'a relaxed peer\'s acks are not durable');
});
