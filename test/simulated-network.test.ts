/**
 * Pins the simulated network of `troupe/testing` over recording endpoints: frames go
 * through the real codec; one link's frames arrive in the order sent while the seed
 * decides how links interleave; cut, heal, delay, pause, a refused frame and a crash do
 * to the links what they do to sockets.
 */
import t from 'tap';
import pino from 'pino';
import type { Frame } from '../protocol/frame.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { PeerLink } from '../runtime/fabric.js';
import { SimulatedNetwork, type Endpoint } from '../testing/simulated-network.js';
import { SimulatedTime } from '../testing/simulated-time.js';

/** What one node's endpoint saw, and the links it holds by peer. */
interface Recorder extends Endpoint {
  readonly seen: string[];
  readonly links: Map<string, PeerLink>;
}

/** An endpoint that records link changes and frames; it refuses `want` frames when `strict`. */
function recorder(node: string, strict = false): Recorder {
  const seen: string[] = [];
  const links = new Map<string, PeerLink>();
  return {
    origin: node,
    seen,
    links,
    linkUp(link) {
      links.set(link.peer, link);
      seen.push(`up ${link.peer}`);
      return true;
    },
    linkDown(link) {
      if (links.get(link.peer) === link) links.delete(link.peer);
      seen.push(`down ${link.peer}`);
    },
    receive(link, frame) {
      if (strict && frame.type === 'want') throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `${node} takes no want`);
      seen.push(`${link.peer}>${node} ${label(frame)}`);
    },
  };
}

const label = (frame: Frame): string => (frame.type === 'ack' ? `ack ${JSON.stringify(frame.vc)}` : frame.type);
const ack = (n: number): Frame => ({ type: 'ack', vc: { x: n } });

/** A network of nodes `ids`, all attached. */
function network(ids: string[], seed = 1, options: { strict?: string; jitterMs?: number } = {}) {
  const time = new SimulatedTime(0);
  const net = new SimulatedNetwork({ seed, time, log: pino({ level: 'silent' }), jitterMs: options.jitterMs });
  const nodes = new Map(ids.map((id) => [id, recorder(id, options.strict === id)]));
  for (const [id, endpoint] of nodes) net.attach(id, endpoint);
  const send = (from: string, to: string, frame: Frame): void => nodes.get(from)?.links.get(to)?.send(frame);
  const drain = (): string[] => {
    const out: string[] = [];
    for (let d = net.deliverNext(); d !== undefined; d = net.deliverNext()) out.push(`${d.from}>${d.to} ${label(d.frame)}`);
    return out;
  };
  return { time, net, nodes, send, drain };
}

t.test('nodes attached link to each other, each side taking its end', async (t) => {
  const { net, nodes } = network(['a', 'b', 'c']);
  t.same(nodes.get('a')?.seen, ['up b', 'up c']);
  t.same(nodes.get('c')?.seen, ['up a', 'up b']);
  t.ok(net.linked('a', 'b') && net.linked('b', 'c'));
});

t.test('one link\'s frames arrive in the order sent, through the codec', async (t) => {
  const { send, drain, net } = network(['a', 'b', 'c'], 9);
  for (let i = 1; i <= 5; i++) {
    send('a', 'b', ack(i));
    send('c', 'b', ack(10 + i));
  }
  t.equal(net.inFlight, 10);
  const got = drain();
  t.same(got.filter((d) => d.startsWith('a>')), [1, 2, 3, 4, 5].map((i) => `a>b ack {"x":${i}}`));
  t.same(got.filter((d) => d.startsWith('c>')), [11, 12, 13, 14, 15].map((i) => `c>b ack {"x":${i}}`));
  t.equal(net.inFlight, 0);
});

