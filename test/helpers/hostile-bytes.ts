/**
 * fast-check arbitraries of hostile bytes: any msgpack value written by hand (every
 * format byte, extensions, the unused 0xc1, lying lengths, invalid UTF-8, duplicate and
 * non-string map keys), valid frames and events, and mutations of their bytes (bit flips,
 * truncation, splices, byte swaps) and of their fields (swapped, replaced, dropped or
 * added). The frame properties and `npm run fuzz` draw from the same arbitraries.
 */
import fc from 'fast-check';
import { encodeEvent, encodeFrame } from '../../protocol/codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../../protocol/envelope.js';
import { PROTOCOL_VERSION, type Frame } from '../../protocol/frame.js';
import { packr } from '../../protocol/packr.js';
import { clock, envelope, nodeId } from './codec-fixtures.js';

/** Big-endian bytes of `n` in `width` bytes. */
function be(n: number, width: number): number[] {
  const out: number[] = [];
  for (let i = width - 1; i >= 0; i--) out.push(Math.floor(n / 256 ** i) % 256);
  return out;
}

/** A header for a string (`str`), `bin` or container of `length`, in any of its widths. */
function header(kind: 'str' | 'bin' | 'array' | 'map', length: number, pick: number): number[] {
  const forms: Record<typeof kind, [number, number, number, number]> = {
    str: [0xa0, 0xd9, 0xda, 0xdb],
    bin: [-1, 0xc4, 0xc5, 0xc6],
    array: [0x90, -1, 0xdc, 0xdd],
    map: [0x80, -1, 0xde, 0xdf],
  };
  const [fix, one, two, four] = forms[kind];
  const fits = [fix >= 0 && length < (kind === 'str' ? 32 : 16) ? [fix | length] : undefined, one >= 0 && length < 256 ? [one, length] : undefined, two >= 0 && length < 65536 ? [two, ...be(length, 2)] : undefined, [four, ...be(length, 4)]].filter((f) => f !== undefined);
  return fits[pick % fits.length];
}

const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

/** A string's bytes, valid UTF-8 or not, with a header of any width. */
const strBytes = fc
  .tuple(fc.oneof(fc.string({ maxLength: 12 }).map(utf8), fc.constantFrom(utf8('__proto__'), utf8('constructor'), [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff]), fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 8 })), fc.nat())
  .map(([bytes, pick]) => [...header('str', bytes.length, pick), ...bytes]);

/** Scalars in every msgpack form, and bytes no valid value starts with. */
const scalar = fc.oneof(
  fc.integer({ min: 0, max: 0xff }).filter((b) => b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc1 || b === 0xc2 || b === 0xc3).map((b) => [b]),
  fc.tuple(fc.constantFrom(0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xca, 0xcb), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 })).map(([type, bytes]) => {
    const width = { 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8, 0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8, 0xca: 4, 0xcb: 8 }[type] as number;
    return [type, ...bytes.slice(0, width)];
  }),
  strBytes,
  fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }), fc.nat()).map(([bytes, pick]) => [...header('bin', bytes.length, pick), ...bytes]),
  // Extensions: fixext 1–16 and ext 8/16/32, any type (−1 is the msgpack timestamp).
  fc.tuple(fc.constantFrom(1, 2, 4, 8, 16), fc.integer({ min: 0, max: 255 }), fc.nat()).map(([n, type, fill]) => [{ 1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8 }[n] as number, type, ...Array<number>(n).fill(fill % 256)]),
  fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 255 }), fc.constantFrom(0xc7, 0xc8, 0xc9)).map(([n, type, form]) => [form, ...be(n, form === 0xc7 ? 1 : form === 0xc8 ? 2 : 4), type, ...Array<number>(n).fill(0)]),
  // A header that promises more than follows.
  fc.constantFrom<number[]>([0xdd, 0xff, 0xff, 0xff, 0xff], [0xdf, 0x7f, 0xff, 0xff, 0xff], [0xdb, 0xff, 0xff, 0xff, 0xff], [0xc6, 0xff, 0xff, 0xff, 0xff], [0xdc, 0x01]),
);

/** The bytes of any one msgpack value (or something that looks like one), nested a few levels. */
export const msgpackValue: fc.Arbitrary<number[]> = fc.letrec<{ value: number[] }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.tuple(fc.array(tie('value'), { maxLength: 4 }), fc.nat()).map(([items, pick]) => [...header('array', items.length, pick), ...items.flat()]),
    fc.tuple(fc.array(fc.tuple(fc.oneof(strBytes, strBytes, tie('value')), tie('value')), { maxLength: 4 }), fc.nat(), fc.boolean()).map(([entries, pick, twice]) => {
      // Sometimes the first key again: a duplicate.
      const all = twice && entries.length > 0 ? [...entries, entries[0]] : entries;
      return [...header('map', all.length, pick), ...all.flat(2)];
    }),
  ),
})).value;

/** A valid event with `data: null`, whose last byte (nil) a test can replace with any value. */
export const eventWithoutData: EncodedEvent = encodeEvent({ origin: 'n1', seq: 3, vc: { n1: 3, n2: 2 }, type: 'T', data: null, correlationId: 'c', causationId: 'n2:2', ts: 1700000000000, schema: ENVELOPE_SCHEMA });

