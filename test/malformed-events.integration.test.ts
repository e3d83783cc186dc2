/**
 * An authenticated peer cannot store malformed events (issue 15, first finding): each form
 * the finding names, sent by a peer that knows the cluster secret, closes its link with
 * 4400 and reaches neither node's log, `/log` keeps answering on both, and the same event
 * well formed is taken and relayed (so the refusals are the grammar's, not the peer's).
 */
import t from 'tap';
import { decodeEvent } from '../protocol/event-codec.js';
import { connectAuthenticated } from './helpers/authenticated-peer.js';
import { waitForLinks } from './helpers/convergence.js';
import { crashed, dumpOnFailure, startNode } from './helpers/node-process.js';
import { waitFor } from './helpers/wait-for.js';

const SECRET = 'malformed-events-secret';
const IDENTITY = { cluster: 'troupe', secret: SECRET, node: 'mallory' };

const str = (s: string): number[] => {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [0xa0 | bytes.length, ...bytes];
};

/** The fields of a valid event `mallory:1` of type `Good`, each as its msgpack bytes. */
const GOOD = {
  origin: str('mallory'),
  seq: [0x01],
  schema: [0x01],
  vc: [0x80],
  type: str('Good'),
  correlationId: [0xc0],
  causation: [0xc0],
  ts: [0xcd, 0x03, 0xe8],
  data: [0x81, ...str('n'), 0x01],
};

/** The event `mallory:1` with some fields' bytes replaced. */
function event(bent: Partial<typeof GOOD> = {}): Uint8Array {
  const fields = { ...GOOD, ...bent };
  return Uint8Array.from([0x99, ...fields.origin, ...fields.seq, ...fields.schema, ...fields.vc, ...fields.type, ...fields.correlationId, ...fields.causation, ...fields.ts, ...fields.data]);
}

/** Each malformed form the finding lists, as an authenticated peer could send it. */
const MALFORMED: Record<string, Uint8Array> = {
  'data holding a msgpackr BigInt (ext 0x42)': event({ data: [0x81, ...str('n'), 0xc7, 0x01, 0x42, 0x05] }),
  'data holding a Set (ext 0x73)': event({ data: [0xd4, 0x73, 0x00] }),
  'data holding an Error (ext 0x65)': event({ data: [0xd4, 0x65, 0x00] }),
  'data holding a RegExp (ext 0x78)': event({ data: [0xd4, 0x78, 0x00] }),
  'data holding a typed array (ext 0x74)': event({ data: [0xc7, 0x02, 0x74, 0x01, 0x02] }),
  'data holding a record definition (ext 0x72)': event({ data: [0xd4, 0x72, 0x00] }),
  'data holding the byte 0xc1': event({ data: [0xc1] }),
  'data holding a non-standard timestamp (ext -1 of 3 bytes)': event({ data: [0xc7, 0x03, 0xff, 0x00, 0x00, 0x01] }),
  'a type of invalid UTF-8': event({ type: [0xa3, 0x47, 0xff, 0x64] }),
  'a correlationId of invalid UTF-8': event({ correlationId: [0xa2, 0xc3, 0x28] }),
  'a clock with a key twice': event({ vc: [0x82, ...str('n1'), 0x01, ...str('n1'), 0x02] }),
  'a clock with the key __proto__': event({ vc: [0x81, ...str('__proto__'), 0x01] }),
  'a clock with a non-string key': event({ vc: [0x81, 0x05, 0x01] }),
  'a seq written as int8': event({ seq: [0xd0, 0x01] }),
  'a seq written as float32': event({ seq: [0xca, 0x3f, 0x80, 0x00, 0x00] }),
  'a schema written as float64': event({ schema: [0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0] }),
  'data with a key twice': event({ data: [0x82, ...str('n'), 0x01, ...str('n'), 0x02] }),
  'data with the key __proto__': event({ data: [0x81, ...str('__proto__'), 0x01] }),
};

t.test('every malformed event an authenticated peer sends closes its link with 4400 and is stored nowhere', async (t) => {
  t.doesNotThrow(() => decodeEvent(event()), 'the unbent event is valid');
  for (const [what, bytes] of Object.entries(MALFORMED)) t.throws(() => decodeEvent(bytes), { code: 'TROUPE_PROTOCOL_BAD_EVENT' }, `${what}: the decoder refuses it`);

  const n1 = await startNode(t, { id: 'n1', secret: SECRET });
  const n2 = await startNode(t, { id: 'n2', secret: SECRET, peers: [n1.wsUrl] });
  const nodes = [n1, n2];
  dumpOnFailure(t, () => nodes);
  await waitForLinks(nodes, [['n1', 'n2']]);
  await n1.admin.publish('Before', { n: 0 });

  for (const [what, bytes] of Object.entries(MALFORMED)) {
    const peer = await connectAuthenticated(n1.wsUrl, IDENTITY);
    peer.send({ type: 'events', events: [bytes] });
    t.equal((await peer.closed).code, 4400, `${what}: the link closes with 4400`);
  }
  for (const node of nodes) {
    const log = await node.admin.log();
    t.notOk(log.some((e) => e.origin === 'mallory'), `${node.id} stored none of them`);
  }
  t.ok(n1.running && n2.running, 'both nodes are up');

  const peer = await connectAuthenticated(n1.wsUrl, IDENTITY);
  peer.send({ type: 'events', events: [event()] });
  for (const node of nodes) {
    const log = await waitFor(() => node.admin.log(), {
      until: (entries) => entries.some((e) => e.id === 'mallory:1'),
      failFast: crashed(nodes),
      message: `${node.id} to log the well-formed event`,
    });
    t.same(log.find((e) => e.id === 'mallory:1')?.data, { n: 1 }, `${node.id} took the same event well formed`);
  }
  t.notOk(peer.isClosed, 'the well-formed event left the link up');
  await peer.close();
  const after = await n2.admin.publish('After', { n: 2 });
  await waitFor(() => n1.admin.log(), { until: (log) => log.some((e) => e.id === after.id), failFast: crashed(nodes), message: 'n2\'s publish to reach n1' });
});
