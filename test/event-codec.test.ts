/** Pins the event codec: golden bytes, round trips, and refusal of invalid events. */
import t from 'tap';
import fc from 'fast-check';
import { decodeEvent, encodeEvent, eventHeader, MAX_EVENT_BYTES } from '../protocol/event-codec.js';
import type { Envelope } from '../protocol/envelope.js';
import { codeOf, envelope, goldenEvent, goldenEventHex, hex, unhex, withoutZeros } from './helpers/codec-fixtures.js';

/** The golden event's data, and the golden event with other data bytes (hex). */
const goldenDataHex = '82a76f726465724964a36f2d31a371747902';
const withData = (dataHex: string): Uint8Array => unhex(goldenEventHex.slice(0, -goldenDataHex.length) + dataHex);
/** The golden event's ts, and the golden event with other ts bytes (hex). */
const goldenTsHex = 'cb4278bcfe56800000';
const withTs = (tsHex: string): Uint8Array => unhex(goldenEventHex.replace(goldenTsHex, tsHex));
/** The golden event with other clock bytes (its `{n2: 2}` is bytes 6 to 10). */
const withClock = (vcHex: string): Uint8Array => unhex(goldenEventHex.slice(0, 12) + vcHex + goldenEventHex.slice(22));

t.test('an event encodes to its golden bytes and back', async (t) => {
  const bytes = encodeEvent(goldenEvent);
  t.equal(hex(bytes), goldenEventHex);
  t.same(decodeEvent(bytes), { id: 'n1:3', ...goldenEvent, vc: { n1: 3, n2: 2 } });
  t.same(eventHeader(bytes), { origin: 'n1', seq: 3 });
});

t.test('events round trip through the codec', async (t) => {
  fc.assert(
    fc.property(envelope, (e) => {
      const bytes = encodeEvent(e);
      const back = decodeEvent(bytes);
      t.same(back, { id: `${e.origin}:${e.seq}`, ...e, vc: withoutZeros(e.vc) });
      t.same(eventHeader(bytes), { origin: e.origin, seq: e.seq }, 'eventHeader agrees with decodeEvent');
      return back.seq === e.seq && back.causationId === e.causationId;
    }),
    { numRuns: 300 },
  );
});

t.test('a causation id travels as nil, a seq of the origin, [node, seq], or a string', async (t) => {
  const at = (causationId: string | null): number => encodeEvent({ ...goldenEvent, causationId }).length;
  const none = at(null);
  t.equal(at('n1:2'), none, 'same node as the origin: a positive fixint, as small as nil');
  t.equal(at('n2:2') - none, 4, 'another node: [str, int]');
  for (const causationId of [null, 'n1:2', 'n2:2', 'n1:02', 'n1:0', 'some-external-id', 'a:b:7', ':7', 'n2:9007199254740993']) {
    t.equal(decodeEvent(encodeEvent({ ...goldenEvent, causationId })).causationId, causationId, String(causationId));
  }
});

t.test('a correlation id equal to the event id travels as nil', async (t) => {
  const own = encodeEvent({ ...goldenEvent, correlationId: 'n1:3' });
  const other = encodeEvent(goldenEvent);
  t.equal(other.length - own.length, 4 - 1, '"c-1" (4 bytes) becomes nil (1 byte)');
  t.equal(decodeEvent(own).correlationId, 'n1:3');
  t.equal(decodeEvent(encodeEvent({ ...goldenEvent, correlationId: 'n1:4' })).correlationId, 'n1:4', 'another event id stays a string');
});

t.test('data with an own key __proto__ is refused by the encoder and by the decoder', async (t) => {
  t.equal(codeOf(() => encodeEvent({ ...goldenEvent, data: JSON.parse('{"a": {"__proto__": {"polluted": true}}}') })), 'TROUPE_PROTOCOL_BAD_EVENT');
  t.equal(codeOf(() => decodeEvent(withData('81 a9 5f5f70726f746f5f5f 01'))), 'TROUPE_PROTOCOL_BAD_EVENT');
});

