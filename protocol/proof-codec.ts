/**
 * The `proof` frame's codec (see `origin-proof.ts` and PROTOCOL.md):
 * `["proof", origin: origin, first: seq, hashes: bin (32·n, 1 ≤ n ≤ 4096), digest: bytes(32), signature: bytes(64)]`,
 * or without `digest` for a checkpoint signed before run digests (`origin-proof/v1`).
 * `frame-codec.ts` dispatches to this pair like to its own.
 */
import type { WireReader } from './msgpack-reader.js';
import { SIGNATURE_BYTES } from './node-keys.js';
import { EVENT_HASH_BYTES, MAX_PROOF_EVENTS, type ProofFrame } from './origin-proof.js';
import { isOrigin } from './origin.js';
import { TroupeError } from './troupe-error.js';
import { isBytes, isSeq } from './wire-fields.js';

/** The longest origin: a node id, `~` and an incarnation. */
const MAX_ORIGIN_BYTES = 64 + 1 + 16;

/** The wire value of a `proof`. */
export function writeProof(frame: ProofFrame): unknown[] {
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', `proof: ${why}`);
  if (typeof frame.origin !== 'string' || !isOrigin(frame.origin)) throw bad('origin is not an origin');
  if (!isSeq(frame.first) || !Number.isSafeInteger(frame.first + MAX_PROOF_EVENTS)) throw bad('first must be a seq');
  if (!isBytes(frame.hashes, EVENT_HASH_BYTES, EVENT_HASH_BYTES * MAX_PROOF_EVENTS) || frame.hashes.length % EVENT_HASH_BYTES !== 0) {
    throw bad(`hashes must be 1 to ${MAX_PROOF_EVENTS} hashes of ${EVENT_HASH_BYTES} bytes`);
  }
  if (frame.digest !== undefined && !isBytes(frame.digest, EVENT_HASH_BYTES, EVENT_HASH_BYTES)) throw bad(`digest must be ${EVENT_HASH_BYTES} bytes`);
  if (!isBytes(frame.signature, SIGNATURE_BYTES, SIGNATURE_BYTES)) throw bad(`signature must be ${SIGNATURE_BYTES} bytes`);
  if (frame.digest === undefined) return ['proof', frame.origin, frame.first, frame.hashes, frame.signature];
  return ['proof', frame.origin, frame.first, frame.hashes, frame.digest, frame.signature];
}

/** Reads a `proof` after its type. */
export function readProof(r: WireReader, fields: number): ProofFrame {
  if (fields !== 6 && fields !== 5) throw r.error('proof frame must have 6 fields (5 when signed before run digests)');
  const origin = r.str(MAX_ORIGIN_BYTES);
  if (!isOrigin(origin)) throw r.error('proof: origin is not an origin');
  const first = r.count();
  if (first < 1 || !Number.isSafeInteger(first + MAX_PROOF_EVENTS)) throw r.error('proof: first must be a seq');
  const hashes = r.bin(EVENT_HASH_BYTES, EVENT_HASH_BYTES * MAX_PROOF_EVENTS);
  if (hashes.length % EVENT_HASH_BYTES !== 0) throw r.error(`proof: hashes must be a multiple of ${EVENT_HASH_BYTES} bytes`);
  if (fields === 5) return { type: 'proof', origin, first, hashes, signature: r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES) };
  const digest = r.bin(EVENT_HASH_BYTES, EVENT_HASH_BYTES);
  const signature = r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES);
  return { type: 'proof', origin, first, hashes, digest, signature };
}
