import t from 'tap';
import { SubscriptionStream, type StreamControl } from '../client/subscription-stream.js';
import type { ClientLogEntry, ClientRequest } from '../protocol/client-message.js';

function entry(pos: number, type = 'Ping'): ClientLogEntry {
  return { pos, id: `n1:${pos}`, type, origin: 'n1', seq: pos, vc: { n1: pos }, correlationId: `n1:${pos}`, causationId: null, ts: 0, data: pos };
}

function control(): StreamControl & { sent: ClientRequest[]; ended: (sub: number) => void; endedSubs: number[] } {
  const sent: ClientRequest[] = [];
  const endedSubs: number[] = [];
  return { sent, endedSubs, send: (r) => sent.push(r), ended: (sub) => endedSubs.push(sub) };
}

async function take(stream: SubscriptionStream, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await stream.next()).value.pos);
  return out;
}

t.test('a subscription first grants its whole window, from the end of the log unless told', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(1, { types: ['A'], window: 10 }, c);
  t.same(stream.subscribeRequest(), { type: 'subscribe', sub: 1, from: 0, types: ['A'], correlationId: null, credit: 10 });
  t.same(new SubscriptionStream(2, { from: 5, correlationId: 'w' }, c).subscribeRequest(), { type: 'subscribe', sub: 2, from: 5, types: [], correlationId: 'w', credit: 1000 });
});

t.test('credit is granted again once the consumer has freed half a window', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(1, { window: 4 }, c);
  stream.subscribeRequest();
  stream.subscribed(1);
  stream.received(5, [entry(1), entry(2), entry(3), entry(4)]);
  t.same(await take(stream, 1), [1]);
  t.same(c.sent, [], 'one free slot is not worth a message');
  t.same(await take(stream, 1), [2]);
  t.same(c.sent, [{ type: 'credit', sub: 1, n: 2 }], 'half a window free: grant it');
  t.equal(stream.buffered, 2);
});

t.test('after a reconnect it resumes after the last event seen and drops any it already had', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(1, { window: 10 }, c);
  stream.subscribeRequest();
  stream.subscribed(1);
  stream.received(4, [entry(1), entry(2), entry(3)]);
  t.same(await take(stream, 1), [1]);
  const again = stream.subscribeRequest();
  t.equal(again.from, 4, 'resumes at the position after the last event received');
  t.equal(again.credit, 8, 'with credit for the room left beside the two still buffered');
  stream.received(6, [entry(3), entry(4), entry(5)]);
  t.same(await take(stream, 4), [2, 3, 4, 5], 'each event once, in order');
});

t.test('an empty events message moves the resume position past what the filters left out', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(1, { types: ['Rare'] }, c);
  stream.subscribeRequest();
  stream.subscribed(10);
  stream.received(250, []);
  t.equal(stream.subscribeRequest().from, 250);
});

t.test('a refusal ends the stream with its code after what was buffered', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(3, {}, c);
  stream.subscribeRequest();
  stream.subscribed(1);
  stream.received(2, [entry(1)]);
  stream.failed({ code: 'TROUPE_BAD_REQUEST', message: 'no' });
  t.same(await take(stream, 1), [1]);
  await t.rejects(stream.next(), { code: 'TROUPE_BAD_REQUEST' });
  t.same(c.endedSubs, [3]);
});

t.test('breaking out of the loop unsubscribes and ends the stream', async (t) => {
  const c = control();
  const stream = new SubscriptionStream(4, {}, c);
  stream.subscribeRequest();
  stream.subscribed(1);
  const pending = stream.next();
  stream.received(3, [entry(1), entry(2)]);
  t.equal((await pending).value.pos, 1, 'a next() made before the event arrived gets it');
  for await (const e of stream) {
    t.equal(e.pos, 2);
    break;
  }
  t.same(c.sent, [{ type: 'unsubscribe', sub: 4 }]);
  t.same(await stream.next(), { value: undefined, done: true });
  t.same(c.endedSubs, [4]);
});

t.test('next() calls made together get the events in order', async (t) => {
  const stream = new SubscriptionStream(5, {}, control());
  stream.subscribeRequest();
  stream.subscribed(1);
  const both = Promise.all([stream.next(), stream.next()]);
  stream.received(3, [entry(1), entry(2)]);
  t.same((await both).map((r) => r.value.pos), [1, 2]);
});
