import t, { type Test } from 'tap';
import pino from 'pino';
import { decodeEvent, encodeEvent } from '../protocol/event-codec.js';
import type { Clock } from '../runtime/clock.js';
import { Fabric, type PeerLink } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { stamp } from '../runtime/stamp.js';
import { Store } from '../runtime/store.js';

t.test('stamping gives the next seq of the node and the clock it delivered', async (t) => {
  const delivered = { n1: 4, n2: 7 };
  const { envelope, bytes } = stamp('n1', delivered, 0, 1000, { type: 'Ping', data: { a: 1 } }, 'n2:7');
  t.match(envelope, { id: 'n1:5', origin: 'n1', seq: 5, vc: { n1: 5, n2: 7 }, type: 'Ping', data: { a: 1 }, causationId: 'n2:7', ts: 1000, schema: 1 });
  t.same(decodeEvent(bytes), envelope, 'the bytes are the envelope');
  t.same(delivered, { n1: 4, n2: 7 }, 'the delivered clock is left to the caller to advance');
});

t.test('an event that names no workflow starts one named by its own id', async (t) => {
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping' }, null).envelope.correlationId, 'n1:1');
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping', correlationId: 'wf' }, null).envelope.correlationId, 'wf');
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping' }, null).envelope.data, null, 'absent data is null');
});

t.test('ts never goes behind the newest delivered event, whatever the wall clock says', async (t) => {
  t.equal(stamp('n1', {}, 5000, 1000, { type: 'Ping' }, null).envelope.ts, 5000, 'a wall clock behind: the last ts');
  t.equal(stamp('n1', {}, 5000, 9000, { type: 'Ping' }, null).envelope.ts, 9000, 'a wall clock ahead: the wall clock');
});

t.test('an event that cannot be encoded throws TROUPE_PROTOCOL_BAD_EVENT and takes no seq', async (t) => {
  const delivered = { n1: 2 };
  t.throws(() => stamp('n1', delivered, 0, 1, { type: 'Big', data: 'x'.repeat(2 * 1024 * 1024) }, null), { name: 'TroupeError', code: 'TROUPE_PROTOCOL_BAD_EVENT' });
  t.same(delivered, { n1: 2 });
});

/** A wall clock the test sets; timers never fire. */
function wallClock(now: number): Clock & { now: () => number; set(ms: number): void } {
  let ms = now;
  return { now: () => ms, set: (to) => void (ms = to), setTimeout: () => undefined, clearTimeout: () => {} };
}

/** A fabric over the store in `dir` as a node starts one: from what the store loaded. */
async function startFabric(t: Test, dir: string, time: Clock) {
  const store = await Store.open(dir, 'n1', { sync: false });
  const state = await store.load();
  const host = new Host({ services: [], schedule: () => {} });
  const fabric = new Fabric({ id: 'n1', store, host, log: pino({ level: 'silent' }), state, time });
  const stop = async (): Promise<void> => {
    await fabric.stop();
    host.stop();
    await store.close();
  };
  t.teardown(stop);
  return { fabric, stop };
}

t.test('after a restart with the wall clock stepped back, a new event\'s ts is not behind the events in the log', async (t) => {
  const dir = t.testdir();
  const time = wallClock(5_000_000);
  const first = await startFabric(t, dir, time);
  const before = await first.fabric.publish({ type: 'Ping' });
  t.equal(before.ts, 5_000_000);
  await first.stop();

  time.set(1_000_000); // the wall clock stepped back while the node was down
  const second = await startFabric(t, dir, time);
  const after = await second.fabric.publish({ type: 'Ping' });
  t.equal(after.seq, 2);
  t.ok(after.ts >= before.ts, `ts ${after.ts} is not behind ${before.ts}, which it follows causally`);
});

t.test('an event from a peer with a ts far ahead of the wall clock is kept but does not drag this node\'s time along', async (t) => {
  const time = wallClock(10_000_000);
  const { fabric } = await startFabric(t, t.testdir(), time);
  const link: PeerLink = { peer: 'n2', origin: 'n2', send: () => {}, bufferedAmount: 0, close: () => {}, pause: () => {}, resume: () => {} };
  t.ok(fabric.linkUp(link));
  const peerEvent = (seq: number, ts: number) => encodeEvent({ origin: 'n2', seq, schema: 1, vc: { n2: seq }, type: 'Far', correlationId: `c${seq}`, causationId: null, ts, data: null });

  fabric.receive(link, { type: 'events', events: [peerEvent(1, 1e300)] });
  await fabric.waitFor(1, 5000);
  t.same((await fabric.read(1, 1)).map((e) => e.ts), [1e300], 'the event is stored as it came');
  const own = await fabric.publish({ type: 'Ping' });
  t.equal(own.ts, 10_000_000, 'the next own event carries the wall clock, not 1e300');

  const nearAhead = 10_000_000 + 30 * 60_000;
  fabric.receive(link, { type: 'events', events: [peerEvent(2, nearAhead)] });
  await fabric.waitFor(3, 5000);
  t.equal((await fabric.publish({ type: 'Ping' })).ts, nearAhead, 'a ts within the 1-hour skew bound is adopted, as before');
});
