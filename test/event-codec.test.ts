/** Pins the event codec: golden bytes, round trips, and refusal of invalid events. */
import t from 'tap';
import fc from 'fast-check';
import { decodeEvent, encodeEvent, eventHeader, MAX_EVENT_BYTES } from '../protocol/event-codec.js';
import type { Envelope } from '../protocol/envelope.js';
import { codeOf, envelope, goldenEvent, goldenEventHex, hex, unhex, withoutZeros } from './helpers/codec-fixtures.js';

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
