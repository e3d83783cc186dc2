/**
 * The inspection stream in one process: a real host with the orders machines, the stream
 * served on `/inspect` by a real HTTP server on loopback, and `@statelyai/inspect`'s own
 * receiver and inspector server reading it.
 */
import t, { type Test } from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import { createActor, createMachine } from 'xstate';
import WebSocket from 'ws';
import type { Envelope } from '../protocol/envelope.js';
import { Host, type Emission } from '../runtime/host.js';
import { InspectionStream } from '../runtime/inspection-stream.js';
import { isLoopbackOrigin } from '../runtime/upgrade-gate.js';
import { STATELY_FORMAT_VERSION } from '../runtime/stately-event.js';
import orders from '../examples/orders/index.js';
import { actorsNamed, freePort, receive, startStatelyServer, statesOf, waitForActorIn, type Received } from './helpers/stately-inspector.js';
import { waitFor } from './helpers/wait-for.js';

const log = pino({ level: 'silent' });

let seq = 0;
/** An event of node n1, as the fabric would deliver it. */
function envelope(type: string, data: unknown, causationId: string | null = null): Envelope {
  seq++;
  return { id: `n1:${seq}`, type, data, origin: 'n1', seq, vc: { n1: seq }, correlationId: 'o-1', causationId, ts: 1000 + seq, schema: 1 };
}

/** A host with every service of the orders app, inspected by a stream of node n1. */
function inspectedHost(push?: string): { host: Host; stream: InspectionStream } {
  const stream = new InspectionStream({ node: 'n1', log, push, backoff: { initialMs: 20, maxMs: 200 } });
  const host = new Host({ services: orders.services, schedule: () => {}, inspect: stream.inspect });
  stream.attach(host);
  return { host, stream };
}

