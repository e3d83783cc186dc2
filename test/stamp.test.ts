import t from 'tap';
import { decodeEvent } from '../protocol/event-codec.js';
import { stamp } from '../runtime/stamp.js';

t.test('stamping gives the next seq of the node and the clock it delivered', async (t) => {
  const delivered = { n1: 4, n2: 7 };
  const { envelope, bytes } = stamp('n1', delivered, 0, 1000, { type: 'Ping', data: { a: 1 } }, 'n2:7');
  t.match(envelope, { id: 'n1:5', origin: 'n1', seq: 5, vc: { n1: 5, n2: 7 }, type: 'Ping', data: { a: 1 }, causationId: 'n2:7', ts: 1000, schema: 1 });
  t.same(decodeEvent(bytes), envelope, 'the bytes are the envelope');
  t.same(delivered, { n1: 4, n2: 7 }, 'the delivered clock is left to the caller to advance');
});

t.test('an event that names no workflow starts one named by its own id', async (t) => {
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping' }, null).envelope.correlationId, 'n1:1');
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping', correlationId: 'wf' }, null).envelope.correlationId, 'wf');
  t.equal(stamp('n1', {}, 0, 1, { type: 'Ping' }, null).envelope.data, null, 'absent data is null');
});

t.test('ts never goes behind the newest delivered event, whatever the wall clock says', async (t) => {
  t.equal(stamp('n1', {}, 5000, 1000, { type: 'Ping' }, null).envelope.ts, 5000, 'a wall clock behind: the last ts');
  t.equal(stamp('n1', {}, 5000, 9000, { type: 'Ping' }, null).envelope.ts, 9000, 'a wall clock ahead: the wall clock');
});

t.test('an event that cannot be encoded throws TROUPE_PROTOCOL_BAD_EVENT and takes no seq', async (t) => {
  const delivered = { n1: 2 };
  t.throws(() => stamp('n1', delivered, 0, 1, { type: 'Big', data: 'x'.repeat(2 * 1024 * 1024) }, null), { name: 'TroupeError', code: 'TROUPE_PROTOCOL_BAD_EVENT' });
  t.same(delivered, { n1: 2 });
});
