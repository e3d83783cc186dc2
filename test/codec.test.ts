import t from 'tap';
import fc from 'fast-check';
import {
  decodeEvent,
  decodeFrame,
  decodeValue,
  encodeEvent,
  encodeFrame,
  encodeValue,
  eventHeader,
  MAX_EVENT_BYTES,
  MAX_FRAME_BYTES,
} from '../protocol/codec.js';
import { NODE_ID_PATTERN, type Envelope, type VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { isTroupeError, type TroupeErrorCode } from '../protocol/troupe-error.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const counting = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** Runs `fn` and returns the code of the TroupeError it throws; fails on any other outcome. */
function codeOf(fn: () => unknown): TroupeErrorCode | 'no error' | 'not a TroupeError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isTroupeError(err) ? err.code : 'not a TroupeError';
  }
}

// ---------------------------------------------------------------------------------------
// Golden bytes. Any change here is a wire change: bump PROTOCOL_VERSION and PROTOCOL.md.

const goldenEvent: Omit<Envelope, 'id'> = {
  origin: 'n1',
  seq: 3,
  vc: { n1: 3, n2: 2, n3: 0 },
  type: 'OrderCreated',
  data: { orderId: 'o-1', qty: 2 },
  correlationId: 'c-1',
  causationId: 'n2:2',
  ts: 1700000000000,
  schema: 1,
};
const goldenEventHex =
  '99' + // array of 9
  'a26e31' + // origin "n1"
  '03' + // seq 3
  '01' + // schema 1
  '81a26e3202' + // vc without the origin's own entry and zeros: { n2: 2 }
  'ac4f7264657243726561746564' + // type "OrderCreated"
  'a3632d31' + // correlationId "c-1"
  '92a26e3202' + // causation "n2:2" as ["n2", 2]
  'cb4278bcfe56800000' + // ts 1700000000000 (float64, how msgpackr writes integers ≥ 2^32)
  '82a76f726465724964a36f2d31a371747902'; // data { orderId: "o-1", qty: 2 }

const nonce = counting(32);
const proofBytes = counting(32, 0xe0);
const goldenFrames: readonly [Frame, string][] = [
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 1, nonce },
    '95 a568656c6c6f a674726f757065 a26e31 01 c420' + hex(nonce),
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 2, nonce, admin: 'http://h:1' },
    '96 a568656c6c6f a674726f757065 a26e31 02 c420' + hex(nonce) + ' aa687474703a2f2f683a31',
  ],
  [{ type: 'auth', proof: proofBytes }, '92 a461757468 c420' + hex(proofBytes)],
  [{ type: 'want', vc: { n1: 3, n2: 0 } }, '92 a477616e74 82 a26e31 03 a26e32 00'],
  [{ type: 'links', links: ['n2', 'n3'] }, '92 a56c696e6b73 92 a26e32 a26e33'],
  [{ type: 'events', events: [unhex(goldenEventHex)] }, '92 a66576656e7473 91 c43c' + goldenEventHex],
  [{ type: 'ack', vc: { n1: 3, n2: 1 } }, '92 a361636b 82 a26e31 03 a26e32 01'],
];

t.test('an event encodes to its golden bytes and back', async (t) => {
  const bytes = encodeEvent(goldenEvent);
  t.equal(hex(bytes), goldenEventHex);
  t.same(decodeEvent(bytes), { id: 'n1:3', ...goldenEvent, vc: { n1: 3, n2: 2 } });
  t.same(eventHeader(bytes), { origin: 'n1', seq: 3 });
});

t.test('every frame type encodes to its golden bytes and back', async (t) => {
  for (const [frame, expected] of goldenFrames) {
    const bytes = encodeFrame(frame);
    t.equal(hex(bytes), expected.replace(/\s+/g, ''), frame.type);
    t.same(decodeFrame(bytes), frame, `${frame.type} round trip`);
  }
});

// ---------------------------------------------------------------------------------------
// Round trips of arbitrary values

