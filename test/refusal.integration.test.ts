/**
 * After a refusal a connection handles no further frame: whatever the peer or client sent
 * behind the refused frame, already in flight or in the same read, changes nothing.
 */
import t from 'tap';
import WebSocket from 'ws';
import { encodePublish, wirePublish } from '../protocol/client-codec.js';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import type { HelloFrame } from '../protocol/frame.js';
import { CLOSE_CODES, proof } from '../protocol/handshake.js';
import { helloOf } from './helpers/authenticated-peer.js';
import { dumpOnFailure, startNode } from './helpers/node-process.js';
import { sendAndAwaitClose } from './helpers/raw-peer.js';

const CLUSTER = 'troupe';
const SECRET = 'refusal-secret';

/** Opens a socket and resolves with it and the first binary message the node sends. */
function openWithFirstMessage(url: string): Promise<{ socket: WebSocket; first: Buffer; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const closed = new Promise<number>((done) => socket.on('close', function probeOnClose(code) {
      done(code);
    }));
    socket.on('error', reject);
    socket.once('message', function probeOnFirstMessage(data: Buffer) {
      resolve({ socket, first: data, closed });
    });
  });
}

t.test('a wrong-cluster hello followed at once by an honest hello and auth on the same socket never makes a link', async (t) => {
  const node = await startNode(t, { id: 'n1', secret: SECRET });
  dumpOnFailure(t, () => [node]);
  const tries = 5;
  for (let i = 0; i < tries; i++) {
    const { socket, first, closed } = await openWithFirstMessage(node.wsUrl);
    const nodeHello = decodeFrame(first) as HelloFrame;
    const honest = helloOf({ cluster: CLUSTER, secret: SECRET, node: `intruder${i}` });
    const args = { cluster: CLUSTER, fromNode: honest.node, toNode: nodeHello.node, fromNonce: honest.nonce, toNonce: nodeHello.nonce };
    // All sent before the node's close can arrive here: the node reads them before the
    // closing handshake ends, in order.
    socket.send(encodeFrame({ ...honest, cluster: 'elsewhere' }), { binary: true });
    socket.send(encodeFrame(honest), { binary: true });
    socket.send(encodeFrame({ type: 'auth', proof: proof(SECRET, args) }), { binary: true });
    t.equal(await closed, CLOSE_CODES.wrongCluster, `try ${i + 1}: the node closes with 4403`);
  }
  // A later refusal of its own, logged after anything the node did with the frames above.
  const marker = await sendAndAwaitClose(node.wsUrl, encodeFrame(helloOf({ cluster: 'marker', secret: SECRET, node: 'marker' })));
  t.equal(marker.code, CLOSE_CODES.wrongCluster, 'the marker connection is refused as well');
  await node.waitForRecord((r) => typeof r.msg === 'string' && r.msg.includes('cluster marker'), 'the marker refusal');
  const linkUps = node.records((r) => r.msg === 'link up');
  t.same(linkUps, [], 'no connection was ever taken as a link');
  const status = await node.admin.status();
  t.same(status.peers.filter((p) => p.connected), [], '/status lists no linked peer');
});

t.test('a bad /client request followed at once by a publish on the same socket publishes nothing', async (t) => {
  const node = await startNode(t, { id: 'n1', secret: SECRET });
  dumpOnFailure(t, () => [node]);
  const { socket, closed } = await openWithFirstMessage(`${node.wsUrl}/client`);
  socket.send(Uint8Array.from([0xc1, 0xc1]), { binary: true });
  socket.send(encodePublish(1, [wirePublish({ type: 'Smuggled', data: { n: 1 } })]), { binary: true });
  t.equal(await closed, 4400, 'the bad request closes the connection with 4400');
  // Published after anything the node could have taken from the closed socket.
  await node.admin.publish('Honest', { n: 2 });
  const types = (await node.admin.log()).map((e) => e.type);
  t.same(types, ['Honest'], 'the log holds only the publish made after the refusal');
});
