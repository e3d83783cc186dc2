import t, { type Test } from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { assign, setup } from 'xstate';
import { encodeEvent } from '../protocol/codec.js';
import type { Clock } from '../runtime/clock.js';
import { Fabric, type PeerLink } from '../runtime/fabric.js';
import { Host } from '../runtime/host.js';
import { CLOSE_TOO_SLOW, InspectorFeed } from '../runtime/inspector-feed.js';
import { isLoopbackOrigin } from '../runtime/upgrade-gate.js';
import type { LinkCutter } from '../runtime/link-cutter.js';
import type { ServiceDefinition } from '../runtime/service.js';
import { Store } from '../runtime/store.js';
import { FeedClient, upgradeStatus } from './helpers/feed-client.js';
import { waitFor } from './helpers/wait-for.js';

const silent = pino({ level: 'silent' });

/** Counts `Tick`s per key, moving from `idle` to `counting`; fails on `Boom`. */
const counter: ServiceDefinition = {
  name: 'counter',
  on: ['Tick', 'Boom'],
  key: (e) => e.data?.id,
  machine: setup({ types: { context: {} as { n: number } } }).createMachine({
    context: { n: 0 },
    initial: 'idle',
    states: {
      idle: { on: { Tick: { target: 'counting', actions: assign(({ context }) => ({ n: context.n + 1 })) } } },
      counting: {
        on: {
          Tick: { actions: assign(({ context }) => ({ n: context.n + 1 })) },
          Boom: {
            actions: () => {
              throw new Error('boom');
            },
          },
        },
      },
    },
  }),
};

/** A singleton that keeps a bigint in its context, which JSON cannot hold as it is. */
const ledger: ServiceDefinition = {
  name: 'ledger',
  on: ['Big'],
  machine: setup({ types: { context: {} as { total: bigint } } }).createMachine({
    context: { total: 0n },
    on: { Big: { actions: assign(({ context }) => ({ total: context.total + 10n ** 18n })) } },
  }),
};

/** A clock whose timers run only when the test says. */
class StepClock implements Clock {
  private timers = new Map<number, () => void>();
  private next = 0;
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void): number {
    this.timers.set(++this.next, fn);
    return this.next;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Runs the timers due now (those set meanwhile wait for the next call). */
  step(): void {
    const due = this.timers;
    this.timers = new Map();
    for (const fn of due.values()) fn();
  }
  get pending(): number {
    return this.timers.size;
  }
}

/** A cutter that remembers what it was told. */
class FakeCutter implements LinkCutter {
  readonly cuts = new Set<string>();
  cut(peer: string): void {
    this.cuts.add(peer);
  }
  heal(peer: string): void {
    this.cuts.delete(peer);
  }
  isCut(peer: string): boolean {
    return this.cuts.has(peer);
  }
}

/** Events of origin `p` with the given seqs, each depending only on its predecessor. */
function fromP(...seqs: number[]) {
  return seqs.map((seq) =>
    encodeEvent({ origin: 'p', seq, schema: 1, vc: { p: seq }, type: 'Tick', correlationId: 'cp', causationId: null, ts: seq, data: { id: 'k' } }),
  );
}

/** Node `n1` with a counter, one linked peer `p`, and its feed served on a loopback port. */
async function setupFeed(t: Test, options: { chaos?: LinkCutter; maxBufferedBytes?: number } = {}) {
  const store = await Store.open(t.testdir(), 'n1', { sync: false });
  let fabric: Fabric | undefined;
  const host = new Host({ services: [counter, ledger], schedule: (task) => fabric?.schedule(task) });
  fabric = new Fabric({ id: 'n1', store, host, log: silent });
  const link: PeerLink = { peer: 'p', origin: 'p', bufferedAmount: 0, send: () => {}, close: () => {}, pause: () => {}, resume: () => {} };
  fabric.linkUp(link);
  const clock = new StepClock();
  const feed = new InspectorFeed({ fabric, host, store, chaos: options.chaos }, { clock, maxBufferedBytes: options.maxBufferedBytes });
  const server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => feed.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const running = fabric;
  t.teardown(async () => {
    feed.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await running.stop();
    host.stop();
    await store.close();
  });
  const viewer = async (): Promise<FeedClient> => {
    const client = await FeedClient.connect(url);
    t.teardown(() => client.close());
    return client;
  };
  return { fabric: running, host, store, link, clock, feed, url, viewer };
}

