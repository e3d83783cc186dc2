/**
 * Shared fixtures of the codec tests: the golden event and frames (any change to their
 * bytes is a wire change: bump PROTOCOL_VERSION and PROTOCOL.md), byte helpers, and
 * fast-check arbitraries of valid fields.
 */
import fc from 'fast-check';
import { NODE_ID_PATTERN, type Envelope, type VectorClock } from '../../protocol/envelope.js';
import type { Frame } from '../../protocol/frame.js';
import { isTroupeError, type TroupeErrorCode } from '../../protocol/troupe-error.js';

/** Bytes as lowercase hex. */
export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
/** Hex (whitespace ignored) as bytes. */
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
/** `n` bytes counting up from `from`. */
export const counting = (n: number, from = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

/** Runs `fn` and returns the code of the TroupeError it throws; fails on any other outcome. */
export function codeOf(fn: () => unknown): TroupeErrorCode | 'no error' | 'not a TroupeError' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return isTroupeError(err) ? err.code : 'not a TroupeError';
  }
}

/** The golden event: `n1:3`, caused by `n2:2`. */
export const goldenEvent: Omit<Envelope, 'id'> = {
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
/** Its bytes, field by field. */
export const goldenEventHex =
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

/** A golden nonce and proof. */
export const nonce = counting(32);
export const proofBytes = counting(32, 0xe0);
export const signatureBytes = counting(64, 0x40);
/** Two event hashes, as a `proof` frame lists them. */
export const hashBytes = counting(64, 0x80);
/** A run digest, as a `proof` frame carries it. */
export const digestBytes = counting(32, 0x20);
/** Type runs of two events: one of type 0, one of type 1 (`checkpoint-types.ts`). */
export const runBytes = Uint8Array.from([0, 0, 0, 1, 0, 1, 0, 1]);
/** Every frame type with its golden bytes (hex, spaces for reading). */
export const goldenFrames: readonly [Frame, string][] = [
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 1, nonce },
    '95 a568656c6c6f a674726f757065 a26e31 01 c420' + hex(nonce),
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1' },
    '96 a568656c6c6f a674726f757065 a26e31 05 c420' + hex(nonce) + ' aa687474703a2f2f683a31',
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1' },
    '97 a568656c6c6f a674726f757065 a26e31 05 c420' + hex(nonce) + ' aa687474703a2f2f683a31 a3692d31',
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'd1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', interest: ['alert.*', 'r'] },
    '98 a568656c6c6f a674726f757065 a26431 05 c420' + hex(nonce) + ' aa687474703a2f2f683a31 a3692d31 92 a7616c6572742e2a a172',
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', interest: ['*'], relaxed: true },
    '99 a568656c6c6f a674726f757065 a26e31 05 c420' + hex(nonce) + ' aa687474703a2f2f683a31 a3692d31 91 a12a c3',
  ],
  [
    { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', interest: ['*'], relaxed: false, folds: true },
    '9a a568656c6c6f a674726f757065 a26e31 05 c420' + hex(nonce) + ' aa687474703a2f2f683a31 a3692d31 91 a12a c2 c3',
  ],
  [{ type: 'auth', proof: proofBytes }, '92 a461757468 c420' + hex(proofBytes)],
  [{ type: 'auth', proof: proofBytes, signature: signatureBytes }, '93 a461757468 c420' + hex(proofBytes) + ' c440' + hex(signatureBytes)],
  [{ type: 'want', vc: { n1: 3, n2: 0 } }, '92 a477616e74 82 a26e31 03 a26e32 00'],
  [{ type: 'links', links: ['n2', 'n3~V1'] }, '92 a56c696e6b73 92 a26e32 a56e337e5631'],
  [{ type: 'events', events: [unhex(goldenEventHex)] }, '92 a66576656e7473 91 c43c' + goldenEventHex],
  [{ type: 'skip', ranges: [{ origin: 'n2', from: 1, to: 40 }, { origin: 'n3', from: 7, to: 7 }] }, '92 a4736b6970 92 93 a26e32 01 28 93 a26e33 07 07'],
  [{ type: 'skip', ranges: [{ origin: 'n3~V1', from: 2, to: 3 }] }, '92 a4736b6970 91 93 a56e337e5631 02 03'],
  [{ type: 'ack', vc: { n1: 3, n2: 1 } }, '92 a361636b 82 a26e31 03 a26e32 01'],
  [{ type: 'lost', first: 300, ranges: [{ origin: 'n2~V1', from: 5, to: 200 }] }, '93 a46c6f7374 cd012c 91 93 a56e327e5631 05 ccc8'],
  [
    { type: 'lost', first: 300, ranges: [{ origin: 'n2~V1', from: 5, to: 200 }], asked: [{ origin: 'n2~V1', from: 150, to: 200 }] },
    '94 a46c6f7374 cd012c 91 93 a56e327e5631 05 ccc8 91 93 a56e327e5631 cc96 ccc8',
  ],
  [
    { type: 'proof', origin: 'n1~V1StGX', first: 7, hashes: hashBytes, digest: digestBytes, signature: signatureBytes },
    '96 a570726f6f66 a96e317e563153744758 07 c440' + hex(hashBytes) + ' c420' + hex(digestBytes) + ' c440' + hex(signatureBytes),
  ],
  [
    { type: 'proof', origin: 'n1~V1StGX', first: 7, hashes: hashBytes, digest: digestBytes, signature: signatureBytes, types: ['a', 'b'], runs: runBytes },
    '98 a570726f6f66 a96e317e563153744758 07 c440' + hex(hashBytes) + ' c420' + hex(digestBytes) + ' c440' + hex(signatureBytes) + ' 92 a161 a162 c408 0000000100010001',
  ],
  [
    { type: 'cover', origin: 'n1~V1StGX', first: 7, events: digestBytes, types: ['a', 'b'], runs: runBytes, signature: signatureBytes },
    '97 a5636f766572 a96e317e563153744758 07 c420' + hex(digestBytes) + ' 92 a161 a162 c408 0000000100010001 c440' + hex(signatureBytes),
  ],
];

/** Valid node ids, names, counts and clocks. */
export const nodeId = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/).filter((s) => NODE_ID_PATTERN.test(s));
export const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => s.length <= 256);
export const count = fc.maxSafeNat();
export const clock = fc.dictionary(nodeId, count, { maxKeys: 6 });

/** JSON data without `__proto__` keys (event data refuses those; see event-codec.test.ts). */
export const data = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }).filter((v) => !JSON.stringify(v ?? null).includes('"__proto__"'));

/** Valid events (without `id`). */
export const envelope = fc
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
    ts: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)),
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
export function withoutZeros(vc: VectorClock): VectorClock {
  return Object.fromEntries(Object.entries(vc).filter(([, n]) => n !== 0));
}