t.test('undefined data is left off the wire and decodes as undefined', async (t) => {
  const bytes = encodeEvent({ ...goldenEvent, data: undefined });
  t.equal(bytes[0], 0x98, 'an array of 8');
  t.equal(decodeEvent(bytes).data, undefined);
  t.same(decodeEvent(encodeEvent({ ...goldenEvent, data: { a: undefined, b: [undefined] } })).data, { b: [null] }, 'as in JSON');
});

/** The golden event at version 2: an array of 10, the version after the data. */
const goldenV2Hex = '9a' + goldenEventHex.slice(2) + '02';

t.test('a version of 2 or more travels after the data and reads back', async (t) => {
  const bytes = encodeEvent({ ...goldenEvent, version: 2 });
  t.equal(hex(bytes), goldenV2Hex);
  t.same(decodeEvent(bytes), { id: 'n1:3', ...goldenEvent, vc: { n1: 3, n2: 2 }, version: 2 });
  t.same(eventHeader(bytes), { origin: 'n1', seq: 3 }, 'a relay reads its header as any other');
  t.equal(decodeEvent(encodeEvent({ ...goldenEvent, version: 70_000 })).version, 70_000);
});

t.test('version 1 is written by leaving the version out, so events from before versions read as version 1', async (t) => {
  t.equal(hex(encodeEvent({ ...goldenEvent, version: 1 })), goldenEventHex);
  t.equal(decodeEvent(unhex(goldenEventHex)).version, undefined, 'no version field on the envelope: version 1');
  t.notOk('version' in decodeEvent(unhex(goldenEventHex)));
});

t.test('a versioned event without data carries nil in the data slot and reads back null', async (t) => {
  const bytes = encodeEvent({ ...goldenEvent, data: undefined, version: 3 });
  t.equal(bytes[0], 0x9a, 'an array of 10');
  const back = decodeEvent(bytes);
  t.equal(back.data, null);
  t.equal(back.version, 3);
});

t.test('a version that is not an integer from 2 to 2^32-1 is refused both ways', async (t) => {
  for (const version of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
    t.equal(codeOf(() => encodeEvent({ ...goldenEvent, version })), 'TROUPE_PROTOCOL_BAD_EVENT', `encode ${version}`);
  }
  const withVersion = (versionHex: string): Uint8Array => unhex('9a' + goldenEventHex.slice(2) + versionHex);
  for (const versionHex of ['01', '00', 'cb4000000000000000', 'cf0000000100000000', 'a132', 'c0']) {
    t.equal(codeOf(() => decodeEvent(withVersion(versionHex))), 'TROUPE_PROTOCOL_BAD_EVENT', `decode ${versionHex}`);
  }
  t.equal(codeOf(() => decodeEvent(unhex('9b' + goldenEventHex.slice(2) + '0202'))), 'TROUPE_PROTOCOL_BAD_EVENT', 'an array of 11');
  t.equal(codeOf(() => eventHeader(unhex('9b' + goldenEventHex.slice(2) + '0202'))), 'TROUPE_PROTOCOL_BAD_EVENT');
});