/** The bytes of an event whose data is `value`'s bytes, as they are. */
export function eventWithData(value: readonly number[]): Uint8Array {
  return Uint8Array.from([...eventWithoutData.subarray(0, eventWithoutData.length - 1), ...value]);
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** Valid frames of every type. */
export const validFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), cluster: fc.constantFrom('troupe', 'x'), node: nodeId, protocol: fc.constant(PROTOCOL_VERSION), nonce: bytes32 }),
  fc.record({ type: fc.constant('auth' as const), proof: bytes32 }),
  fc.record({ type: fc.constant('auth' as const), proof: bytes32, signature: fc.uint8Array({ minLength: 64, maxLength: 64 }) }),
  fc.record({ type: fc.constant('want' as const), vc: clock }),
  fc.record({ type: fc.constant('ack' as const), vc: clock }),
  fc.record({ type: fc.constant('links' as const), links: fc.array(nodeId, { maxLength: 4 }) }),
  fc.record({ type: fc.constant('events' as const), events: fc.array(envelope.map(encodeEvent), { minLength: 1, maxLength: 3 }) }),
  fc.record({
    type: fc.constant('proof' as const),
    origin: fc.oneof(nodeId, nodeId.map((n) => `${n}~V1StGX`)),
    first: fc.integer({ min: 1, max: 1000 }),
    hashes: fc.integer({ min: 1, max: 3 }).chain((n) => fc.uint8Array({ minLength: 32 * n, maxLength: 32 * n })),
    digest: bytes32,
    signature: fc.uint8Array({ minLength: 64, maxLength: 64 }),
  }),
);

/** One change to bytes; `at` and `length` are taken modulo what is there. */
type ByteMutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; length: number }
  | { op: 'swap'; at: number; other: number; length: number };

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0xc0, 0xc1, 0xcb, 0xd4, 0xdd, 0xdf, 0xff) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(msgpackValue, fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 })) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ op: fc.constant('swap' as const), at: fc.nat(), other: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
);

function mutateBytes(input: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b = [...input];
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.op === 'flip') b[at] ^= 1 << m.bit;
    else if (m.op === 'set') b[at] = m.value;
    else if (m.op === 'truncate') b = b.slice(0, at);
    else if (m.op === 'insert') b.splice(at, 0, ...m.bytes);
    else if (m.op === 'delete') b.splice(at, m.length);
    else {
      const other = b.length === 0 ? 0 : m.other % b.length;
      const x = b.slice(at, at + m.length);
      const y = b.slice(other, other + m.length);
      b.splice(at, x.length, ...y);
      b.splice(other, y.length, ...x);
    }
  }
  return Uint8Array.from(b);
}

/** One change to the fields of a msgpack array (a frame or an event). */
type FieldMutation =
  | { op: 'swap'; i: number; j: number }
  | { op: 'replace'; i: number; value: unknown }
  | { op: 'drop'; i: number }
  | { op: 'add'; value: unknown };

/** Values a field could wrongly hold: other fields' values, extremes, other types. */
const fieldValue = fc.oneof(
  fc.constantFrom<unknown>(null, true, -1, 0, 2 ** 32, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, -0.5, Number.NaN, '', '__proto__', 'n1', 'n1:1', [], {}, { n1: Number.MAX_SAFE_INTEGER }, JSON.parse('{"__proto__":1}') as unknown),
  fc.string({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 40 }),
  clock,
);

const fieldMutation: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc.record({ op: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), i: fc.nat(), value: fieldValue }),
  fc.record({ op: fc.constant('drop' as const), i: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), value: fieldValue }),
);

/** Applies field mutations to the msgpack array in `bytes` (decoded with the store's msgpackr) and packs it again. */
function mutateFields(bytes: Uint8Array, mutations: readonly FieldMutation[]): Uint8Array {
  const fields = packr.unpack(bytes) as unknown[];
  for (const m of mutations) {
    if (m.op === 'add') fields.push(m.value);
    if (fields.length === 0) continue;
    if (m.op === 'swap') {
      const i = m.i % fields.length;
      const j = m.j % fields.length;
      [fields[i], fields[j]] = [fields[j], fields[i]];
    } else if (m.op === 'replace') fields[m.i % fields.length] = m.value;
    else if (m.op === 'drop') fields.splice(m.i % fields.length, 1);
  }
  return packr.pack(fields);
}

/** Bytes of a valid event with its fields or bytes mutated. */
export const mutatedEvent: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(envelope.map(encodeEvent), fc.array(fieldMutation, { minLength: 1, maxLength: 3 })).map(([bytes, ms]) => mutateFields(bytes, ms)),
  fc.tuple(envelope.map(encodeEvent), fc.array(byteMutation, { minLength: 1, maxLength: 4 })).map(([bytes, ms]) => mutateBytes(bytes, ms)),
);

/** Bytes of a valid frame mutated: its bytes, its fields, its events, or spliced with another frame. */
export const mutatedFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.tuple(validFrame.map(encodeFrame), fc.array(byteMutation, { minLength: 1, maxLength: 4 })).map(([bytes, ms]) => mutateBytes(bytes, ms)),
  fc.tuple(validFrame.map(encodeFrame), fc.array(fieldMutation, { minLength: 1, maxLength: 3 })).map(([bytes, ms]) => mutateFields(bytes, ms)),
  fc.array(mutatedEvent, { minLength: 1, maxLength: 3 }).map((events) => packr.pack(['events', events])),
  fc.tuple(validFrame.map(encodeFrame), validFrame.map(encodeFrame), fc.nat(), fc.nat(), fc.nat()).map(([a, b, at, from, length]) => {
    const cut = at % (a.length + 1);
    const start = from % (b.length + 1);
    return Uint8Array.from([...a.subarray(0, cut), ...b.subarray(start, start + (length % 64)), ...a.subarray(cut)]);
  }),
);