const nodeId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/).filter((s) => NODE_ID_PATTERN.test(s));
const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => s.length <= 256);
const count = fc.maxSafeNat();
const clock = fc.dictionary(nodeId, count, { maxKeys: 6 });

/** JSON-like data without `__proto__` keys (msgpackr renames those; see the test below). */
const data = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }).filter((v) => !JSON.stringify(v ?? null).includes('"__proto__"'));

const envelope = fc
  .record({
    origin: nodeId,
    seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    others: clock,
    type: name,
    data: fc.oneof(data, fc.constant(undefined), fc.uint8Array({ maxLength: 40 })),
    correlationId: name,
    causation: fc.oneof(
      fc.constant(null),
      fc.tuple(nodeId, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })).map(([n, s]) => `${n}:${s}`),
      name,
    ),
    ts: fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
    schema: fc.integer({ min: 1, max: 1000 }),
  })
  .map(({ origin, seq, others, causation, ...rest }): Omit<Envelope, 'id'> => ({
    origin,
    seq,
    vc: { ...others, [origin]: seq },
    causationId: causation,
    ...rest,
  }));

/** What a clock means: its entries without zeros. */
function withoutZeros(vc: VectorClock): VectorClock {
  return Object.fromEntries(Object.entries(vc).filter(([, n]) => n !== 0));
}

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

t.test('data keys named __proto__ arrive renamed, never as a prototype', async (t) => {
  const back = decodeEvent(encodeEvent({ ...goldenEvent, data: JSON.parse('{"__proto__": {"polluted": true}}') }));
  t.same(back.data, { __proto_: { polluted: true } });
  t.equal(Object.getPrototypeOf(back.data), Object.prototype);
});

