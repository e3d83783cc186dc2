/**
 * One frame from an authenticated peer neither wedges nor poisons a node (issue 15): a
 * `want` claiming 2⁵³−1 of the node's own events does not stop publishing once that peer
 * is gone, and an event with a `ts` of 1e300 is refused or kept as it is, never adopted
 * by the events either node stamps later.
 */
import t from 'tap';
import { encodeEvent } from '../protocol/codec.js';
import { ENVELOPE_SCHEMA } from '../protocol/envelope.js';
import { PROTOCOL_VERSION } from '../protocol/frame.js';
import { connectAuthenticated } from './helpers/authenticated-peer.js';
import { waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'hostile-peer-secret';
const IDENTITY = { cluster: 'troupe', secret: SECRET, node: 'mallory' };
/** The skew beyond which a peer's ts must not drag a node's time along (the documented hour). */
const HOUR = 60 * 60 * 1000;

t.test('one want frame claiming 2^53-1 of a node\'s own events does not keep it from publishing after that peer leaves', async (t) => {
  const node = await startNode(t, { id: 'n1', secret: SECRET });
  dumpOnFailure(t, () => [node]);
  await node.admin.publish('Before', { n: 1 });
  const peer = await connectAuthenticated(node.wsUrl, IDENTITY);
  peer.send({ type: 'want', vc: { n1: Number.MAX_SAFE_INTEGER } });
  // A frame out of turn right behind it: the node reads the want, then closes the link.
  peer.send({ type: 'hello', cluster: 'troupe', node: 'mallory', protocol: PROTOCOL_VERSION, nonce: new Uint8Array(32) });
  t.equal((await peer.closed).code, 4400, 'the peer is gone, closed for its frame out of turn');
  const published = await waitFor(() => node.admin.publishRaw('After', { n: 2 }), {
    message: 'a publish to succeed once the claiming peer is gone',
    until: (answer) => answer.status === 201,
    describe: (answer) => `${answer.status} ${answer.text}`,
    failFast: crashed([node]),
    timeout: 30_000,
  });
  t.equal(published.status, 201, 'POST /events answers 201 again');
  t.same((await node.admin.log()).map((e) => e.type), ['Before', 'After'], 'both publishes are in the log');
});

t.test('an event with a ts of 1e300 is never adopted by the events two nodes stamp after it', async (t) => {
  const n1 = await startNode(t, { id: 'n1', secret: SECRET });
  const n2 = await startNode(t, { id: 'n2', secret: SECRET, peers: [n1.wsUrl] });
  const nodes = [n1, n2];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2']]);
  const peer = await connectAuthenticated(n1.wsUrl, IDENTITY);
  const poisoned = encodeEvent({ origin: 'mallory', seq: 1, vc: { mallory: 1 }, type: 'FarFuture', data: null, correlationId: 'mallory:1', causationId: null, ts: 1e300, schema: ENVELOPE_SCHEMA });
  peer.send({ type: 'events', events: [poisoned] });
  // Either n1 refuses it (the link closes) or it reaches both logs.
  const refused = await waitFor(async () => {
    if (peer.isClosed) return 'refused';
    const logs = await Promise.all(nodes.map((n) => n.admin.log()));
    return logs.every((log) => log.some((e) => e.type === 'FarFuture')) ? 'stored' : undefined;
  }, { message: 'n1 to refuse the event or both nodes to log it', failFast: crashed(nodes), timeout: 15_000 });
  t.comment(`the far-future event was ${refused}`);
  const before = Date.now();
  const later = await Promise.all(nodes.map((n) => n.admin.publish('Later', { from: n.id })));
  const logs = await Promise.all(nodes.map((n) => n.admin.log()));
  for (const [i, node] of nodes.entries()) {
    const own = logs[i].find((e) => e.id === later[i].id);
    t.ok(own !== undefined && own.ts < before + HOUR, `${node.id}'s next event carries its own time, not 1e300`, { ts: own?.ts });
    const stored = logs[i].find((e) => e.type === 'FarFuture');
    if (stored !== undefined) t.equal(stored.ts, 1e300, `${node.id} keeps the peer's event as it came`);
  }
  t.ok(n1.running && n2.running, 'both nodes are up');
  await peer.close();
});