t.test('a viewer gets a hello with the whole state: status, actors, events with transitions, held-back events, dead letters', async (t) => {
  const chaos = new FakeCutter();
  const { fabric, link, url, viewer } = await setupFeed(t, { chaos });
  await fabric.publish({ type: 'Tick', data: { id: 'a' } });
  await fabric.publish({ type: 'Boom', data: { id: 'a' } });
  fabric.receive(link, { type: 'events', events: fromP(3) });
  await waitFor(() => fabric.buffered, { message: 'p:3 held back', until: (n) => n === 1 });

  const client = await viewer();
  const hello = await client.next('hello');
  t.equal(hello.status.id, 'n1');
  t.equal(hello.status.chaos, true);
  t.same(hello.status.peers.map((p) => [p.id, p.connected]), [['p', true]]);
  t.same(hello.events.map((e) => [e.pos, e.type]), [[1, 'Tick'], [2, 'Boom']]);
  t.same(hello.events[0].transitions, [{ service: 'counter', key: 'a', from: 'idle', to: 'counting' }]);
  t.same(hello.events[1].transitions, [], 'the failed event moved nothing');
  t.match(hello.actors, [{ service: 'counter', key: 'a', state: 'counting', context: { n: 1 }, accepts: ['Boom', 'Tick'] }]);
  t.match(hello.heldBack, [{ id: 'p:3', origin: 'p', seq: 3, waitingFor: ['p:2'] }]);
  t.match(hello.deadLetters, [{ service: 'counter', key: 'a', eventId: 'n1:2', error: { code: 'TROUPE_SERVICE_FAILED' } }]);
  t.equal((await upgradeStatus(url, undefined)), 101, 'a client without an Origin is let in');
});

t.test('deltas gather between rounds and go out together, each event once', async (t) => {
  const { fabric, link, clock, viewer } = await setupFeed(t);
  await fabric.publish({ type: 'Tick', data: { id: 'a' } });
  const client = await viewer();
  const hello = await client.next('hello');
  t.equal(hello.events.length, 1);
  await fabric.publish({ type: 'Tick', data: { id: 'a' } });
  await fabric.publish({ type: 'Tick', data: { id: 'b' } });
  fabric.receive(link, { type: 'events', events: fromP(2) });
  await waitFor(() => fabric.buffered, { message: 'p:2 held back', until: (n) => n === 1 });
  t.same(client.inbox, [], 'nothing is sent before the round');

  clock.step();
  const events = await client.next('events');
  t.same(events.events.map((e) => [e.pos, e.id]), [[2, 'n1:2'], [3, 'n1:3']], 'two commits in one message');
  t.same(events.events[1].transitions, [{ service: 'counter', key: 'b', from: 'idle', to: 'counting' }]);
  const actors = await client.next('actors');
  t.same(actors.actors.map((a) => [a.key, a.state, (a.context as { n: number }).n]).sort(), [['a', 'counting', 2], ['b', 'counting', 1]]);
  const heldBack = await client.next('heldBack');
  t.match(heldBack.heldBack, [{ id: 'p:2', waitingFor: ['p:1'] }]);
  const status = await client.next('status');
  t.same(status.status.vc, { n1: 3 });

  fabric.receive(link, { type: 'events', events: fromP(1) });
  await waitFor(() => fabric.size, { message: 'p:1 and p:2 delivered', until: (n) => n === 5 });
  clock.step();
  t.same((await client.next('events')).events.map((e) => e.id), ['p:1', 'p:2']);
  t.same((await client.next('actors')).actors.map((a) => [a.key, (a.context as { n: number }).n]), [['k', 2]]);
  t.same((await client.next('heldBack')).heldBack, [], 'the held-back event went out of the buffer');
  t.same((await client.next('status')).status.vc, { n1: 3, p: 2 });

  clock.step();
  await fabric.publish({ type: 'Nothing' });
  clock.step();
  t.same((await client.next('events')).events.map((e) => e.type), ['Nothing']);
  t.same(client.inbox.map((m) => m.kind), ['status'], 'unchanged held-back events are not sent again; no actor moved');
});

t.test('nothing is observed and no round runs while no viewer is connected', async (t) => {
  const { fabric, clock, feed, viewer } = await setupFeed(t);
  t.equal(clock.pending, 0);
  const client = await viewer();
  await client.next('hello');
  t.equal(feed.size, 1);
  t.equal(clock.pending, 1, 'a round is scheduled while a viewer watches');
  client.close();
  await waitFor(() => feed.size, { message: 'the viewer gone', until: (n) => n === 0 });
  t.equal(clock.pending, 0, 'the round is cancelled when the last viewer leaves');
  await fabric.publish({ type: 'Tick', data: { id: 'a' } });
  t.equal(clock.pending, 0);
});

