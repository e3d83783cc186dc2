/**
 * The node's peer links over real WebSockets on 127.0.0.1: dialing, accepting through the
 * node's upgrade, redialing on XState's `SimulatedClock` (so the backoff is driven, not
 * slept), and stopping. Whether a redial is due is read off the clock's timers, which fire
 * inside `increment`: nothing waits for something not to happen.
 */
import t, { type Test } from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import type { Clock } from '../runtime/clock.js';
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

/** Longer than any test runs, in simulated time. */
const DAY_MS = 86_400_000;

/** A timer set on a {@link watchedClock}. */
interface WatchedTimer {
  /** The simulated time it was set at, and its delay. */
  readonly at: number;
  readonly ms: number;
  fired: boolean;
  cleared: boolean;
}

/** XState's `SimulatedClock`, recording every timer set on it and what became of it. */
function watchedClock() {
  const simulated = new SimulatedClock();
  const timers: WatchedTimer[] = [];
  const byHandle = new Map<unknown, WatchedTimer>();
  const clock: Clock = {
    now: () => simulated.now(),
    setTimeout(fn, ms) {
      const timer: WatchedTimer = { at: simulated.now(), ms, fired: false, cleared: false };
      timers.push(timer);
      const handle = simulated.setTimeout(() => {
        timer.fired = true;
        fn();
      }, ms);
      byHandle.set(handle, timer);
      return handle;
    },
    clearTimeout(handle) {
      const timer = byHandle.get(handle);
      if (timer !== undefined) timer.cleared = true;
      simulated.clearTimeout(handle as number);
    },
  };
  const pending = (): WatchedTimer[] => timers.filter((timer) => !timer.fired && !timer.cleared);
  const fired = (): number => timers.filter((timer) => timer.fired).length;
  return { simulated, clock, pending, fired };
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
  const { simulated, clock, pending } = watchedClock();
  const { server, url } = await listen(t);
  await new Promise<void>((resolve) => server.close(() => resolve())); // nobody listens there now
  const { log, records } = recordingLog();
  const a = fakeFabric();
  const links = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log, peers: [url], clock, backoff: { initialMs: 100, maxMs: 100 } });
  t.teardown(() => links.stop());
  const redials = () => records.filter((r) => r.msg === 'redialing peer');
  links.start();
  await waitFor(() => redials().length, { message: 'the first redial scheduled', until: (n) => n === 1, timeout: 10_000, interval: 5 });
  const [retry, ...others] = pending();
  t.same(others, [], 'one timer pending: the redial');
  t.ok(retry.ms >= 50 && retry.ms <= 100, `delay ${retry.ms} ms is within the backoff's bounds`);
  t.equal(redials()[0].delay, Math.round(retry.ms), 'the log says the delay, rounded');
  simulated.set(retry.at + retry.ms - 1);
  t.notOk(retry.fired, 'no second dial a ms before the delay');
  simulated.set(retry.at + retry.ms);
  t.ok(retry.fired, 'the second dial at the delay');
  await waitFor(() => redials().length, { message: 'the second redial scheduled', until: (n) => n === 2, timeout: 10_000, interval: 5 });
  t.equal(redials()[1].attempt, 2, 'the next attempt');
  t.same(a.up, []);
});

