/**
 * One peer connection's handshake and heartbeat, over a pair of in-memory sockets that
 * behave as `ws` does (messages and closes arrive on a later turn) and XState's
 * `SimulatedClock`, so deadlines and heartbeats are driven without real time.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type WebSocket from 'ws';
import { SimulatedClock } from 'xstate';
import { encodeFrame } from '../protocol/codec.js';
import type { Frame } from '../protocol/frame.js';
import type { Fabric, PeerLink } from '../runtime/fabric.js';
import { DuplicateIds } from '../runtime/duplicate-ids.js';
import { PeerConnection, type ConnectionContext } from '../runtime/peer-connection.js';

/** A socket whose peer end receives what it sends, on a later microtask. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readonly CONNECTING = 0;
  readyState = 1;
  bufferedAmount = 0;
  binaryType = 'nodebuffer';
  other: FakeSocket | undefined;
  closedWith: number | undefined;
  terminated = false;
  pings = 0;
  answerPings = true;

  send(data: Uint8Array | string): void {
    const to = this.other;
    const isBinary = typeof data !== 'string';
    queueMicrotask(() => to?.readyState === 1 && to.emit('message', isBinary ? Buffer.from(data) : Buffer.from(data), isBinary));
  }
  close(code: number, reason: string): void {
    this.closedWith = code;
    this.end(code, reason);
  }
  terminate(): void {
    this.terminated = true;
    this.end(1006, '');
  }
  ping(): void {
    this.pings++;
    const back = this.other;
    if (back?.answerPings) queueMicrotask(() => this.emit('pong'));
  }
  pause(): void {}
  resume(): void {}
  private end(code: number, reason: string): void {
    if (this.readyState !== 1) return;
    this.readyState = 3;
    const other = this.other;
    queueMicrotask(() => {
      this.emit('close', code, Buffer.from(reason));
      if (other !== undefined && other.readyState === 1) {
        other.readyState = 3;
        other.emit('close', code, Buffer.from(reason));
      }
    });
  }
}

/** A fabric that records links. */
function fakeFabric() {
  const up: string[] = [];
  const down: string[] = [];
  const frames: Frame[] = [];
  const fabric = {
    linkUp: (link: PeerLink) => (up.push(link.peer), true),
    linkDown: (link: PeerLink) => void down.push(link.peer),
    receive: (_link: PeerLink, frame: Frame) => void frames.push(frame),
  };
  return { fabric: fabric as unknown as Fabric, up, down, frames };
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

function side(id: string, secret: string, clock: SimulatedClock) {
  const socket = new FakeSocket();
  const f = fakeFabric();
  const ctx: ConnectionContext = { id, cluster: 'troupe', secret, fabric: f.fabric, log: pino({ level: 'silent' }), clock, heartbeatMs: 5000, handshakeMs: 10_000, instance: `i-${id}`, isCut: () => false, linkTo: () => undefined };
  const conn = new PeerConnection(socket as unknown as WebSocket, ctx, id === 'a' ? 'dialed' : 'accepted');
  return { socket, conn, ...f };
}

function pair(secretA = 's', secretB = 's') {
  const clock = new SimulatedClock();
  const a = side('a', secretA, clock);
  const b = side('b', secretB, clock);
  a.socket.other = b.socket;
  b.socket.other = a.socket;
  return { clock, a, b };
}

t.test('two nodes that share the secret prove it to each other and become links', async (t) => {
  const { a, b } = pair();
  a.conn.begin();
  b.conn.begin();
  await settle();
  t.same(a.up, ['b'], 'a linked to b');
  t.same(b.up, ['a'], 'b linked to a');
  a.conn.send({ type: 'ack', vc: { a: 1 } });
  await settle();
  t.same(b.frames, [{ type: 'ack', vc: { a: 1 } }], 'frames after the handshake go to the fabric');
});

t.test('a peer with another secret is closed with authFailed and never linked', async (t) => {
  const { a, b } = pair('s', 'other');
  a.conn.begin();
  b.conn.begin();
  await settle();
  t.same(a.up, []);
  t.same(b.up, []);
  t.ok(a.socket.closedWith === 4401 || b.socket.closedWith === 4401, 'closed 4401');
});

t.test('a handshake not finished within handshakeMs is closed with timeout', async (t) => {
  const { clock, a } = pair();
  a.socket.other = undefined; // nobody answers
  a.conn.begin();
  await settle();
  clock.increment(9999);
  t.equal(a.socket.closedWith, undefined, 'still waiting just before the deadline');
  clock.increment(1);
  t.equal(a.socket.closedWith, 4408);
  t.ok(a.socket.terminated);
});

t.test('a text message breaks the protocol: close 4400', async (t) => {
  const { a, b } = pair();
  b.socket.send('hello');
  await settle();
  t.equal(a.socket.closedWith, 4400);
});

t.test('a frame out of turn breaks the protocol: close 4400', async (t) => {
  const { a, b } = pair();
  b.socket.send(encodeFrame({ type: 'ack', vc: {} }));
  await settle();
  t.equal(a.socket.closedWith, 4400);
});

t.test('a link is pinged every heartbeat and dropped after one missed pong', async (t) => {
  const { clock, a, b } = pair();
  a.conn.begin();
  b.conn.begin();
  await settle();
  clock.increment(5000);
  await settle();
  t.equal(a.socket.pings, 1, 'pinged after one interval');
  clock.increment(5000);
  await settle();
  t.notOk(a.socket.terminated, 'the pong came back: the link stays');
  b.socket.answerPings = false;
  clock.increment(5000);
  await settle();
  t.notOk(a.socket.terminated, 'one ping unanswered so far');
  clock.increment(5000);
  await settle();
  t.ok(a.socket.terminated, 'no pong for a whole interval: terminated');
  t.same(a.down, ['b'], 'the fabric heard the link go down');
});

/** A fabric that holds at most one link per peer, as the real one does. */
function exclusiveFabric() {
  const links = new Map<string, PeerLink>();
  const fabric = {
    linkUp: (link: PeerLink) => (links.has(link.peer) ? false : (links.set(link.peer, link), true)),
    linkDown: (link: PeerLink) => void (links.get(link.peer) === link && links.delete(link.peer)),
    receive: () => {},
    duplicates: new DuplicateIds(),
  };
  return { fabric: fabric as unknown as Fabric, links, duplicates: fabric.duplicates };
}

/** A node of the duel: its fabric, and its connections as `Links` keeps them. */
function duelist(id: string, clock: SimulatedClock, instance = `i-${id}`, admin?: string) {
  const f = exclusiveFabric();
  const conns: PeerConnection[] = [];
  const ctx: ConnectionContext = {
    id, cluster: 'troupe', secret: 's', fabric: f.fabric, log: pino({ level: 'silent' }), clock, heartbeatMs: 5000, handshakeMs: 10_000, instance, admin,
    isCut: () => false,
    linkTo: (peer) => conns.find((c) => c.linked && c.peer === peer),
  };
  const connect = (socket: FakeSocket, direction: 'dialed' | 'accepted'): PeerConnection => {
    const conn = new PeerConnection(socket as unknown as WebSocket, ctx, direction);
    conns.push(conn);
    return conn;
  };
  return { ...f, connect };
}

t.test('two nodes that dial each other at once keep exactly one link, the one the smaller id dialed, whatever the order', async (t) => {
  // The four hellos go out in every order: each side completes its two handshakes in the
  // order its hellos left, so some orders make a and b each finish a different one first.
  const orders = [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2], [1, 2, 0, 3], [2, 0, 3, 1], [3, 2, 1, 0], [1, 3, 0, 2], [2, 3, 0, 1]];
  for (const order of orders) {
    const clock = new SimulatedClock();
    const a = duelist('a', clock);
    const b = duelist('b', clock);
    const [aDialed, bAccepted, bDialed, aAccepted] = [new FakeSocket(), new FakeSocket(), new FakeSocket(), new FakeSocket()];
    aDialed.other = bAccepted;
    bAccepted.other = aDialed;
    bDialed.other = aAccepted;
    aAccepted.other = bDialed;
    const conns = [a.connect(aDialed, 'dialed'), b.connect(bAccepted, 'accepted'), b.connect(bDialed, 'dialed'), a.connect(aAccepted, 'accepted')];
    for (const i of order) conns[i].begin();
    await settle();
    t.equal(a.links.get('b'), conns[0], `a keeps the connection it dialed (hellos in order ${order})`);
    t.equal(b.links.get('a'), conns[1], `b keeps the same connection (hellos in order ${order})`);
    t.notOk(aDialed.readyState !== 1, 'that connection stays open');
    t.ok(bDialed.readyState !== 1 && aAccepted.readyState !== 1, 'the other one is closed');
  }
});