t.test('a viewer may cut and heal a link of a --chaos node; unknown peers and bad requests are refused', async (t) => {
  const chaos = new FakeCutter();
  const { clock, viewer } = await setupFeed(t, { chaos });
  const client = await viewer();
  await client.next('hello');
  t.same(await client.ask({ op: 'cut', ref: 1, peer: 'p' }), { kind: 'reply', ref: 1, ok: true });
  t.ok(chaos.isCut('p'));
  clock.step();
  t.equal((await client.next('status')).status.peers[0].cut, true, 'the status shows the cut');
  t.same(await client.ask({ op: 'heal', ref: 2, peer: 'p' }), { kind: 'reply', ref: 2, ok: true });
  t.notOk(chaos.isCut('p'));
  t.match(await client.ask({ op: 'cut', ref: 3, peer: 'zz' }), { ref: 3, ok: false, error: { code: 'TROUPE_NOT_FOUND' } });
  t.match(await client.ask('{not json'), { ref: 0, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await client.ask(JSON.stringify({ op: 'explode', ref: 4 }), 4), { ref: 4, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await client.ask(JSON.stringify({ op: 'cut', ref: 5 }), 5), { ref: 5, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.match(await client.ask(JSON.stringify([1, 2])), { ref: 0, ok: false, error: { code: 'TROUPE_BAD_REQUEST' } });
  t.same([...chaos.cuts], [], 'no bad request cut anything');
});

t.test('a node without --chaos answers cut and heal with TROUPE_CHAOS_DISABLED', async (t) => {
  const { viewer } = await setupFeed(t);
  const client = await viewer();
  await client.next('hello');
  t.match(await client.ask({ op: 'cut', ref: 7, peer: 'p' }), { ref: 7, ok: false, error: { code: 'TROUPE_CHAOS_DISABLED' } });
  t.match(await client.ask({ op: 'heal', ref: 8, peer: 'p' }), { ref: 8, ok: false, error: { code: 'TROUPE_CHAOS_DISABLED' } });
});

t.test('a viewer may replay a dead letter; the dead-letter list follows', async (t) => {
  const { fabric, clock, viewer } = await setupFeed(t);
  await fabric.publish({ type: 'Tick', data: { id: 'a' } });
  const client = await viewer();
  await client.next('hello');
  await fabric.publish({ type: 'Boom', data: { id: 'a' } });
  clock.step();
  t.match((await client.next('deadLetters')).deadLetters, [{ service: 'counter', eventId: 'n1:2' }]);
  t.match(await client.ask({ op: 'replay', ref: 1, service: 'counter', eventId: 'n1:2' }), { ok: false, error: { code: 'TROUPE_SERVICE_FAILED' } });
  t.match(await client.ask({ op: 'replay', ref: 2, service: 'counter', eventId: 'n1:99' }), { ok: false, error: { code: 'TROUPE_NOT_FOUND' } });
});

t.test('only loopback pages may open the feed', async (t) => {
  const { url } = await setupFeed(t);
  t.equal(await upgradeStatus(url, 'https://evil.example'), 403);
  t.equal(await upgradeStatus(url, 'http://127.0.0.1.evil.example:8080'), 403);
  t.equal(await upgradeStatus(url, 'null'), 403);
  t.equal(await upgradeStatus(url, 'http://localhost:5173'), 101);
  t.ok(isLoopbackOrigin('http://[::1]:9000'));
  t.ok(isLoopbackOrigin('https://127.0.0.1'));
  t.notOk(isLoopbackOrigin('file://'));
  t.notOk(isLoopbackOrigin('http://10.0.0.1:8080'));
});

t.test('a viewer that does not read is closed as too slow instead of buffered without bound', async (t) => {
  const { fabric, clock, feed, viewer } = await setupFeed(t, { maxBufferedBytes: 1024 });
  const client = await viewer();
  await client.next('hello');
  client.socket.pause();
  const big = 'x'.repeat(500_000);
  // Each round sends half a megabyte; the kernel's buffers take some, then the socket's queue grows.
  await waitFor(
    async () => {
      await fabric.publish({ type: 'Tick', data: { id: 'a', big } });
      clock.step();
      return feed.size;
    },
    { message: 'the server gave up on the viewer', until: (viewers) => viewers === 0, interval: 1, timeout: 60_000 },
  );
  t.ok(fabric.size < 100, `given up after ${fabric.size} rounds of half a megabyte, not kept buffering`);
  client.socket.resume();
  await waitFor(() => client.closed, { message: 'the viewer closed' });
  t.equal(client.closed?.code, CLOSE_TOO_SLOW);
  t.match(client.closed?.reason, /^TROUPE_FEED_TOO_SLOW/);
});

t.test('an actor whose context JSON cannot hold as it is still shows, its bigints as strings', async (t) => {
  const { fabric, clock, viewer } = await setupFeed(t);
  await fabric.publish({ type: 'Big' });
  const client = await viewer();
  t.match((await client.next('hello')).actors, [{ service: 'ledger', key: null, context: { total: '1000000000000000000' } }]);
  await fabric.publish({ type: 'Big' });
  clock.step();
  t.match((await client.next('actors')).actors, [{ service: 'ledger', context: { total: '2000000000000000000' } }]);
  await fabric.publish({ type: 'Big' });
  clock.step();
  t.match((await client.next('actors')).actors, [{ context: { total: '3000000000000000000' } }], 'the rounds go on');
});
