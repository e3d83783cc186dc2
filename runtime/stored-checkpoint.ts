/**
 * Checkpoints as the store keeps them (`prf/<origin>/<last>`, see `origin-proofs.ts`).
 *
 * A checkpoint's hashes are 32 bytes per event that nothing compresses, and stored with
 * every commit they weighed on LevelDB far beyond their size: a 2-node durable cluster
 * wrote about twice the bytes to disk with keys as without. Yet the events they hash are
 * in the same store. So a `v3` checkpoint whose events are all in the commit that stores
 * it (every checkpoint a node signs, and a peer's that arrived whole) is kept **compact**:
 * its fields without the hashes, and where its events lie in the log (the first position
 * and how far past it the last one is). Read back, its hashes are computed again from
 * those events, and the run digest it carries, signed with them, must match them, or it
 * is not given back. Any other checkpoint (one whose events came in several commits, one
 * signed before types) is kept as its `proof` frame, as before.
 *
 * Only the store's bytes change: the frame read back is the frame its origin signed, and
 * it goes on the wire unchanged.
 */
import { decodeFrame, decodeValue, encodeValue, eventHeader, isProofFrame } from '../protocol/codec.js';
import type { EncodedEvent } from '../protocol/envelope.js';
import { eventHash, hasTypes, provesRun, type ProofFrame } from '../protocol/origin-proof.js';

/** Tags a compact record; a `proof` frame's array starts with `proof`. */
const COMPACT = 'checkpoint';

/** Where a checkpoint's events lie in this node's log: the first position and the span to the last. */
export interface LogSpan {
  readonly at: number;
  readonly span: number;
}

/** Reads the committed events at positions `from` … `to` (`undefined` where none). */
export type ReadLog = (from: number, to: number) => Promise<readonly (EncodedEvent | undefined)[]>;

/**
 * The bytes to store for `proof`: compact when its events lie at `where` in this commit
 * and it signs types, else its `proof` frame (`frame`).
 */
export function storedCheckpoint(proof: ProofFrame, where: LogSpan | undefined, frame: () => Uint8Array): Uint8Array {
  if (where === undefined || !hasTypes(proof)) return frame();
  return encodeValue([COMPACT, where.at, where.span, proof.origin, proof.first, proof.digest, proof.signature, proof.types, proof.runs]);
}

/**
 * The checkpoint stored as `bytes`, its hashes read again from the log where compact;
 * `undefined` if its events are no longer all there or do not match its run digest.
 */
export async function readStoredCheckpoint(bytes: Uint8Array, readLog: ReadLog): Promise<ProofFrame | undefined> {
  // A `proof` frame (most of a checkpoint's bytes are its hashes) is decoded once, by the frame codec.
  if (!isProofFrame(bytes)) {
    const value = decodeValue(bytes);
    if (Array.isArray(value) && value[0] === COMPACT) return fromCompact(value as CompactRecord, readLog);
  }
  const frame = decodeFrame(bytes);
  return frame.type === 'proof' ? frame : undefined;
}

/** A compact record's fields, as {@link storedCheckpoint} writes them. */
type CompactRecord = [string, number, number, string, number, Uint8Array, Uint8Array, string[], Uint8Array];

/** The checkpoint a compact record keeps, its hashes read again from the log; `undefined` if they are not all there or do not match. */
async function fromCompact([, at, span, origin, first, digest, signature, types, runs]: CompactRecord, readLog: ReadLog): Promise<ProofFrame | undefined> {
  const listed = await readLog(at, at + span);
  const run: EncodedEvent[] = [];
  for (const bytes of listed) {
    if (bytes === undefined) continue;
    const header = eventHeader(bytes);
    if (header.origin === origin && header.seq === first + run.length) run.push(bytes);
  }
  if (run.length === 0) return undefined;
  const hashes = Buffer.concat(run.map(eventHash));
  const proof: ProofFrame = { type: 'proof', origin, first, hashes, digest, signature, types, runs };
  return provesRun(proof, run) ? proof : undefined;
}
