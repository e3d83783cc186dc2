/**
 * The codecs of the `proof` frame (see `origin-proof.ts` and PROTOCOL.md):
 * `["proof", origin: origin, first: seq, hashes: bin (32·n, 1 ≤ n ≤ 4096), digest: bytes(32), signature: bytes(64), types: [name, …], runs: bin]`,
 * without `types` and `runs` for a checkpoint signed before types (`origin-proof/v2`), and
 * also without `digest` for one signed before run digests (`v1`); and of the `cover` frame
 * (`skip-cover.ts`): `["cover", origin: origin, first: seq, events: bytes(32), types: [name, …], runs: bin, signature: bytes(64)]`.
 * `frame-codec.ts` dispatches to these pairs like to its own.
 */
import type { WireReader } from './msgpack-reader.js';
import { SIGNATURE_BYTES } from './node-keys.js';
import { EVENT_HASH_BYTES, MAX_PROOF_EVENTS, type ProofFrame } from './origin-proof.js';
import { isOrigin } from './origin.js';
import { TroupeError } from './troupe-error.js';
import { TYPE_RUN_BYTES, typedEvents } from './checkpoint-types.js';
import type { CoverFrame } from './skip-cover.js';
import { isBytes, isName, isSeq, MAX_NAME_LENGTH } from './wire-fields.js';

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
  if (frame.types === undefined && frame.runs === undefined) return ['proof', frame.origin, frame.first, frame.hashes, frame.digest, frame.signature];
  if (frame.types === undefined || frame.runs === undefined) throw bad('types and runs go together');
  checkTypes(frame.types, frame.runs, bad);
  return ['proof', frame.origin, frame.first, frame.hashes, frame.digest, frame.signature, frame.types, frame.runs];
}

/** The wire value of a `cover`. */
export function writeCover(frame: CoverFrame): unknown[] {
  const bad = (why: string): TroupeError => new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', `cover: ${why}`);
  if (typeof frame.origin !== 'string' || !isOrigin(frame.origin)) throw bad('origin is not an origin');
  if (!isSeq(frame.first) || !Number.isSafeInteger(frame.first + MAX_PROOF_EVENTS)) throw bad('first must be a seq');
  if (!isBytes(frame.events, EVENT_HASH_BYTES, EVENT_HASH_BYTES)) throw bad(`events must be ${EVENT_HASH_BYTES} bytes`);
  checkTypes(frame.types, frame.runs, bad);
  if (!isBytes(frame.signature, SIGNATURE_BYTES, SIGNATURE_BYTES)) throw bad(`signature must be ${SIGNATURE_BYTES} bytes`);
  return ['cover', frame.origin, frame.first, frame.events, frame.types, frame.runs, frame.signature];
}

function checkTypes(types: unknown, runs: unknown, bad: (why: string) => TroupeError): void {
  if (!Array.isArray(types) || types.length < 1 || types.length > MAX_PROOF_EVENTS || !types.every(isName)) throw bad(`types must be 1 to ${MAX_PROOF_EVENTS} names`);
  if (!isBytes(runs, TYPE_RUN_BYTES, TYPE_RUN_BYTES * MAX_PROOF_EVENTS)) throw bad('runs must be 1 to 4096 type runs');
  const n = typedEvents({ types: types as string[], runs });
  if (n === undefined || n > MAX_PROOF_EVENTS) throw bad(`runs must be type runs of at most ${MAX_PROOF_EVENTS} events in all, indexing types`);
}

/** Reads `types` and `runs`, checked as {@link checkTypes} does. */
function readTypes(r: WireReader, what: string): { types: string[]; runs: Uint8Array } {
  const count = r.arrayHeader();
  if (count < 1 || count > MAX_PROOF_EVENTS) throw r.error(`${what}: types must be 1 to ${MAX_PROOF_EVENTS} names`);
  const types: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = r.str(MAX_NAME_LENGTH * 4);
    if (!isName(name)) throw r.error(`${what}: a type must be a name`);
    types.push(name);
  }
  const runs = r.bin(TYPE_RUN_BYTES, TYPE_RUN_BYTES * MAX_PROOF_EVENTS);
  const n = typedEvents({ types, runs });
  if (n === undefined || n > MAX_PROOF_EVENTS) throw r.error(`${what}: runs must be type runs of at most ${MAX_PROOF_EVENTS} events in all, indexing types`);
  return { types, runs };
}

/** Reads a `proof` after its type. */
export function readProof(r: WireReader, fields: number): ProofFrame {
  if (fields !== 8 && fields !== 6 && fields !== 5) throw r.error('proof frame must have 8 fields (6 when signed before types, 5 before run digests)');
  const origin = r.str(MAX_ORIGIN_BYTES);
  if (!isOrigin(origin)) throw r.error('proof: origin is not an origin');
  const first = r.count();
  if (first < 1 || !Number.isSafeInteger(first + MAX_PROOF_EVENTS)) throw r.error('proof: first must be a seq');
  const hashes = r.bin(EVENT_HASH_BYTES, EVENT_HASH_BYTES * MAX_PROOF_EVENTS);
  if (hashes.length % EVENT_HASH_BYTES !== 0) throw r.error(`proof: hashes must be a multiple of ${EVENT_HASH_BYTES} bytes`);
  if (fields === 5) return { type: 'proof', origin, first, hashes, signature: r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES) };
  const digest = r.bin(EVENT_HASH_BYTES, EVENT_HASH_BYTES);
  const signature = r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES);
  if (fields === 6) return { type: 'proof', origin, first, hashes, digest, signature };
  const { types, runs } = readTypes(r, 'proof');
  if (typedEvents({ types, runs }) !== hashes.length / EVENT_HASH_BYTES) throw r.error('proof: runs must cover exactly its events');
  return { type: 'proof', origin, first, hashes, digest, signature, types, runs };
}

/** Reads a `cover` after its type. */
export function readCover(r: WireReader, fields: number): CoverFrame {
  if (fields !== 7) throw r.error('cover frame must have 7 fields');
  const origin = r.str(MAX_ORIGIN_BYTES);
  if (!isOrigin(origin)) throw r.error('cover: origin is not an origin');
  const first = r.count();
  if (first < 1 || !Number.isSafeInteger(first + MAX_PROOF_EVENTS)) throw r.error('cover: first must be a seq');
  const events = r.bin(EVENT_HASH_BYTES, EVENT_HASH_BYTES);
  const { types, runs } = readTypes(r, 'cover');
  const signature = r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES);
  return { type: 'cover', origin, first, events, types, runs, signature };
}
