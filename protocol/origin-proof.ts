/**
 * Origin proofs: how an event shows who published it, whoever relays it.
 *
 * Signing every event would cost an Ed25519 signature per event at the origin and a
 * verification per event at every receiver. Instead, an origin signs **checkpoints**: at
 * each commit it lists the SHA-256 of every event it stamped in that commit (a run of
 * consecutive seqs, `first` … `first + n − 1`, at most {@link MAX_PROOF_EVENTS}) and signs
 * that list once with its node key. A checkpoint travels as a `proof` frame, ahead of the
 * events it covers, on every link, and is stored beside them, so a relay forwards it
 * unchanged, even after a restart. A receiver verifies the signature once per checkpoint,
 * under the key the trust list gives `nodeOf(origin)`, then checks each event it gets
 * against its own hash in the list: an event altered by a relay, or made up under another
 * node's origin, matches no signed hash. Because the list names every event's hash, a
 * receiver that gets only some of an origin's events (interest-based replication) verifies
 * those without the rest.
 *
 * Signed bytes: the domain tag, the cluster id, the origin, `first` as a decimal string,
 * and the concatenated hashes, each length-prefixed (see `lengthPrefixed`).
 */
import { createHash } from 'node:crypto';
import { lengthPrefixed } from './handshake-signature.js';
import type { NodeIdentity } from './node-keys.js';
import { nodeOf } from './origin.js';

/** Bytes in one event's hash (SHA-256). */
export const EVENT_HASH_BYTES = 32;

/** The most events one checkpoint lists; an origin splits a longer run. */
export const MAX_PROOF_EVENTS = 4096;

/** Separates these signatures from any other use of a node key. */
const DOMAIN = 'troupe/origin-proof/v1';

/** A signed checkpoint of one origin's events `first` … `first + n − 1` (the `proof` frame). */
export interface ProofFrame {
  readonly type: 'proof';
  /** The origin whose events it lists; `nodeOf(origin)`'s key signed it. */
  readonly origin: string;
  /** The seq of the first event listed. */
  readonly first: number;
  /** The SHA-256 of each event's encoded bytes, in seq order, concatenated. */
  readonly hashes: Uint8Array;
  /** Ed25519, by `nodeOf(origin)`'s key, of the signed bytes (see the file comment). */
  readonly signature: Uint8Array;
}

/** The SHA-256 of an encoded event. */
export function eventHash(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

/** The seq of the last event a checkpoint lists. */
export function lastSeq(proof: ProofFrame): number {
  return proof.first + proof.hashes.length / EVENT_HASH_BYTES - 1;
}

/** Whether `proof` lists event `seq` and `bytes` hash to what it lists for it. */
export function provesEvent(proof: ProofFrame, seq: number, bytes: Uint8Array): boolean {
  if (seq < proof.first || seq > lastSeq(proof)) return false;
  const at = (seq - proof.first) * EVENT_HASH_BYTES;
  return Buffer.compare(eventHash(bytes), proof.hashes.subarray(at, at + EVENT_HASH_BYTES)) === 0;
}

function signedBytes(cluster: string, origin: string, first: number, hashes: Uint8Array): Uint8Array {
  return lengthPrefixed([DOMAIN, cluster, origin, String(first), hashes]);
}

/** This node's checkpoint of its own events `events` (encoded, seqs `first` on, at most {@link MAX_PROOF_EVENTS}). */
export function signProof(identity: NodeIdentity, cluster: string, origin: string, first: number, events: readonly Uint8Array[]): ProofFrame {
  const hashes = Buffer.concat(events.map(eventHash));
  return { type: 'proof', origin, first, hashes, signature: identity.sign(signedBytes(cluster, origin, first, hashes)) };
}

/** Whether `proof` is signed by the key the trust list gives `nodeOf(proof.origin)`. */
export function verifyProof(identity: NodeIdentity, cluster: string, proof: ProofFrame): boolean {
  return identity.verify(nodeOf(proof.origin), signedBytes(cluster, proof.origin, proof.first, proof.hashes), proof.signature);
}
