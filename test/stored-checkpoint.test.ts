/**
 * Checkpoints as the store keeps them: compact (without hashes) where their events are in
 * the commit that stores them, read back as the very frame their origin signed, and
 * never given back when the log no longer holds the events they were signed with.
 */
import t from 'tap';
import { encodeFrame, encodeProof, isProofFrame } from '../protocol/codec.js';
import { encodeEvent } from '../protocol/event-codec.js';
import { ENVELOPE_SCHEMA, type EncodedEvent } from '../protocol/envelope.js';
import { NodeIdentity, newNodeKey, TrustList } from '../protocol/node-keys.js';
import { signProof, verifyProof, type ProofFrame } from '../protocol/origin-proof.js';
import { readStoredCheckpoint, storedCheckpoint, type ReadLog } from '../runtime/stored-checkpoint.js';

const k1 = newNodeKey().key;
const trust = TrustList.parse(TrustList.format([['n1', k1.publicKey]]), 'trust');
const n1 = new NodeIdentity('n1', k1, trust);

function event(origin: string, seq: number, data: unknown = { seq }): EncodedEvent {
  const id = `${origin}:${seq}`;
  return encodeEvent({ type: 'Ping', data, origin, seq, vc: { [origin]: seq }, correlationId: id, causationId: null, ts: 1, schema: ENVELOPE_SCHEMA });
}

/** A log as positions → events, read as the store reads it. */
function logOf(entries: Record<number, EncodedEvent>): ReadLog {
  return async (from, to) => Array.from({ length: to - from + 1 }, (_, i) => entries[from + i]);
}

t.test('a checkpoint whose events are in its commit is stored without its hashes and read back as the same frame', async (t) => {
  const own = [event('n1', 3), event('n1', 4), event('n1', 5)];
  const proof = signProof(n1, 'c', 'n1', 3, own);
  // Interleaved with another origin's events, as a batch may be.
  const log = logOf({ 10: own[0], 11: event('n2', 1), 12: own[1], 13: own[2] });
  const bytes = storedCheckpoint(proof, { at: 10, span: 3 }, () => encodeProof(proof));
  t.ok(bytes.length < encodeProof(proof).length - proof.hashes.length + 64, `${bytes.length} bytes stored, not the ${encodeProof(proof).length} of the frame`);
  const back = await readStoredCheckpoint(bytes, log);
  t.ok(back !== undefined && verifyProof(n1, 'c', back), 'read back, it verifies');
  t.same(back && Buffer.from(encodeFrame(back)), Buffer.from(encodeProof(proof)), 'and is, byte for byte, the frame its origin signed');
});

t.test('a stored checkpoint is not given back when the log holds other bytes than those it was signed with', async (t) => {
  const own = [event('n1', 1), event('n1', 2)];
  const proof = signProof(n1, 'c', 'n1', 1, own);
  const bytes = storedCheckpoint(proof, { at: 1, span: 1 }, () => encodeProof(proof));
  t.equal(await readStoredCheckpoint(bytes, logOf({ 1: own[0], 2: event('n1', 2, 'altered') })), undefined, 'an altered event: nothing, rather than hashes of the altered bytes');
  t.equal(await readStoredCheckpoint(bytes, logOf({ 1: own[0] })), undefined, 'an event missing: nothing');
  t.equal(await readStoredCheckpoint(bytes, logOf({ 1: own[1], 2: own[0] })), undefined, 'the events out of order: nothing');
});

t.test('a checkpoint whose events are not all in its commit, or signed before types, is stored as its frame', async (t) => {
  const own = [event('n1', 1), event('n1', 2)];
  const proof = signProof(n1, 'c', 'n1', 1, own);
  const frame = encodeProof(proof);
  t.equal(storedCheckpoint(proof, undefined, () => frame), frame, 'events in several commits: the frame');
  const v2: ProofFrame = { type: 'proof', origin: proof.origin, first: proof.first, hashes: proof.hashes, digest: proof.digest, signature: proof.signature };
  const v2Frame = encodeFrame(v2);
  t.equal(storedCheckpoint(v2, { at: 1, span: 1 }, () => v2Frame), v2Frame, 'a checkpoint without types: the frame');
  const back = await readStoredCheckpoint(frame, logOf({}));
  t.same(back && Buffer.from(encodeFrame(back)), Buffer.from(frame), 'a frame reads back as it is, without the log');
});

t.test('a proof decoded from a buffer keeps nothing of it: the buffer may be reused once read', async (t) => {
  const proof = signProof(n1, 'c', 'n1', 1, [event('n1', 1), event('n1', 2)]);
  const frame = Buffer.from(encodeProof(proof));
  // As a socket's read: the frame is a view into a larger buffer, written over afterwards.
  const read = Buffer.concat([Buffer.from([1, 2, 3]), frame, Buffer.from([4])]);
  const back = await readStoredCheckpoint(read.subarray(3, 3 + frame.length), logOf({}));
  read.fill(0);
  t.ok(back !== undefined && verifyProof(n1, 'c', back), 'it still verifies');
  t.same(back && Buffer.from(encodeFrame(back)), frame, 'and encodes to the bytes it was read from');
});

t.test('only a proof frame reads as one: a compact record or other bytes do not', async (t) => {
  const own = [event('n1', 1)];
  const proof = signProof(n1, 'c', 'n1', 1, own);
  t.ok(isProofFrame(encodeProof(proof)));
  t.notOk(isProofFrame(storedCheckpoint(proof, { at: 1, span: 0 }, () => encodeProof(proof))), 'a compact record');
  t.notOk(isProofFrame(encodeFrame({ type: 'ack', vc: { n1: 1 } })), 'another frame');
  t.notOk(isProofFrame(new Uint8Array([0xc1, 0xff])), 'bytes that are no msgpack');
  t.notOk(isProofFrame(new Uint8Array(0)), 'no bytes');
});