t.test('undefined data is left off the wire and decodes as undefined', async (t) => {
  const bytes = encodeEvent({ ...goldenEvent, data: undefined });
  t.equal(bytes[0], 0x98, 'an array of 8');
  t.equal(decodeEvent(bytes).data, undefined);
  t.same(decodeEvent(encodeEvent({ ...goldenEvent, data: { a: undefined, b: [undefined] } })).data, { b: [null] }, 'as in JSON');
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

t.test('arbitrary frames round trip', async (t) => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const frame: fc.Arbitrary<Frame> = fc.oneof(
    fc.record({ type: fc.constant('hello' as const), cluster: name, node: nodeId, protocol: count, nonce: bytes(32) }),
    fc.record({ type: fc.constant('auth' as const), proof: bytes(32) }),
    fc.record({ type: fc.constant('want' as const), vc: clock }),
    fc.record({ type: fc.constant('ack' as const), vc: clock }),
    fc.record({ type: fc.constant('links' as const), links: fc.array(nodeId, { maxLength: 20 }) }),
    fc.record({ type: fc.constant('events' as const), events: fc.array(envelope.map(encodeEvent), { maxLength: 5 }) }),
  );
  fc.assert(
    fc.property(frame, (f) => {
      t.same(decodeFrame(encodeFrame(f)), f);
    }),
    { numRuns: 300 },
  );
});

t.test('clock entries round trip in every integer width', async (t) => {
  const vc = { a: 0, b: 127, c: 128, d: 255, e: 256, f: 65535, g: 65536, h: 2 ** 32 - 1, i: 2 ** 32, j: Number.MAX_SAFE_INTEGER };
  t.same(decodeFrame(encodeFrame({ type: 'ack', vc })), { type: 'ack', vc });
  // Another encoder may write uint64 where msgpackr writes float64.
  t.same(decodeFrame(unhex('92a361636b81a161cf0000000100000000')), { type: 'ack', vc: { a: 2 ** 32 } });
});

t.test('decoded bins own their bytes, packed in small shared slabs', async (t) => {
  const wire = new Uint8Array(encodeFrame({ type: 'events', events: [unhex(goldenEventHex)] }));
  const frame = decodeFrame(wire);
  if (frame.type !== 'events') throw new Error('expected events');
  wire.fill(0);
  t.equal(hex(frame.events[0]), goldenEventHex, 'unchanged when the frame buffer is reused');
  t.not(frame.events[0].buffer, wire.buffer, 'not a view into the frame');
  t.ok(frame.events[0].buffer.byteLength <= 16 * 1024, 'pins at most a 16 KiB slab');
  const event = encodeEvent(goldenEvent);
  t.ok(event.buffer.byteLength <= 16 * 1024, 'an encoded event pins at most a 16 KiB slab');
  const copies = Array.from({ length: 1000 }, () => encodeEvent(goldenEvent));
  t.ok(copies.every((c) => hex(c) === goldenEventHex), 'copies sharing slabs never overwrite each other');
  const big = encodeEvent({ ...goldenEvent, data: 'x'.repeat(10_000) });
  t.equal(big.buffer.byteLength, big.length, 'a large event gets a buffer of its own');
});

// ---------------------------------------------------------------------------------------
// Invalid and hostile input

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

t.test('encodeFrame refuses invalid fields', async (t) => {
  const bad: [string, unknown][] = [
    ['unknown type', { type: 'gossip' }],
    ['hello with a short nonce', { type: 'hello', cluster: 'c', node: 'n1', protocol: 1, nonce: new Uint8Array(8) }],
    ['hello with an admin URL that is not http(s)', { type: 'hello', cluster: 'c', node: 'n1', protocol: 2, nonce, admin: 'file:///etc/passwd' }],
    ['hello with a bad node id', { type: 'hello', cluster: 'c', node: 'n 1', protocol: 1, nonce }],
    ['hello with an empty cluster', { type: 'hello', cluster: '', node: 'n1', protocol: 1, nonce }],
    ['hello with protocol -1', { type: 'hello', cluster: 'c', node: 'n1', protocol: -1, nonce }],
    ['auth with a string proof', { type: 'auth', proof: 'x'.repeat(32) }],
    ['want with a fractional entry', { type: 'want', vc: { n1: 0.5 } }],
    ['ack with a clock that is an array', { type: 'ack', vc: [1] }],
    ['links with a bad id', { type: 'links', links: ['n1', ''] }],
    ['events with a string', { type: 'events', events: ['x'] }],
    ['events with a tiny event', { type: 'events', events: [new Uint8Array(3)] }],
  ];
  for (const [label, frame] of bad) t.equal(codeOf(() => encodeFrame(frame as Frame)), 'TROUPE_PROTOCOL_BAD_FRAME', label);
});

t.test('frames over the size limit are refused both ways', async (t) => {
  const events = Array.from({ length: 17 }, () => new Uint8Array(MAX_EVENT_BYTES));
  t.equal(codeOf(() => encodeFrame({ type: 'events', events })), 'TROUPE_PROTOCOL_FRAME_TOO_LARGE');
  t.equal(codeOf(() => decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1))), 'TROUPE_PROTOCOL_FRAME_TOO_LARGE');
});