t.test('stop closes every link and stops redialing', async (t) => {
  const { simulated, clock, pending, fired } = watchedClock();
  const { server, url } = await listen(t);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const { log, records } = recordingLog();
  const links = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: fakeFabric().fabric, log, peers: [url], clock });
  links.start();
  await waitFor(() => records.filter((r) => r.msg === 'redialing peer').length, { message: 'a redial scheduled', until: (n) => n === 1, timeout: 10_000, interval: 5 });
  t.equal(pending().length, 1, 'the redial is pending');
  await links.stop();
  t.same(pending(), [], 'no timer left');
  simulated.increment(60_000);
  t.equal(fired(), 0, 'no dial after stop');
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
  const { simulated, clock, fired } = watchedClock();
  const a = exclusiveFabric();
  const b = exclusiveFabric();
  const logA = recordingLog();
  const logB = recordingLog();
  const serverA = await listen(t);
  const serverB = await listen(t);
  // Heartbeats and handshake deadlines are not under test: simulated time running ahead of
  // the real sockets must not trip them.
  const timing = { clock, backoff: { initialMs: 100, maxMs: 1000 }, heartbeatMs: DAY_MS, handshakeMs: DAY_MS };
  const linksA = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log: logA.log, peers: [serverB.url], ...timing });
  const linksB = new Links({ id: 'b', cluster: 'c', secret: 's', fabric: b.fabric, log: logB.log, peers: [serverA.url], ...timing });
  serverA.server.on('upgrade', (req, socket, head) => linksA.upgrade(req, socket, head));
  serverB.server.on('upgrade', (req, socket, head) => linksB.upgrade(req, socket, head));
  t.teardown(async () => {
    await linksA.stop();
    await linksB.stop();
  });
  const stoodAside = () => logB.records.some((r) => r.msg === 'linked to that peer by another connection: not redialing until that link goes down');
  linksA.start();
  linksB.start();
  // Whatever the race did, drive the backoff until both hold a link and b's dialer stood aside.
  await waitFor(
    () => {
      simulated.increment(1000);
      return a.links.has('b') && b.links.has('a') && stoodAside();
    },
    { message: 'a and b linked, b\'s dialer standing aside', until: (up) => up, timeout: 20_000, interval: 5 },
  );
  const settled = fired();
  simulated.increment(30_000);
  t.ok(fired() - settled <= 1, `${fired() - settled} redials in 30 s of backoff after the link was up`);
  t.ok(a.links.has('b') && b.links.has('a'), 'still linked');
  t.equal((a.links.get('b') as unknown as { direction: string }).direction, 'dialed', 'by the connection a, the smaller id, dialed');
  t.equal((b.links.get('a') as unknown as { direction: string }).direction, 'accepted');

  // The link goes down: both dial again, and the tie-break settles it again.
  const before = a.links.get('b');
  (before as PeerLink).close(1001, 'going away');
  await waitFor(
    () => {
      simulated.increment(1000);
      const link = a.links.get('b');
      return link !== undefined && link !== before && (link as unknown as { direction: string }).direction === 'dialed' && b.links.has('a');
    },
    { message: 'a and b linked again by the connection a dialed', until: (up) => up, timeout: 20_000, interval: 5 },
  );
  t.pass('a new link came up, the one a dialed');
});

t.test('a node refused as retired after the handshake redials with a growing backoff, not at once', async (t) => {
  const { clock, pending } = watchedClock();
  const b = fakeFabric();
  const retiring = { ...(b.fabric as unknown as Record<string, unknown>), isRetiredNode: (peer: string) => peer === 'a' } as unknown as Fabric;
  const silent = pino({ level: 'silent' });
  const linksB = new Links({ id: 'b', cluster: 'c', secret: 's', fabric: retiring, log: silent, peers: [], clock });
  t.teardown(() => linksB.stop());
  const { url } = await listen(t, linksB);
  const { log, records } = recordingLog();
  const a = fakeFabric();
  const links = new Links({ id: 'a', cluster: 'c', secret: 's', fabric: a.fabric, log, peers: [url], clock, backoff: { initialMs: 100, maxMs: 60_000 } });
  t.teardown(() => links.stop());
  links.start();
  await waitFor(() => records.filter((r) => r.msg === 'redialing peer').length, { message: 'the redial after the refusal', until: (n) => n === 1, timeout: 10_000, interval: 5 });
  t.ok(records.some((r) => r.code === 'TROUPE_NODE_RETIRED'), 'a was refused as retired');
  const [retry] = pending();
  t.equal(records.find((r) => r.msg === 'redialing peer')?.attempt, 1, 'the refusal counts as a failed attempt: the backoff was not reset');
  t.ok(retry.ms >= 50, `the redial waits (${retry.ms} ms)`);
});
