/** Pins the frame codec: each frame's golden bytes, round trips, and refusal of invalid frames. */
import t from 'tap';
import fc from 'fast-check';
import { encodeEvent } from '../protocol/event-codec.js';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../protocol/frame-codec.js';
import { MAX_EVENT_BYTES } from '../protocol/event-codec.js';
import type { Frame } from '../protocol/frame.js';
import { clock, codeOf, count, envelope, goldenEvent, goldenEventHex, goldenFrames, digestBytes, hashBytes, runBytes, hex, name, nodeId, nonce, proofBytes, signatureBytes, unhex } from './helpers/codec-fixtures.js';

t.test('every frame type encodes to its golden bytes and back', async (t) => {
  for (const [frame, expected] of goldenFrames) {
    const bytes = encodeFrame(frame);
    t.equal(hex(bytes), expected.replace(/\s+/g, ''), frame.type);
    t.same(decodeFrame(bytes), frame, `${frame.type} round trip`);
  }
});

t.test('arbitrary frames round trip', async (t) => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const frame: fc.Arbitrary<Frame> = fc.oneof(
    fc.record({ type: fc.constant('hello' as const), cluster: name, node: nodeId, protocol: count, nonce: bytes(32) }),
    fc.record({ type: fc.constant('auth' as const), proof: bytes(32) }),
    fc.record({ type: fc.constant('auth' as const), proof: bytes(32), signature: bytes(64) }),
    fc.record({ type: fc.constant('want' as const), vc: clock }),
    fc.record({ type: fc.constant('ack' as const), vc: clock }),
    fc.record({ type: fc.constant('links' as const), links: fc.array(nodeId, { maxLength: 20 }) }),
    fc.record({
      type: fc.constant('proof' as const),
      origin: nodeId,
      first: fc.integer({ min: 1, max: 2 ** 40 }),
      hashes: fc.integer({ min: 1, max: 8 }).chain((n) => bytes(32 * n)),
      digest: bytes(32),
      signature: bytes(64),
    }),
    fc.record({
      type: fc.constant('skip' as const),
      ranges: fc.array(
        fc.tuple(nodeId, fc.integer({ min: 1, max: 2 ** 40 }), fc.nat({ max: 2 ** 20 })).map(([origin, from, n]) => ({ origin, from, to: from + n })),
        { maxLength: 10 },
      ),
    }),
    fc.record(
      {
        type: fc.constant('lost' as const),
        first: fc.integer({ min: 1, max: 2 ** 40 }),
        ranges: fc.array(
          fc.tuple(nodeId, fc.integer({ min: 1, max: 2 ** 40 }), fc.nat({ max: 2 ** 20 })).map(([origin, from, n]) => ({ origin, from, to: from + n })),
          { maxLength: 10 },
        ),
        asked: fc.array(
          fc.tuple(nodeId, fc.integer({ min: 1, max: 2 ** 40 }), fc.nat({ max: 2 ** 20 })).map(([origin, from, n]) => ({ origin, from, to: from + n })),
          { minLength: 1, maxLength: 3 },
        ),
      },
      { requiredKeys: ['type', 'first', 'ranges'] },
    ),
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

t.test('encodeFrame refuses invalid fields', async (t) => {
  const bad: [string, unknown][] = [
    ['unknown type', { type: 'gossip' }],
    ['a type named after an Object.prototype key', { type: 'toString' }],
    ['hello with a short nonce', { type: 'hello', cluster: 'c', node: 'n1', protocol: 1, nonce: new Uint8Array(8) }],
    ['hello with an admin URL that is not http(s)', { type: 'hello', cluster: 'c', node: 'n1', protocol: 2, nonce, admin: 'file:///etc/passwd' }],
    ['hello with a bad node id', { type: 'hello', cluster: 'c', node: 'n 1', protocol: 1, nonce }],
    ['hello with an instance id holding a space', { type: 'hello', cluster: 'c', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'a b' }],
    ['hello with an instance id and no admin URL to follow', { type: 'hello', cluster: 'c', node: 'n1', protocol: 5, nonce, instance: 'i' }],
    ['hello with an empty cluster', { type: 'hello', cluster: '', node: 'n1', protocol: 1, nonce }],
    ['hello with protocol -1', { type: 'hello', cluster: 'c', node: 'n1', protocol: -1, nonce }],
    ['auth with a string proof', { type: 'auth', proof: 'x'.repeat(32) }],
    ['auth with a short signature', { type: 'auth', proof: proofBytes, signature: new Uint8Array(63) }],
    ['proof with a bad origin', { type: 'proof', origin: 'n1~', first: 1, hashes: hashBytes, digest: digestBytes, signature: signatureBytes }],
    ['proof from seq 0', { type: 'proof', origin: 'n1', first: 0, hashes: hashBytes, digest: digestBytes, signature: signatureBytes }],
    ['proof with part of a hash', { type: 'proof', origin: 'n1', first: 1, hashes: new Uint8Array(33), digest: digestBytes, signature: signatureBytes }],
    ['proof with no hash', { type: 'proof', origin: 'n1', first: 1, hashes: new Uint8Array(0), digest: digestBytes, signature: signatureBytes }],
    ['proof with types and no runs', { type: 'proof', origin: 'n1', first: 1, hashes: hashBytes, digest: digestBytes, signature: signatureBytes, types: ['a'] }],
    ['proof with a type run past its types', { type: 'proof', origin: 'n1', first: 1, hashes: hashBytes, digest: digestBytes, signature: signatureBytes, types: ['a'], runs: runBytes }],
    ['cover with an empty run', { type: 'cover', origin: 'n1', first: 1, events: digestBytes, types: ['a'], runs: new Uint8Array(4), signature: signatureBytes }],
    ['cover with no types', { type: 'cover', origin: 'n1', first: 1, events: digestBytes, types: [], runs: runBytes, signature: signatureBytes }],
    ['cover with a short events digest', { type: 'cover', origin: 'n1', first: 1, events: new Uint8Array(31), types: ['a', 'b'], runs: runBytes, signature: signatureBytes }],
    ['proof with a short run digest', { type: 'proof', origin: 'n1', first: 1, hashes: hashBytes, digest: new Uint8Array(31), signature: signatureBytes }],
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
    ['a type named after an Object.prototype key', '92ab636f6e7374727563746f72c0'],
    ['type not a string', '9201c0'],
    ['hello with 4 fields', '94a568656c6c6fa674726f757065a26e3101'],
    ['hello with a short nonce', '95a568656c6c6fa163a26e3101c40400010203'],
    ['hello with a bad node id', '95a568656c6c6fa163a36e203101c420' + hex(nonce)],
    ['hello with invalid UTF-8 in the cluster', '95a568656c6c6fa1ffa26e3101c420' + hex(nonce)],
    ['hello whose admin URL is not http(s)', '96a568656c6c6fa163a26e3105c420' + hex(nonce) + 'a6663a2f2f2f78'],
    ['hello whose instance id is empty', '97a568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a0'],
    ['hello whose instance id is not a string', '97a568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a3101'],
    ['auth with a nil signature', '93a461757468c420' + hex(proofBytes) + 'c0'],
    ['auth with a short signature', '93a461757468c420' + hex(proofBytes) + 'c43f' + hex(signatureBytes).slice(2)],
    ['auth with 4 fields', '94a461757468c420' + hex(proofBytes) + 'c440' + hex(signatureBytes) + 'c0'],
    ['proof with 4 fields', '94a570726f6f66a26e3107c440' + hex(hashBytes)],
    ['proof with 7 fields', '97a570726f6f66a26e3107c440' + hex(hashBytes) + 'c420' + hex(digestBytes) + 'c440' + hex(signatureBytes) + 'c0'],
    ['proof without a run digest whose signature is short', '95a570726f6f66a26e3107c440' + hex(hashBytes) + 'c43f' + hex(signatureBytes).slice(2)],
    ['proof with a bad origin', '96a570726f6f66a36e317e07c440' + hex(hashBytes) + 'c420' + hex(digestBytes) + 'c440' + hex(signatureBytes)],
    ['proof from seq 0', '96a570726f6f66a26e3100c440' + hex(hashBytes) + 'c420' + hex(digestBytes) + 'c440' + hex(signatureBytes)],
    ['proof with part of a hash', '96a570726f6f66a26e3107c421' + hex(hashBytes).slice(0, 66) + 'c420' + hex(digestBytes) + 'c440' + hex(signatureBytes)],
    ['cover with a type run past its types', '97a5636f766572a26e3107c420' + hex(digestBytes) + '91a161c4080000000100010001c440' + hex(signatureBytes)],
    ['cover with an empty type run', '97a5636f766572a26e3107c420' + hex(digestBytes) + '91a161c40400000000c440' + hex(signatureBytes)],
    ['proof whose type runs list more events than its hashes', '98a570726f6f66a26e3107c440' + hex(hashBytes) + 'c420' + hex(digestBytes) + 'c440' + hex(signatureBytes) + '91a161c40400000003'],
    ['proof with a short run digest', '96a570726f6f66a26e3107c440' + hex(hashBytes) + 'c41f' + hex(digestBytes).slice(2) + 'c440' + hex(signatureBytes)],
    ['proof with a str signature', '96a570726f6f66a26e3107c440' + hex(hashBytes) + 'c420' + hex(digestBytes) + 'd940' + hex(signatureBytes)],
    ['auth with a str proof', '92a461757468d920' + hex(proofBytes)],
    ['want with a negative entry', '92a477616e7481a26e31ff'],
    ['want with a duplicate entry', '92a477616e7482a26e3101a26e3102'],
    ['want with a float entry', '92a477616e7481a26e31cb3fe0000000000000'],
    ['want with a non-string key', '92a477616e74810101'],
    ['links with a number', '92a56c696e6b739101'],
    ['skip with a range ending before it starts', '92a4736b69709193a26e320503'],
    ['skip with seq 0', '92a4736b69709193a26e320003'],
    ['skip with a range of two elements', '92a4736b69709192a26e3205'],
    ['lost at position 0', '93a46c6f7374009193a26e320305'],
    ['lost with a range ending before it starts', '93a46c6f7374019193a26e320503'],
    ['lost without its first position', '92a46c6f73749193a26e320305'],
    ['lost with an empty asked list', '94a46c6f7374019193a26e32030590'],
    ['lost with an asked range ending before it starts', '94a46c6f7374019193a26e3203059193a26e320503'],
    ['lost with five fields', '95a46c6f7374019193a26e3203059193a26e32030590'],
    ['hello whose interest is empty', '98a568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a3692d3190'],
    ['hello whose interest pattern has a star inside', '98a568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a3692d3191a3612a62'],
    ['hello whose relaxed flag is not a boolean', '99a568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a3692d3191a12a01'],
    ['hello whose folds flag is not a boolean', '9aa568656c6c6fa163a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a3692d3191a12ac201'],
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

t.test('a hello of this version is read up to folds, and a field after it is left unread', async (t) => {
  const more = unhex('9ba568656c6c6fa674726f757065a26e3105c420' + hex(nonce) + 'aa687474703a2f2f683a31a3692d3191a12ac3c3a3666f6f');
  t.same(decodeFrame(more), { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', interest: ['*'], relaxed: true, folds: true });
  const durable = encodeFrame({ type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', folds: true });
  t.same(decodeFrame(durable), { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 5, nonce, admin: 'http://h:1', instance: 'i-1', interest: ['*'], relaxed: false, folds: true }, 'a durable node that folds says it wants everything and is not relaxed');
});

t.test('a hello from a later protocol version may carry more fields', async (t) => {
  const later = unhex('96a568656c6c6fa674726f757065a26e3106c420' + hex(nonce) + 'a3666f6f');
  t.same(decodeFrame(later), { type: 'hello', cluster: 'troupe', node: 'n1', protocol: 6, nonce });
});

t.test('a proof frame is encoded once per frame object, and one received keeps nothing of the buffer it came in', async (t) => {
  const proof = { type: 'proof', origin: 'n1', first: 1, hashes: hashBytes, digest: digestBytes, signature: signatureBytes, types: ['Ping', 'Pong'], runs: runBytes } as const;
  t.equal(encodeFrame(proof), encodeFrame(proof), 'the same bytes each time for one frame');
  // As another implementation may write it: `first` as a uint16 rather than a fixint.
  const canonical = Buffer.from(encodeFrame(proof));
  const at = canonical.indexOf(Buffer.from([0xa2, 0x6e, 0x31, 0x01])) + 3;
  const received = Buffer.concat([canonical.subarray(0, at), Buffer.from([0xcd, 0x00, 0x01]), canonical.subarray(at + 1)]);
  const decoded = decodeFrame(received);
  t.same(decoded, proof, 'it reads as the same checkpoint');
  const again = encodeFrame(decoded);
  t.same(Buffer.from(again), canonical, 'and is sent as its own encoding of the same fields (what its signature covers), not the bytes it came as');
  t.equal(encodeFrame(decoded), again, 'encoded once for that frame too');
  received[received.length - 1] ^= 1;
  t.same(Buffer.from(encodeFrame(decoded)), canonical, 'changing the received buffer changes nothing kept');
});
