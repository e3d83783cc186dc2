/** Pins the value codec: the store's records as plain msgpack. */
import t from 'tap';
import fc from 'fast-check';
import { decodeValue, encodeValue } from '../protocol/value-codec.js';
import { codeOf, counting, data, hex, unhex } from './helpers/codec-fixtures.js';

t.test('store values round trip as plain msgpack', async (t) => {
  fc.assert(
    fc.property(data, (v) => {
      t.same(decodeValue(encodeValue(v)), v);
    }),
  );
  const snapshot = { status: 'active', value: { a: 'b' }, output: undefined, at: new Date(1700000000000), bytes: counting(3) };
  const back = decodeValue(encodeValue(snapshot)) as Record<string, unknown>;
  t.same(back, { status: 'active', value: { a: 'b' }, at: new Date(1700000000000), bytes: counting(3) });
  t.notOk('output' in back, 'undefined properties are dropped, as in JSON');
  t.equal(hex(encodeValue({ n1: 3 })), '81a26e3103', 'a fixmap, no msgpackr records');
  t.equal(decodeValue(unhex('cf0000000100000000')), 2 ** 32, '64-bit integers decode as numbers');
});

t.test('store values that cannot be encoded or decoded fail with TROUPE_STORE_FAILED', async (t) => {
  t.equal(codeOf(() => encodeValue(Symbol('x'))), 'TROUPE_STORE_FAILED');
  t.equal(codeOf(() => decodeValue(unhex('92a161'))), 'TROUPE_STORE_FAILED', 'truncated');
  t.equal(codeOf(() => decodeValue(unhex('c0c0'))), 'TROUPE_STORE_FAILED', 'two values');
});

