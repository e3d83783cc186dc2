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
 * A checkpoint also carries the **run digest**: one SHA-256 over all its events (each
 * length-prefixed). A receiver that gets the whole run in one frame, as a full peer mostly
 * does, checks that digest with one hash call instead of one per event: per event, the
 * call costs far more than the hashing.
 *
 * A checkpoint also signs its events' **types** (`checkpoint-types.ts`), so that a partial
 * node can check a run of seqs a peer says it left out as outside its interest: the
 * sender forwards the checkpoint without its hashes (a `cover`, `skip-cover.ts`), and
 * the signature still verifies, because it covers the hashes through one digest of them.
 *
 * Signed bytes (`v3`): the domain tag, the cluster id, the origin, `first` as a decimal
 * string, the **events digest** (the SHA-256 of the concatenated hashes followed by the
 * run digest), the types (each length-prefixed, concatenated) and the type runs, each
 * length-prefixed (see `lengthPrefixed`). Checkpoints signed before (`v2`: the hashes and
 * the run digest themselves, no types; `v1`: the hashes alone) are still verified.
 */
import { createHash, hash } from 'node:crypto';
import { checkpointTypes, typedEvents, type CheckpointTypes } from './checkpoint-types.js';
import { eventHeaderAndType } from './event-codec.js';
import { lengthPrefixed } from './handshake-signature.js';
import type { NodeIdentity } from './node-keys.js';
import { nodeOf } from './origin.js';

/** Bytes in one event's hash (SHA-256). */
export const EVENT_HASH_BYTES = 32;

/** The most events one checkpoint lists; an origin splits a longer run. */
export const MAX_PROOF_EVENTS = 4096;

/** Separates these signatures from any other use of a node key. */
const DOMAIN = 'troupe/origin-proof/v3';

/** The domains of checkpoints signed before types (v2) and before run digests (v1); data directories still hold them. */
const DOMAIN_V2 = 'troupe/origin-proof/v2';
const DOMAIN_V1 = 'troupe/origin-proof/v1';

/** A signed checkpoint of one origin's events `first` … `first + n − 1` (the `proof` frame). */
export interface ProofFrame {
  readonly type: 'proof';
  /** The origin whose events it lists; `nodeOf(origin)`'s key signed it. */
  readonly origin: string;
  /** The seq of the first event listed. */
  readonly first: number;
  /** The SHA-256 of each event's encoded bytes, in seq order, concatenated. */
  readonly hashes: Uint8Array;
  /**
   * The SHA-256 of all its events' encoded bytes, in seq order, each length-prefixed (see
   * {@link runDigest}); absent in a checkpoint signed before run digests (`v1`, five fields),
   * whose events are then checked one by one.
   */
  readonly digest?: Uint8Array;
  /**
   * Its events' types, as distinct names and type runs (`checkpoint-types.ts`); absent in a
   * checkpoint signed before types (`v2`, six fields, or `v1`), which proves no skip.
   */
  readonly types?: readonly string[];
  readonly runs?: Uint8Array;
  /** Ed25519, by `nodeOf(origin)`'s key, of the signed bytes (see the file comment). */
  readonly signature: Uint8Array;
}

/**
 * SHA-256 in one call, as a `binary` (latin1) string, one character a byte: `crypto.hash` where Node
 * has it (20.12 on), which skips building a `Hash` object. For a small event, building
 * that object or a Buffer for the result costs more than the hashing; a short string
 * does not.
 */
const sha256: (bytes: Uint8Array) => string =
  typeof hash === 'function' ? (bytes) => hash('sha256', bytes, 'binary') : (bytes) => createHash('sha256').update(bytes).digest('binary');

/** The SHA-256 of an encoded event. */
export function eventHash(bytes: Uint8Array): Uint8Array {
  return Buffer.from(sha256(bytes), 'binary');
}

/** The largest run digest input written into the reused {@link scratch}; a larger one gets a buffer of its own. */
const MAX_SCRATCH_BYTES = 4 * 1024 * 1024;

/**
 * The bytes a run digest hashes are laid out here, reused from one digest to the next
 * (hashing is synchronous): a commit's run is tens of kilobytes, and allocating that
 * much at every commit and every receipt of a checkpoint is garbage for the collector.
 */
