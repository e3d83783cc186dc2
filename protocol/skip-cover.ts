/**
 * Skip covers: a `v3` checkpoint (`origin-proof.ts`) without its hashes, which is all a
 * partial node needs to check a skip notice against its origin's signature.
 *
 * A peer that leaves seqs of an origin out of a partial node's stream (`skip` frame) sends
 * ahead of it, once per link, a `cover` of each checkpoint listing them: the origin, the
 * first seq, the events digest (one SHA-256 standing for the hashes and run digest), the
 * signed types and the signature. The receiver rebuilds the signed bytes and verifies them
 * under the origin's node key, then accepts a skip run only where every seq lies in a
 * verified checkpoint and is of a type outside its interest. A relay holds no key that
 * signs another node's checkpoints, and changing a type or the events digest breaks the
 * signature; so it cannot make a wanted event look skippable.
 *
 * Cost on the wire: about 125 bytes plus the type names and 4 bytes per type run, per
 * checkpoint, instead of 32 bytes per event for the whole checkpoint.
 */
import type { CheckpointTypes } from './checkpoint-types.js';
import { typedEvents } from './checkpoint-types.js';
import type { NodeIdentity } from './node-keys.js';
import { eventsDigest, hasTypes, MAX_PROOF_EVENTS, signedV3, type ProofFrame } from './origin-proof.js';
import { nodeOf } from './origin.js';

/** A `v3` checkpoint without its hashes (the `cover` frame). */
export interface CoverFrame extends CheckpointTypes {
  readonly type: 'cover';
  readonly origin: string;
  readonly first: number;
  /** The SHA-256 of the checkpoint's hashes followed by its run digest. */
  readonly events: Uint8Array;
  /** The checkpoint's signature, as its origin's node made it. */
  readonly signature: Uint8Array;
}

/** The cover of a checkpoint that signs types; `undefined` for one signed before (`v1`, `v2`). */
export function coverOf(proof: ProofFrame): CoverFrame | undefined {
  if (!hasTypes(proof)) return undefined;
  const { origin, first, types, runs, signature } = proof;
  return { type: 'cover', origin, first, events: eventsDigest(proof.hashes, proof.digest), types, runs, signature };
}

/** The seq of the last event a cover's checkpoint lists, or `undefined` if its type runs are malformed or too long. */
export function coverLast(cover: CoverFrame): number | undefined {
  const n = typedEvents(cover);
  return n === undefined || n > MAX_PROOF_EVENTS ? undefined : cover.first + n - 1;
}

/** Whether `cover` is signed by the key the trust list gives `nodeOf(cover.origin)`. */
export function verifyCover(identity: NodeIdentity, cluster: string, cover: CoverFrame): boolean {
  if (coverLast(cover) === undefined) return false;
  return identity.verify(nodeOf(cover.origin), signedV3(cluster, cover.origin, cover.first, cover.events, cover), cover.signature);
}
