/**
 * When `troupe/client` sends: against a stand-in node (a WebSocket server in this
 * process that speaks the client protocol and answers when the test says), publishes made
 * together leave in one message whether the client is idle or has publishes in flight.
 */
import t from 'tap';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect } from '../client/index.js';
import { decodeRequest, encodeReply } from '../protocol/client-codec.js';
import type { PublishRequest } from '../protocol/client-message.js';
import type { Teardownable } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

/** A stand-in node: records every publish and answers one when asked. */
async function standIn(t: Teardownable): Promise<{ url: string; publishes: PublishRequest[]; answer: (request: PublishRequest) => void }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  t.teardown(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const publishes: PublishRequest[] = [];
  let socket: WebSocket | undefined;
  let seq = 0;
  wss.on('connection', function standInOnConnection(ws) {
    socket = ws;
    ws.send(encodeReply({ type: 'hello', node: 'n1', protocol: 2 }));
    ws.on('message', function standInOnMessage(data: Buffer) {
      const request = decodeRequest(data);
      if (request.type === 'publish') publishes.push(request);
    });
  });
  const answer = (request: PublishRequest): void => {
    const answers = request.events.map(() => {
      seq++;
      return { id: `n1:${seq}`, origin: 'n1~a', seq, vc: { 'n1~a': seq }, correlationId: `n1:${seq}` };
    });
    socket?.send(encodeReply({ type: 'published', ref: request.ref, answers }));
  };
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, publishes, answer };
}

t.test('publishes made together by an idle client leave in one message', async (t) => {
  const node = await standIn(t);
  const client = await connect(node.url);
  t.teardown(() => client.close());
  const acks = Promise.all([1, 2, 3].map((n) => client.publish({ type: 'Ping', data: n })));
  await waitFor(() => node.publishes.length, { until: (n) => n > 0, message: 'the publishes to arrive' });
  t.same(
    node.publishes.map((p) => p.events.map((e) => e.data)),
    [[1, 2, 3]],
  );
  node.answer(node.publishes[0]);
  t.same((await acks).map((a) => a.seq), [1, 2, 3]);
});

t.test('publishes made as answers settle, while others are in flight, leave in one message', async (t) => {
  const node = await standIn(t);
  const client = await connect(node.url);
  t.teardown(() => client.close());
  const first = [1, 2, 3].map((n) => client.publish({ type: 'Ping', data: n }));
  const held = client.publish({ type: 'Held' });
  await waitFor(() => node.publishes.length, { until: (n) => n > 0, message: 'the first publishes to arrive' });
  // Each settled publish makes another, some more promise steps later than others.
  const refills = first.map(async (ack, i) => {
    await ack;
    for (let step = 0; step < 3 * i; step++) await Promise.resolve();
    return client.publish({ type: 'Refill', data: i });
  });
  node.answer(node.publishes[0]);
  await waitFor(() => node.publishes.length, { until: (n) => n > 1, message: 'the refills to arrive' });
  t.same(
    node.publishes.map((p) => p.events.map((e) => e.type)),
    [
      ['Ping', 'Ping', 'Ping', 'Held'],
      ['Refill', 'Refill', 'Refill'],
    ],
    'the refills join one message',
  );
  for (const request of node.publishes.slice(1)) node.answer(request);
  t.same(await Promise.all(refills.map(async (r) => (await r).seq)), [5, 6, 7]);
  t.equal((await held).seq, 4);
});