let scratch = Buffer.allocUnsafe(64 * 1024);

/** The run digest of encoded events: the SHA-256 of them all, each preceded by its byte length (32-bit big-endian). */
export function runDigest(events: readonly Uint8Array[]): Uint8Array {
  let size = 0;
  for (const e of events) size += 4 + e.length;
  if (size > scratch.length && size <= MAX_SCRATCH_BYTES) scratch = Buffer.allocUnsafe(Math.min(MAX_SCRATCH_BYTES, 2 ** Math.ceil(Math.log2(size))));
  const all = size <= scratch.length ? scratch : Buffer.allocUnsafe(size);
  let at = 0;
  for (const e of events) {
    at = all.writeUInt32BE(e.length, at);
    all.set(e, at);
    at += e.length;
  }
  return Buffer.from(sha256(all.subarray(0, size)), 'binary');
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

/** Whether `events` are all of `proof`'s events, `first` … its last seq in order, as its run digest says. */
export function provesRun(proof: ProofFrame, events: readonly Uint8Array[]): boolean {
  const { digest } = proof;
  return digest !== undefined && events.length === proof.hashes.length / EVENT_HASH_BYTES && Buffer.compare(runDigest(events), digest) === 0;
}

/** The SHA-256 of a checkpoint's hashes followed by its run digest: what `v3` signs of its events. */
export function eventsDigest(hashes: Uint8Array, digest: Uint8Array): Uint8Array {
  return Buffer.from(sha256(Buffer.concat([hashes, digest])), 'binary');
}

/** The bytes a `v3` checkpoint's signature covers, from its events digest and types (a `cover` carries just these). */
export function signedV3(cluster: string, origin: string, first: number, events: Uint8Array, typed: CheckpointTypes): Uint8Array {
  return lengthPrefixed([DOMAIN, cluster, origin, String(first), events, lengthPrefixed(typed.types), typed.runs]);
}

/** Whether `proof` signs types (`v3`); only such a checkpoint proves a skip. */
export function hasTypes(proof: ProofFrame): proof is ProofFrame & CheckpointTypes & { readonly digest: Uint8Array } {
  return proof.types !== undefined && proof.runs !== undefined && proof.digest !== undefined;
}

function signedBytes(cluster: string, proof: Omit<ProofFrame, 'type' | 'signature'>): Uint8Array | undefined {
  if (proof.digest === undefined) return lengthPrefixed([DOMAIN_V1, cluster, proof.origin, String(proof.first), proof.hashes]);
  if (proof.types === undefined || proof.runs === undefined) return lengthPrefixed([DOMAIN_V2, cluster, proof.origin, String(proof.first), proof.hashes, proof.digest]);
  // The types must list exactly the checkpoint's events, or they could prove a skip of seqs it does not list.
  if (typedEvents({ types: proof.types, runs: proof.runs }) !== proof.hashes.length / EVENT_HASH_BYTES) return undefined;
  return signedV3(cluster, proof.origin, proof.first, eventsDigest(proof.hashes, proof.digest), { types: proof.types, runs: proof.runs });
}

/**
 * This node's checkpoint of its own events `events` (encoded, seqs `first` on, at most
 * {@link MAX_PROOF_EVENTS}), whose types are `types`, in the same order (read from the
 * events when not given).
 */
export function signProof(
  identity: NodeIdentity,
  cluster: string,
  origin: string,
  first: number,
  events: readonly Uint8Array[],
  types: readonly string[] = events.map((e) => eventHeaderAndType(e).type),
): ProofFrame {
  const hashes = Buffer.from(events.map(sha256).join(''), 'binary');
  const digest = runDigest(events);
  const typed = checkpointTypes(types);
  const signature = identity.sign(signedV3(cluster, origin, first, eventsDigest(hashes, digest), typed));
  return { type: 'proof', origin, first, hashes, digest, ...typed, signature };
}

/** Whether `proof` is signed by the key the trust list gives `nodeOf(proof.origin)`. */
export function verifyProof(identity: NodeIdentity, cluster: string, proof: ProofFrame): boolean {
  const bytes = signedBytes(cluster, proof);
  return bytes !== undefined && identity.verify(nodeOf(proof.origin), bytes, proof.signature);
}
