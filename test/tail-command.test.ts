process.env.TZ = 'UTC';
import t from 'tap';
import { parseTailArgs, tailLine, type TailedEvent } from '../nodes/tail-command.js';

t.test('parseTailArgs reads the URL and the filters', async (t) => {
  t.same(parseTailArgs(['127.0.0.1:7401'], {}), { url: 'http://127.0.0.1:7401', types: [], correlationId: undefined, from: undefined, token: undefined });
  t.same(parseTailArgs(['http://127.0.0.1:7401', '--type', 'OrderPlaced,OrderShipped', '--type', 'PaymentCaptured', '--correlation', 'o-1', '--from', '12'], {}), {
    url: 'http://127.0.0.1:7401',
    types: ['OrderPlaced', 'OrderShipped', 'PaymentCaptured'],
    correlationId: 'o-1',
    from: 12,
    token: undefined,
  });
});

t.test('parseTailArgs refuses a missing URL, a second one, a bad --from and an empty --correlation', async (t) => {
  for (const argv of [[], ['http://a', 'http://b'], ['http://a', '--from', '0'], ['http://a', '--from', 'x'], ['http://a', '--correlation', ''], ['http://a', '--follow']]) {
    t.throws(() => parseTailArgs(argv), { code: 'TROUPE_BAD_FLAGS' }, argv.join(' '));
  }
});

const shipped: TailedEvent = { pos: 57, id: 'n3:9', type: 'OrderShipped', correlationId: 'o-1', causationId: 'n2:56', ts: Date.UTC(2026, 0, 2, 12, 3, 5, 120), data: { orderId: 'o-1' } };

t.test('tailLine shows one event on one line: time, position, id, type, workflow, cause, data', async (t) => {
  t.equal(tailLine(shipped), '12:03:05.120  #57  n3:9  OrderShipped  o-1  ← n2:56  {"orderId":"o-1"}');
  t.equal(tailLine({ ...shipped, causationId: null, data: undefined }), '12:03:05.120  #57  n3:9  OrderShipped  o-1  ← -');
});
