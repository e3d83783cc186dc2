/**
 * The node's peer links over real WebSockets on 127.0.0.1: dialing, accepting through the
 * node's upgrade, redialing on XState's `SimulatedClock` (so the backoff is driven, not
 * slept), and stopping.
 */
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import type { Fabric, PeerLink } from '../runtime/fabric.js';
import { Links } from '../runtime/links.js';
import { waitFor } from './helpers/wait-for.js';

/** A fabric that records which peers linked. */
function fakeFabric() {
  const up: string[] = [];
  const down: string[] = [];
  const fabric = {
    origin: 'n~test',
    linkUp: (link: PeerLink) => (up.push(link.peer), true),
    linkDown: (link: PeerLink) => void down.push(link.peer),
    receive: () => {},
  };
  return { fabric: fabric as unknown as Fabric, up, down };
}

/** A logger whose records the test can read. */
function recordingLog() {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), records };
}

async function listen(t: Test, links?: Links): Promise<{ server: Server; url: string }> {
  const server = createServer();
  if (links !== undefined) server.on('upgrade', (req, socket, head) => links.upgrade(req, socket, head));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

t.test('a node dials a peer, which accepts it through the upgrade the node routes to it', async (t) => {
  const clock = new SimulatedClock();
  const a = fakeFabric();
  const b = fakeFabric();
  const silent = pino({ level: 'silent' });
  const linksB = new Links({ id: 'b', cluster: 'c', secret: 's', fabric: b.fabric, log: silent, peers: [], clock });
  const { url } = await listen(t, linksB);
  const linksA = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log: silent, peers: [url], clock });
  linksA.start();
  await waitFor(() => a.up.length + b.up.length, { message: 'both sides linked', until: (n) => n === 2, timeout: 10_000, interval: 5 });
  t.same(a.up, ['b']);
  t.same(b.up, ['a']);
  await linksA.stop();
  await linksB.stop();
  await waitFor(() => a.down.length + b.down.length, { message: 'both sides saw the link go down', until: (n) => n === 2, timeout: 10_000, interval: 5 });
  t.same([a.down, b.down], [['b'], ['a']]);
});

t.test('a refused dial is retried when the backoff delay has passed on the clock, and not before', async (t) => {
  const clock = new SimulatedClock();
  const { server, url } = await listen(t);
  await new Promise<void>((resolve) => server.close(() => resolve())); // nobody listens there now
  const { log, records } = recordingLog();
  const a = fakeFabric();
  const links = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log, peers: [url], clock, backoff: { initialMs: 100, maxMs: 100 } });
  t.teardown(() => links.stop());
  const redials = () => records.filter((r) => r.msg === 'redialing peer');
  links.start();
  await waitFor(() => redials().length, { message: 'the first redial scheduled', until: (n) => n === 1, timeout: 10_000, interval: 5 });
  // The log rounds the delay: the timer's own is within half a ms of it.
  const delay = redials()[0].delay as number;
  t.ok(delay >= 50 && delay <= 100, `delay ${delay} ms is within the backoff's bounds`);
  clock.increment(delay - 1);
  await new Promise((resolve) => setTimeout(resolve, 50)); // a redial would have been refused by now
  t.equal(redials().length, 1, 'no second dial before the delay');
  clock.increment(2);
  await waitFor(() => redials().length, { message: 'the second redial scheduled', until: (n) => n === 2, timeout: 10_000, interval: 5 });
  t.equal(redials()[1].attempt, 2, 'the next attempt');
  t.same(a.up, []);
});

t.test('stop closes every link and stops redialing', async (t) => {
  const clock = new SimulatedClock();
  const { server, url } = await listen(t);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const { log, records } = recordingLog();
  const links = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: fakeFabric().fabric, log, peers: [url], clock });
  links.start();
  await waitFor(() => records.filter((r) => r.msg === 'redialing peer').length, { message: 'a redial scheduled', until: (n) => n === 1, timeout: 10_000, interval: 5 });
  await links.stop();
  clock.increment(60_000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(records.filter((r) => r.msg === 'redialing peer').length, 1, 'no dial after stop');
});

/** A fabric that holds at most one link per peer, as the real one does. */
function exclusiveFabric() {
  const links = new Map<string, PeerLink>();
  const fabric = {
    origin: 'n~test',
    linkUp: (link: PeerLink) => (links.has(link.peer) ? false : (links.set(link.peer, link), true)),
    linkDown: (link: PeerLink) => void (links.get(link.peer) === link && links.delete(link.peer)),
    receive: () => {},
  };
  return { fabric: fabric as unknown as Fabric, links };
}

t.test('two nodes that dial each other end with one link, and the dialer that lost the tie-break stops redialing until it goes down', async (t) => {
  const clock = new SimulatedClock();
  const a = exclusiveFabric();
  const b = exclusiveFabric();
  const logA = recordingLog();
  const logB = recordingLog();
  const serverA = await listen(t);
  const serverB = await listen(t);
  const backoff = { initialMs: 100, maxMs: 1000 };
  const linksA = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log: logA.log, peers: [serverB.url], clock, backoff });
  const linksB = new Links({ id: 'b', cluster: 'c', secret: 's', fabric: b.fabric, log: logB.log, peers: [serverA.url], clock, backoff });
  serverA.server.on('upgrade', (req, socket, head) => linksA.upgrade(req, socket, head));
  serverB.server.on('upgrade', (req, socket, head) => linksB.upgrade(req, socket, head));
  t.teardown(async () => {
    await linksA.stop();
    await linksB.stop();
  });
  const dials = () => [...logA.records, ...logB.records].filter((r) => r.msg === 'redialing peer').length;
  linksA.start();
  linksB.start();
  // Whatever the race did, drive the backoff until both hold a link.
  await waitFor(
    async () => {
      clock.increment(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      return a.links.has('b') && b.links.has('a');
    },
    { message: 'a and b linked', until: (up) => up, timeout: 20_000, interval: 5 },
  );
  const settled = dials();
  for (let i = 0; i < 30; i++) {
    clock.increment(1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.ok(dials() - settled <= 1, `${dials() - settled} redials in 30 s of backoff after the link was up`);
  t.ok(a.links.has('b') && b.links.has('a'), 'still linked');
  t.equal((a.links.get('b') as unknown as { direction: string }).direction, 'dialed', 'by the connection a, the smaller id, dialed');
  t.equal((b.links.get('a') as unknown as { direction: string }).direction, 'accepted');

  t.ok(logB.records.some((r) => r.msg === 'linked to that peer by another connection: not redialing until that link goes down'), 'b\'s dialer stood aside');

  // The link goes down: both dial again, and the tie-break settles it again.
  const before = a.links.get('b');
  (before as PeerLink).close(1001, 'going away');
  await waitFor(
    async () => {
      clock.increment(1000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const link = a.links.get('b');
      return link !== undefined && link !== before && (link as unknown as { direction: string }).direction === 'dialed' && b.links.has('a');
    },
    { message: 'a and b linked again by the connection a dialed', until: (up) => up, timeout: 20_000, interval: 5 },
  );
  t.pass('a new link came up, the one a dialed');
});