/** Links a connection of `from` (dialed) to `to` (accepted) and begins both. */
function dialTo(from: ReturnType<typeof duelist>, to: ReturnType<typeof duelist>): { dialed: PeerConnection; accepted: PeerConnection; socket: FakeSocket; acceptedSocket: FakeSocket } {
  const [out, back] = [new FakeSocket(), new FakeSocket()];
  out.other = back;
  back.other = out;
  const dialed = from.connect(out, 'dialed');
  const accepted = to.connect(back, 'accepted');
  dialed.begin();
  accepted.begin();
  return { dialed, accepted, socket: out, acceptedSocket: back };
}

t.test('a second process under a linked node id is refused with duplicateId on both sides; the first keeps its link', async (t) => {
  const clock = new SimulatedClock();
  const p = duelist('p', clock, 'i-p', 'http://127.0.0.1:1');
  const first = duelist('b', clock, 'one', 'http://127.0.0.1:2');
  const second = duelist('b', clock, 'two', 'http://127.0.0.1:3');
  const kept = dialTo(first, p);
  await settle();
  t.equal(p.links.get('b'), kept.accepted, 'p is linked to the first b');
  const refused = dialTo(second, p);
  await settle();
  t.equal(refused.acceptedSocket.closedWith, 4423, 'p closes the second b\'s connection with duplicateId');
  t.notOk(refused.dialed.linked, 'the second b is not linked');
  t.equal(p.links.get('b'), kept.accepted, 'p keeps the first b');
  t.ok(kept.dialed.linked, 'the first b keeps its link');
  t.match(p.duplicates.list(), [{ node: 'b', refusedBy: 'p', at: Number }], 'p records the conflict it refused');
  t.match(second.duplicates.list(), [{ node: 'b', refusedBy: 'p' }], 'the second b records why it was refused');
  t.same(first.duplicates.list(), [], 'the first b hears of nothing');
});

t.test('a reconnect of the linked process itself is no conflict: the tie-break settles it with duplicateLink', async (t) => {
  const clock = new SimulatedClock();
  const p = duelist('p', clock, 'i-p', 'http://127.0.0.1:1');
  const b = duelist('b', clock, 'one', 'http://127.0.0.1:2');
  const kept = dialTo(b, p);
  await settle();
  const again = dialTo(b, p);
  await settle();
  t.equal(p.links.get('b'), kept.accepted, 'the link already up stays');
  t.equal(again.socket.readyState, 3, 'the new connection is closed');
  t.same(p.duplicates.list(), [], 'p sees no second process');
  t.same(b.duplicates.list(), []);
});
