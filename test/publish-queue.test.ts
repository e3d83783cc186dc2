import t from 'tap';
import { PublishQueue } from '../client/publish-queue.js';
import { wirePublish } from '../protocol/client-codec.js';
import type { PublishAck } from '../protocol/client-message.js';

const ack = (seq: number): PublishAck => ({ id: `n1:${seq}`, origin: 'n1', seq, vc: { n1: seq }, correlationId: `n1:${seq}` });

t.test('publishes queued in one turn leave together, in order, up to the batch size', async (t) => {
  const queue = new PublishQueue({ maxBatchEvents: 3 });
  for (let i = 0; i < 5; i++) void queue.add(wirePublish({ type: 'Ping', data: i }));
  const first = queue.take();
  const second = queue.take();
  t.same(first?.events.map((e) => e[0]), ['Ping', 'Ping', 'Ping']);
  t.equal(second?.events.length, 2);
  t.not(first?.ref, second?.ref, 'each batch has its own ref');
  t.equal(queue.take(), undefined, 'nothing left');
  t.equal(queue.inFlight, 5);
});

t.test('a batch stops growing at its byte budget but always takes one event', async (t) => {
  const queue = new PublishQueue({ maxBatchBytes: 100 });
  void queue.add(wirePublish({ type: 'Big', data: 'x'.repeat(150) }));
  void queue.add(wirePublish({ type: 'Small', data: 1 }));
  void queue.add(wirePublish({ type: 'Small', data: 2 }));
  t.same(queue.take()?.events.map((e) => e[0]), ['Big']);
  t.same(queue.take()?.events.map((e) => e[0]), ['Small', 'Small']);
});

t.test('no more than the in-flight window is sent before answers come back', async (t) => {
  const queue = new PublishQueue({ maxInFlight: 4, maxBatchEvents: 10 });
  for (let i = 0; i < 6; i++) void queue.add(wirePublish({ type: 'Ping' }));
  const batch = queue.take();
  t.equal(batch?.events.length, 4);
  t.equal(queue.take(), undefined, 'the window is full');
  queue.answered(batch!.ref, [1, 2, 3, 4].map(ack));
  t.equal(queue.take()?.events.length, 2, 'answers reopen the window');
});

t.test('each publish settles with its own answer, an acknowledgement or a coded error', async (t) => {
  const queue = new PublishQueue();
  const good = queue.add(wirePublish({ type: 'Ping' }));
  const bad = queue.add(wirePublish({ type: 'Ping' }));
  const batch = queue.take()!;
  queue.answered(batch.ref, [ack(7), { error: { code: 'TROUPE_NODE_RECOVERING', message: 'later' } }]);
  t.same(await good, ack(7));
  await t.rejects(bad, { code: 'TROUPE_NODE_RECOVERING' });
  t.equal(queue.inFlight, 0);
});

t.test('answers that do not match a batch sent are a protocol error', async (t) => {
  const queue = new PublishQueue();
  void queue.add(wirePublish({ type: 'Ping' }));
  const batch = queue.take()!;
  t.throws(() => queue.answered(batch.ref + 1, [ack(1)]), { code: 'TROUPE_PROTOCOL_BAD_FRAME' });
  t.throws(() => queue.answered(batch.ref, []), { code: 'TROUPE_PROTOCOL_BAD_FRAME' });
});

t.test('a lost connection fails what was in flight and keeps what was not sent', async (t) => {
  const queue = new PublishQueue({ maxBatchEvents: 1 });
  const sent = queue.add(wirePublish({ type: 'Sent' }));
  const waiting = queue.add(wirePublish({ type: 'Waiting' }));
  queue.take();
  queue.lost(Object.assign(new Error('gone'), { code: 'TROUPE_CLIENT_DISCONNECTED' }) as never);
  await t.rejects(sent, { code: 'TROUPE_CLIENT_DISCONNECTED' });
  t.equal(queue.queued, 1);
  const again = queue.take()!;
  t.same(again.events.map((e) => e[0]), ['Waiting'], 'the unsent event goes on the next connection');
  queue.answered(again.ref, [ack(1)]);
  t.same(await waiting, ack(1));
});

t.test('data that cannot be encoded fails its own publish before it joins a batch', async (t) => {
  t.throws(() => wirePublish({ type: 'Huge', data: 'x'.repeat(1024 * 1024 + 1) }), { code: 'TROUPE_PROTOCOL_BAD_EVENT' });
});