t.test('seqs of 2^32 and above are read by eventHeader in every msgpack form', async (t) => {
  for (const seq of [2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    const bytes = encodeEvent({ ...goldenEvent, seq, vc: { n1: seq }, causationId: null });
    t.same(eventHeader(bytes), { origin: 'n1', seq });
    t.equal(decodeEvent(bytes).seq, seq);
  }
  // Another encoder may write uint64: 99 a2 6e 31 cf <8 bytes> ...
  const uint64 = unhex('99a26e31cf0000000100000000' + goldenEventHex.slice(10));
  t.same(eventHeader(uint64), { origin: 'n1', seq: 2 ** 32 });
  t.equal(decodeEvent(uint64).seq, 2 ** 32);
  t.equal(codeOf(() => eventHeader(unhex('99a26e31cf0020000000000001'))), 'TROUPE_PROTOCOL_BAD_EVENT', 'not a safe integer');
});

t.test('encodeEvent refuses invalid fields', async (t) => {
  const bad: [string, Partial<Record<keyof Envelope, unknown>>][] = [
    ['origin with a colon', { origin: 'n:1', vc: { 'n:1': 3 } }],
    ['origin __proto__', { origin: '__proto__', vc: {} }],
    ['origin not a string', { origin: 1n }],
    ['seq 0', { seq: 0, vc: { n1: 0 } }],
    ['fractional seq', { seq: 1.5, vc: { n1: 1.5 } }],
    ['vc[origin] not seq', { vc: { n1: 2 } }],
    ['vc without origin', { vc: { n2: 1 } }],
    ['negative vc entry', { vc: { n1: 3, n2: -1 } }],
    ['vc key not a node id', { vc: { n1: 3, 'a/b': 1 } }],
    ['vc not an object', { vc: [3] }],
    ['empty type', { type: '' }],
    ['long type', { type: 'x'.repeat(257) }],
    ['type with a lone surrogate', { type: 'x\ud800' }],
    ['non-string correlationId', { correlationId: 7 }],
    ['empty causationId', { causationId: '' }],
    ['infinite ts', { ts: Infinity }],
    ['NaN ts', { ts: NaN }],
    ['schema 0', { schema: 0 }],
    ['data msgpack cannot hold', { data: { s: Symbol('x') } }],
    ['data over the size limit', { data: 'x'.repeat(MAX_EVENT_BYTES) }],
  ];
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  bad.push(['cyclic data', { data: cyclic }]);
  for (const [label, patch] of bad) {
    t.equal(codeOf(() => encodeEvent({ ...goldenEvent, ...patch } as Envelope)), 'TROUPE_PROTOCOL_BAD_EVENT', label);
  }
  t.equal(hex(encodeEvent(goldenEvent)), goldenEventHex, 'the encoder still works after failures');
});

t.test('decodeEvent refuses malformed events', async (t) => {
  const g = goldenEventHex;
  const bad: [string, string][] = [
    ['empty', ''],
    ['not an array', 'a26e31'],
    ['too few fields', '97' + g.slice(2)],
    ['truncated', g.slice(0, -4)],
    ['trailing bytes', g + '00'],
    ['seq 0', '99a26e3100' + g.slice(10)],
    ['origin not a node id', '99a26e3a' + g.slice(8)],
    ['schema 0', g.slice(0, 10) + '00' + g.slice(12)],
    ['clock holds the origin', g.slice(0, 12) + '82a26e3202a26e3103' + g.slice(22)],
    ['clock entry negative', g.slice(0, 12) + '81a26e32ff' + g.slice(22)],
    ['clock not a map', g.slice(0, 12) + '9102' + g.slice(22)],
    ['type not a string', g.slice(0, 22) + '01' + g.slice(48)],
    ['causation neither nil, seq, [node, seq] nor string', g.slice(0, 56) + 'c3' + g.slice(66)],
    ['causation [node, 0]', g.slice(0, 56) + '92a26e3200' + g.slice(66)],
  ];
  for (const [label, h] of bad) {
    t.equal(codeOf(() => decodeEvent(unhex(h))), 'TROUPE_PROTOCOL_BAD_EVENT', label);
  }
  t.equal(codeOf(() => decodeEvent('99' as unknown as Uint8Array)), 'TROUPE_PROTOCOL_BAD_EVENT', 'not bytes');
  t.equal(codeOf(() => decodeEvent(new Uint8Array(MAX_EVENT_BYTES + 1))), 'TROUPE_PROTOCOL_BAD_EVENT', 'over the size limit');
});

t.test('data decodes from every standard msgpack form of a JSON value or bytes', async (t) => {
  const forms: [string, string, unknown][] = [
    ['nil', 'c0', null],
    ['false and true', '92 c2 c3', [false, true]],
    ['negative fixint and int8 to int64', '95 ff d080 d18000 d280000000 d3ffffffffffffffff', [-1, -128, -32768, -2147483648, -1]],
    ['uint8 to uint64', '94 ccff cdffff ceffffffff cf0000000100000000', [255, 65535, 4294967295, 2 ** 32]],
    ['float32 and float64', '92 ca3fc00000 cb400c000000000000', [1.5, 3.5]],
    ['str8, and UTF-8 beyond ASCII', '92 d903 616263 a5 c3a9e282ac', ['abc', 'é€']],
    ['bin', 'c403 010203', Buffer.from([1, 2, 3])],
    ['array16 and map16', 'dc0001 de0001 a16b 01', [{ k: 1 }]],
    ['nested maps keep their keys', '81 a161 82 a162 90 a163 80', { a: { b: [], c: {} } }],
  ];
  for (const [label, h, value] of forms) t.same(decodeEvent(withData(h)).data, value, label);
});

t.test('decodeEvent refuses extension types and non-standard values anywhere in data', async (t) => {
  const bad: [string, string][] = [
    ["msgpackr's BigInt extension (fixext1, type 0x42)", 'd4 42 0a'],
    ['a BigInt inside a map inside an array', '91 81 a16e d4420a'],
    ['the timestamp extension (-1): a Date', 'd6 ff 00000000'],
    ['a typed array extension (ext8, type 0x74)', 'c7 03 74 010203'],
    ['a Set extension (type 0x73)', 'd5 73 9101'],
    ['an Error extension (type 0x65)', 'd5 65 9100'],
    ['a RegExp extension (type 0x78)', 'd5 78 9100'],
    ['a record definition extension (type 0x72)', 'd4 72 40'],
    ['ext16 and ext32', 'c8 0001 01 00'],
    ['ext32', 'c9 00000001 01 00'],
    ['the unused byte 0xc1', 'c1'],
    ['0xc1 inside an array', '92 01 c1'],
    ['invalid UTF-8 in a string', 'a2 c328'],
    ['a lone surrogate encoded as UTF-8', 'a3 eda080'],
    ['invalid UTF-8 in a map key', '81 a2c328 01'],
    ['a map key twice', '82 a161 01 a161 02'],
    ['an integer map key', '81 01 01'],
    ['a nil map key', '81 c0 01'],
    ['an array as map key', '81 90 01'],
    ['a map key __proto__', '81 a9 5f5f70726f746f5f5f 81a170c3'],
    ['nesting deeper than 64', '91'.repeat(65) + 'c0'],
    ['an array longer than the bytes left', 'dd ffffffff 01'],
    ['a map longer than the bytes left', 'df ffffffff a16101'],
    ['a bin longer than the bytes left', 'c6 ffffffff 00'],
  ];
  for (const [label, h] of bad) t.equal(codeOf(() => decodeEvent(withData(h))), 'TROUPE_PROTOCOL_BAD_EVENT', label);
  t.equal(codeOf(() => decodeEvent(withData(' 91'.repeat(64) + 'c0'))), 'no error', 'nesting 64 deep is fine');
});

t.test('decodeEvent refuses header fields in forms PROTOCOL.md does not allow', async (t) => {
  const g = goldenEventHex;
  const bad: [string, Uint8Array][] = [
    ['seq as int8', unhex('99a26e31d003' + g.slice(8))],
    ['seq as float32', unhex('99a26e31ca40400000' + g.slice(8))],
    ['schema as float64', unhex(g.slice(0, 10) + 'cb3ff0000000000000' + g.slice(12))],
    ['schema as int8', unhex(g.slice(0, 10) + 'd001' + g.slice(12))],
    ['a clock count as int8', withClock('81 a26e32 d002')],
    ['a clock count as float32', withClock('81 a26e32 ca40000000')],
    ['a clock count as a fractional float64', withClock('81 a26e32 cb4002000000000000')],
    ['a clock key twice', withClock('82 a26e32 02 a26e32 02')],
    ['a clock key __proto__', withClock('81 a9 5f5f70726f746f5f5f 02')],
    ['a clock key that is an integer', withClock('81 01 02')],
    ['a clock key that is a fixext', withClock('81 d4420a 02')],
    ['ts as int8', withTs('d005')],
    ['ts as a negative fixint', withTs('ff')],
    ['ts as float32', withTs('ca3f800000')],
    ['ts negative', withTs('cbbff0000000000000')],
    ['ts NaN', withTs('cb7ff8000000000000')],
    ['ts infinite', withTs('cb7ff0000000000000')],
    ['ts a timestamp extension', withTs('d6ff00000000')],
  ];
  for (const [label, bytes] of bad) t.equal(codeOf(() => decodeEvent(bytes)), 'TROUPE_PROTOCOL_BAD_EVENT', label);
  t.equal(decodeEvent(withTs('cd0400')).ts, 1024, 'ts as a uint');
  t.equal(decodeEvent(withTs('cb3ff8000000000000')).ts, 1.5, 'ts as a fractional float64');
  t.equal(decodeEvent(withClock('81 a26e32 cb4000000000000000')).vc.n2, 2, 'a count as an integral float64, as msgpackr writes 2^32 and above');
});

t.test('encodeEvent refuses data a peer would refuse, and says where it is', async (t) => {
  class Point {
    x = 1;
  }
  const deep: unknown[] = [];
  let inner = deep;
  for (let i = 0; i < 64; i++) inner.push((inner = []));
  const bad: [string, unknown, RegExp][] = [
    ['a bigint', { items: [{ n: 1 }, { n: 10n }] }, /^data\.items\[1\]\.n is a bigint/],
    ['a Date', { at: new Date(0) }, /data\.at is a Date/],
    ['a Map', new Map([[1, 2]]), /data is a Map/],
    ['a Set', { s: new Set([1]) }, /data\.s is a Set/],
    ['a typed array other than bytes', [new Int16Array(2)], /data\[0\] is a Int16Array/],
    ['a RegExp', /x/, /data is a RegExp/],
    ['an Error', new Error('x'), /data is a Error/],
    ['a class instance', new Point(), /data is a Point/],
    ['a function', { f: () => 1 }, /data\.f is a function/],
    ['a lone surrogate', ['ok', 'x\ud800'], /data\[1\] is a string with a lone UTF-16 surrogate/],
    ['nesting deeper than 64', deep, /nested deeper than 64/],
  ];
  for (const [label, data, message] of bad) {
    t.throws(() => encodeEvent({ ...goldenEvent, data }), { code: 'TROUPE_PROTOCOL_BAD_EVENT', message }, label);
  }
  const fine = { bytes: new Uint8Array([1]), buffer: Buffer.from([2]), bare: Object.assign(Object.create(null), { a: 1 }), n: [NaN, -1.5, 2 ** 60] };
  const back = decodeEvent(encodeEvent({ ...goldenEvent, data: fine })).data as Record<string, unknown>;
  t.same(back, { bytes: Buffer.from([1]), buffer: Buffer.from([2]), bare: { a: 1 }, n: [NaN, -1.5, 2 ** 60] }, 'bytes, null-prototype objects and any double');
  t.equal(codeOf(() => encodeEvent({ ...goldenEvent, ts: -1 })), 'TROUPE_PROTOCOL_BAD_EVENT', 'a negative ts');
  t.equal(codeOf(() => encodeEvent({ ...goldenEvent, schema: 2 ** 32 })), 'TROUPE_PROTOCOL_BAD_EVENT', 'a schema msgpackr would write as float64');
});

t.test('a retirement is an ordinary event whose data names origins and final seqs (golden bytes)', async (t) => {
  const retirement: Envelope = {
    id: 'n1~b:1', type: 'troupe.retired', data: { origins: { 'n1~a': 4 } }, origin: 'n1~b', seq: 1, vc: { 'n1~a': 4, 'n1~b': 1 },
    correlationId: 'n1~b:1', causationId: null, ts: 1700000000000, schema: 1,
  };
  const bytes = encodeEvent(retirement);
  t.equal(hex(bytes), '99a46e317e62010181a46e317e6104ae74726f7570652e72657469726564c0c0cb4278bcfe5680000081a76f726967696e7381a46e317e6104');
  t.same(decodeEvent(bytes), retirement);
});