/** Serves `stream` on `/inspect` of a loopback HTTP server; returns the WebSocket URL. */
async function serve(t: Test, stream: InspectionStream): Promise<string> {
  const server = createServer();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => stream.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    await stream.stop();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/inspect`;
}

/** Delivers `e` and then, as the fabric would, each emission as an event of n1 caused by it. */
function deliverAll(host: Host, e: Envelope): Envelope[] {
  const delivered = [e];
  const pending: Emission[] = [...host.deliver(e, seq)];
  while (pending.length > 0) {
    const { emitted, cause } = pending.shift()!;
    const next = envelope(emitted.type, emitted.data, cause?.id ?? null);
    delivered.push(next);
    pending.push(...host.deliver(next, seq));
  }
  return delivered;
}

const order = { orderId: 'o-1', sku: 'widget', qty: 1, amount: 10, shipDelayMs: 5 };

t.test('a viewer first gets every current actor, then the live events of each, in the Stately format', async (t) => {
  const { host, stream } = inspectedHost();
  t.teardown(() => host.stop());
  const url = await serve(t, stream);
  host.deliver(envelope('OrderPlaced', order), 1);

  const viewer = receive(url);
  const sessionId = await waitForActorIn(viewer, 'order:o-1', 'pending', 'the order placed before the viewer came');
  const [announced] = actorsNamed(viewer, 'order:o-1');
  t.match(announced, { _version: STATELY_FORMAT_VERSION, sessionId: /^n1\/x:\d+$/, parentId: undefined, id: null, createdAt: /^\d+$/ });
  t.equal(announced.rootId, sessionId, 'each hosted actor is its own root');
  const definition = JSON.parse(announced.definition!);
  t.equal(definition.id, 'order', 'the definition is the machine config');
  t.ok(definition.states.completed, 'with its states');
  t.match(announced.snapshot, { status: 'active', value: 'pending', context: { orderId: 'o-1' } });

  host.deliver(envelope('OrderShipped', { orderId: 'o-1' }), 2);
  await waitFor(() => statesOf(viewer, sessionId), { until: (s) => s.includes('completed'), message: 'the order to move to completed' });
  const shipped = viewer.events.find((e) => e.type === '@xstate.event' && e.sessionId === sessionId);
  t.match(shipped, { event: { type: 'OrderShipped', data: { orderId: 'o-1' }, troupe: { id: /^n1:\d+$/, correlationId: 'o-1' } }, rootId: sessionId });
  t.notOk(shipped && 'sourceId' in shipped, 'an event from outside the node names no source');
});

t.test('announces an actor with the state it started in, even when more events follow in the same tick', async (t) => {
  const { host, stream } = inspectedHost();
  t.teardown(() => host.stop());
  const url = await serve(t, stream);
  const viewer = receive(url);
  // The receiver is connected once the node counts a viewer.
  await waitFor(() => stream.watched, { message: 'the viewer to connect' });
  host.deliver(envelope('OrderPlaced', order), 1);
  host.deliver(envelope('OrderShipped', { orderId: 'o-1' }), 2);
  const sessionId = await waitForActorIn(viewer, 'order:o-1', 'completed', 'the order placed and shipped');
  t.equal(actorsNamed(viewer, 'order:o-1')[0].snapshot.value, 'idle', 'announced as it was created, not as it is later');
  t.same(statesOf(viewer, sessionId), ['idle', 'pending', 'completed'], 'then its snapshots: started, placed, shipped');
});

t.test("names the local actor whose emission an event is as that event's source", async (t) => {
  const { host, stream } = inspectedHost();
  t.teardown(() => host.stop());
  const url = await serve(t, stream);
  const viewer = receive(url);
  await waitFor(() => stream.watched, { message: 'the viewer to connect' });
  const delivered = deliverAll(host, envelope('OrderPlaced', order));
  t.same(delivered.map((e) => e.type), ['OrderPlaced', 'OrderCreated', 'InventoryReserved', 'PaymentCaptured'], 'the choreography ran on this host');
  await waitFor(() => actorsNamed(viewer, 'shipping:o-1'), { until: (a) => a.length > 0, message: 'the shipping actor' });
  const orderId = actorsNamed(viewer, 'order:o-1')[0].sessionId;
  const inventoryId = actorsNamed(viewer, 'inventory')[0]?.sessionId;
  const paymentId = actorsNamed(viewer, 'payment:o-1')[0].sessionId;
  const arrival = (type: string) => viewer.events.find((e) => e.type === '@xstate.event' && e.event.type === type);
  await waitFor(() => arrival('PaymentCaptured'), { message: 'PaymentCaptured to reach shipping' });
  t.equal(arrival('OrderCreated')?.sessionId, inventoryId, 'the singleton is named after its service');
  t.match(arrival('OrderCreated'), { sourceId: orderId, event: { troupe: { id: delivered[1].id, causationId: delivered[0].id } } });
  t.match(arrival('InventoryReserved'), { sourceId: inventoryId });
  t.match(arrival('PaymentCaptured'), { sourceId: paymentId });
});

t.test('builds no JSON while nobody watches', async (t) => {
  const { host } = inspectedHost();
  t.teardown(() => host.stop());
  const calls = t.capture(JSON, 'stringify', JSON.stringify);
  deliverAll(host, envelope('OrderPlaced', order));
  t.equal(calls().length, 0);
});

t.test('refuses a page from another origin with 403 and takes loopback pages and tools', async (t) => {
  for (const ok of [undefined, 'http://localhost:5173', 'http://127.0.0.1', 'https://[::1]:8443']) t.ok(isLoopbackOrigin(ok), String(ok));
  for (const bad of ['https://evil.example', 'http://localhost.evil.example', 'null', 'file://', 'http://127.0.0.2', 'chrome-extension://abc']) {
    t.notOk(isLoopbackOrigin(bad), bad);
  }
  const { host, stream } = inspectedHost();
  t.teardown(() => host.stop());
  const url = await serve(t, stream);
  const refused = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(url, { origin: 'https://evil.example' });
    ws.on('open', () => reject(new Error('a foreign page was let in')));
    ws.on('error', () => {});
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  t.equal(refused.status, 403);
  t.equal(JSON.parse(refused.body).error.code, 'TROUPE_FORBIDDEN_ORIGIN');
  t.equal(stream.watched, false, 'the refused page is no viewer');
  const local = new WebSocket(url, { origin: 'http://localhost:3000' });
  await new Promise((resolve, reject) => local.once('open', resolve).once('error', reject));
  t.equal(stream.watched, true, 'a loopback page is');
  local.close();
});

t.test('pushes to a Stately inspector server that comes up late, current actors first, then what it kept', async (t) => {
  const port = await freePort();
  const { host, stream } = inspectedHost(`ws://127.0.0.1:${port}`);
  t.teardown(async () => {
    host.stop();
    await stream.stop();
  });
  stream.start();
  host.deliver(envelope('OrderPlaced', order), 1);
  host.deliver(envelope('OrderShipped', { orderId: 'o-1' }), 2);

  await startStatelyServer(t, port);
  const viewer: Received = receive(`ws://127.0.0.1:${port}`);
  const sessionId = await waitForActorIn(viewer, 'order:o-1', 'completed', 'the order, pushed once the server is up');
  const first = viewer.events[0];
  t.match(first, { type: '@xstate.actor', name: 'order:o-1', snapshot: { value: 'completed' } }, 'the actor as it is now comes first');
  t.equal(actorsNamed(viewer, 'order:o-1').length, 1, 'the announcement kept from before is not sent again');
  t.same(statesOf(viewer, sessionId), ['idle', 'pending', 'completed'], 'then the snapshots kept while the server was down');

  host.deliver(envelope('OrderPlaced', { ...order, orderId: 'o-2' }), 3);
  await waitForActorIn(viewer, 'order:o-2', 'pending', 'a live order after the connect');
});

t.test(`follows the format of @statelyai/inspect ${STATELY_FORMAT_VERSION}`, async (t) => {
  const installed = JSON.parse(readFileSync(new URL('../node_modules/@statelyai/inspect/package.json', import.meta.url), 'utf8')).version as string;
  const minor = (v: string) => v.split('.').slice(0, 2).join('.');
  t.equal(minor(STATELY_FORMAT_VERSION), minor(installed), 'a new minor version of @statelyai/inspect may change the format: check it, then bump');
});

t.test('forgets actors that stopped (passivated ones) instead of keeping every actor ever created', async (t) => {
  const stream = new InspectionStream({ node: 'n1', log });
  t.teardown(() => stream.stop());
  const machine = createMachine({ initial: 'idle', states: { idle: {} } });
  let live = 0;
  for (let i = 0; i < 3000; i++) {
    const actor = createActor(machine, { inspect: (event) => stream.inspect({ service: 's', key: `k${i}` }, event, null) });
    actor.start();
    if (i % 10 === 0) live++;
    else actor.stop();
  }
  const tracked = stream.currentActors().length;
  t.ok(tracked >= live, `every live actor is still shown (${tracked} ≥ ${live})`);
  t.ok(tracked < 1024, `stopped actors were swept out: ${tracked} of 3000 kept`);
});