t.test('decodeFrame refuses malformed frames', async (t) => {
  const bad: [string, string][] = [
    ['empty', ''],
    ['a map, not an array', '82a474797065a66576656e7473a66576656e747390'],
    ['an empty array', '90'],
    ['unknown type', '92a6676f73736970c0'],
    ['type not a string', '9201c0'],
    ['hello with 4 fields', '94a568656c6c6fa674726f757065a26e3101'],
    ['hello with a short nonce', '95a568656c6c6fa163a26e3101c40400010203'],
    ['hello with a bad node id', '95a568656c6c6fa163a36e203101c420' + hex(nonce)],
    ['hello with invalid UTF-8 in the cluster', '95a568656c6c6fa1ffa26e3101c420' + hex(nonce)],
    ['hello whose admin URL is not http(s)', '96a568656c6c6fa163a26e3102c420' + hex(nonce) + 'a6663a2f2f2f78'],
    ['auth with 3 fields', '93a461757468c420' + hex(proofBytes) + 'c0'],
    ['auth with a str proof', '92a461757468d920' + hex(proofBytes)],
    ['want with a negative entry', '92a477616e7481a26e31ff'],
    ['want with a duplicate entry', '92a477616e7482a26e3101a26e3102'],
    ['want with a float entry', '92a477616e7481a26e31cb3fe0000000000000'],
    ['want with a non-string key', '92a477616e74810101'],
    ['links with a number', '92a56c696e6b739101'],
    ['events with a str', '92a66576656e747391a3616263'],
    ['events with a short bin', '92a66576656e747391c403010203'],
    ['trailing bytes', '92a361636b80c0'],
    ['truncated', '92a361636b81a26e31'],
    ['a huge declared array in a few bytes', 'ddffffffff'],
    ['a huge declared events array', '92a66576656e7473ddffffffff'],
    ['a huge declared clock', '92a361636bdfffffffff'],
    ['a huge declared bin', '92a66576656e747391c6ffffffff'],
    ['a huge declared str', '92dbffffffff'],
  ];
  for (const [label, h] of bad) t.equal(codeOf(() => decodeFrame(unhex(h))), 'TROUPE_PROTOCOL_BAD_FRAME', label);
  t.equal(codeOf(() => decodeFrame([0x90] as unknown as Uint8Array)), 'TROUPE_PROTOCOL_BAD_FRAME', 'not bytes');
});

t.test('a hello from a later protocol version may carry more fields', async (t) => {
  const later = unhex('96a568656c6c6fa674726f757065a26e3103c420' + hex(nonce) + 'a3666f6f');
  t.same(decodeFrame(later), { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 3, nonce });
});

t.test('random bytes never make a decoder throw anything but its TroupeError', async (t) => {
  const garbage = fc.oneof(
    fc.uint8Array({ maxLength: 200 }),
    // Valid encodings with a few bytes flipped, truncated or extended: closer to the edges.
    fc.tuple(fc.constantFrom(unhex(goldenEventHex), ...goldenFrames.map(([f]) => encodeFrame(f))), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.integer({ min: -20, max: 5 })).map(([valid, flips, cut]) => {
      const bytes = Uint8Array.from(valid);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return cut < 0 ? bytes.subarray(0, bytes.length + cut) : Uint8Array.from([...bytes, ...counting(cut)]);
    }),
    // Well-formed msgpack of any shape.
    fc.anything({ maxDepth: 3 }).map(encodeValue),
  );
  fc.assert(
    fc.property(garbage, (bytes) => {
      const frame = codeOf(() => decodeFrame(bytes));
      const event = codeOf(() => decodeEvent(bytes));
      const header = codeOf(() => eventHeader(bytes));
      return (
        (frame === 'no error' || frame === 'TROUPE_PROTOCOL_BAD_FRAME') &&
        (event === 'no error' || event === 'TROUPE_PROTOCOL_BAD_EVENT') &&
        (header === 'no error' || header === 'TROUPE_PROTOCOL_BAD_EVENT') &&
        // Whatever decodeEvent accepts, a relay can read the header of.
        (event !== 'no error' || header === 'no error')
      );
    }),
    { numRuns: 3000 },
  );
  t.pass('property holds');
});

t.test('deeply nested input is refused, not a crash', async (t) => {
  const deep = new Uint8Array(1_000_000).fill(0x91);
  t.equal(codeOf(() => decodeEvent(Uint8Array.from([0x99, 0xa2, 0x6e, 0x31, 0x01, ...deep.subarray(0, 200_000)]))), 'TROUPE_PROTOCOL_BAD_EVENT');
  t.equal(codeOf(() => decodeFrame(deep)), 'TROUPE_PROTOCOL_BAD_FRAME');
  t.equal(codeOf(() => decodeValue(deep)), 'TROUPE_STORE_FAILED');
  t.same(decodeValue(encodeValue({ still: 'working' })), { still: 'working' });
});

// ---------------------------------------------------------------------------------------
// Values

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