t.test('the seed decides how links interleave: the same seed the same order, other seeds others', async (t) => {
  const run = (seed: number): string => {
    const { send, drain } = network(['a', 'b', 'c'], seed, { jitterMs: 2 });
    for (let i = 1; i <= 4; i++) {
      send('a', 'b', ack(i));
      send('c', 'b', ack(i));
      send('b', 'a', ack(i));
    }
    return drain().join(' | ');
  };
  t.equal(run(42), run(42), 'a seed replays its order');
  const orders = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(run));
  t.ok(orders.size > 1, `eight seeds gave ${orders.size} different orders`);
});

t.test('a cut loses what is in flight, drops the link on both sides and keeps it down until healed', async (t) => {
  const { net, nodes, send, drain } = network(['a', 'b']);
  send('a', 'b', ack(1));
  net.cut('a', 'b');
  t.equal(net.inFlight, 0, 'the frame in flight is lost');
  t.same(nodes.get('a')?.seen.slice(-1), ['down b']);
  t.same(nodes.get('b')?.seen.slice(-1), ['down a']);
  send('a', 'b', ack(2));
  t.same(drain(), [], 'nothing is sent over a cut link');
  net.detach('b', true);
  net.attach('b', nodes.get('b') as Recorder);
  t.notOk(net.linked('a', 'b'), 'a node that comes back does not link over a cut');
  net.heal('a', 'b');
  t.ok(net.linked('a', 'b'), 'healed: linked again at once');
  send('a', 'b', ack(3));
  t.same(drain(), ['a>b ack {"x":3}']);
});

t.test('a delayed link\'s frames arrive later, and time moves to their arrival', async (t) => {
  const { net, time, send, drain } = network(['a', 'b', 'c']);
  net.delay('a', 'b', 50);
  send('a', 'b', ack(1));
  send('c', 'b', ack(2));
  t.equal(net.nextArrival(), 0);
  t.same(drain(), ['c>b ack {"x":2}', 'a>b ack {"x":1}'], 'the undelayed link goes first');
  t.equal(time.now(), 50);
  net.delay('a', 'b', 0);
  send('a', 'b', ack(3));
  t.equal(net.nextArrival(), 50, 'undelayed again from now on');
});

t.test('a paused receiver holds that link\'s frames until it resumes', async (t) => {
  const { net, nodes, send, drain } = network(['a', 'b']);
  nodes.get('b')?.links.get('a')?.pause();
  send('a', 'b', ack(1));
  send('b', 'a', ack(2));
  t.same(drain(), ['b>a ack {"x":2}'], 'only the other direction flows');
  t.equal(net.inFlight, 1);
  nodes.get('b')?.links.get('a')?.resume();
  t.same(drain(), ['a>b ack {"x":1}']);
});

t.test('a frame the receiver refuses closes the link, which is dialed again after the backoff', async (t) => {
  const { net, time, nodes, send, drain } = network(['a', 'b'], 1, { strict: 'b' });
  send('a', 'b', { type: 'want', vc: {} });
  send('a', 'b', ack(1));
  t.same(drain(), ['a>b want'], 'the link closed on the bad frame, losing what followed');
  t.notOk(net.linked('a', 'b'));
  t.same(nodes.get('a')?.seen.slice(-1), ['down b']);
  t.ok(time.nextDue !== undefined && time.nextDue > 0, 'a redial is scheduled');
  time.fireNext();
  t.ok(net.linked('a', 'b'), 'linked again');
});

t.test('a crashed node\'s peers see its links drop, and it is told nothing', async (t) => {
  const { net, nodes, send } = network(['a', 'b', 'c']);
  send('a', 'b', ack(1));
  const before = nodes.get('b')?.seen.length;
  net.detach('b', false);
  t.equal(net.inFlight, 0);
  t.equal(nodes.get('b')?.seen.length, before, 'b hears nothing');
  t.same(nodes.get('a')?.seen.slice(-1), ['down b']);
  t.same(nodes.get('c')?.seen.slice(-1), ['down b']);
  t.ok(net.linked('a', 'c'), 'the others stay linked');
});
