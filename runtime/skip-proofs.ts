/**
 * Skip proofs at run time: a partial node takes a skip run from a peer only where its
 * origin's signature shows every skipped event is outside this node's interest and not of
 * this node (see PROTOCOL.md, **Origin proofs**).
 *
 * A skipped seq is counted in the clock: once taken, no honest peer sends that event
 * again, since `want` and `ack` claim it. So a linked peer that could name a wanted event
 * in a `skip` frame would make this node lose it for good. The sender therefore sends,
 * once per link, a `cover` (`skip-cover.ts`) of each checkpoint whose events it skips; a
 * full `proof` frame that signs types serves as well. A run covered only by a checkpoint
 * signed before types (`v1`, `v2`: a full `proof` frame the sender forwards in their
 * place) is taken as before: those events predate the rule, and their checkpoint is the
 * only statement their origin ever signed.
 *
 * Memory: per origin, the covers of seqs not yet counted (one wholly counted is let go:
 * another link's skip of those seqs changes nothing, so it is not checked), at most
 * `MAX_KEPT`.
 */
import { firstWanted, type CheckpointTypes } from '../protocol/checkpoint-types.js';
import type { SkipRange } from '../protocol/frame.js';
import type { NodeIdentity } from '../protocol/node-keys.js';
import { hasTypes, lastSeq } from '../protocol/origin-proof.js';
import { nodeOf } from '../protocol/origin.js';
import { coverLast, verifyCover, type CoverFrame } from '../protocol/skip-cover.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { OriginProofs } from './origin-proofs.js';

/** At most this many covers per origin wait for the skip runs they prove. */
const MAX_KEPT = 4096;

interface KeptCover {
  readonly cover: CoverFrame;
  readonly last: number;
}

/** One node's check of the skip runs its peers send it. */
export class SkipProofs {
  private readonly identity: NodeIdentity;
  private readonly cluster: string;
  /** This node's id: a run of its own events is never skipped to it. */
  private readonly node: string;
  /** The full checkpoints received, which prove skips too. */
  private readonly proofs: OriginProofs;
  /** Per origin, verified covers in seq order. */
  private readonly covers = new Map<string, KeptCover[]>();

  constructor(args: { identity: NodeIdentity; cluster: string; node: string; proofs: OriginProofs }) {
    this.identity = args.identity;
    this.cluster = args.cluster;
    this.node = args.node;
    this.proofs = args.proofs;
  }

  /**
   * A `cover` frame from a peer: kept once its signature verifies.
   * @throws TroupeError `TROUPE_PEER_FORGED_EVENT` when it does not
   */
  receive(cover: CoverFrame): void {
    const last = coverLast(cover);
    if (last === undefined || !verifyCover(this.identity, this.cluster, cover)) {
      throw new TroupeError('TROUPE_PEER_FORGED_EVENT', `cover of ${cover.origin} from ${cover.first} is not signed by ${nodeOf(cover.origin)}'s key`);
    }
    const list = this.covers.get(cover.origin) ?? [];
    const i = list.findIndex((k) => k.last >= cover.first);
    // An origin signs each event once: a cover overlapping a kept one says nothing new.
    if (i >= 0 && list[i].cover.first <= last) return;
    list.splice(i < 0 ? list.length : i, 0, { cover, last });
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
    this.covers.set(cover.origin, list);
  }

  /**
   * Checks skip runs before any is applied: every seq above `counted(origin)` (what this
   * node counts already and is not fetching back: a skip of those changes nothing) must
   * be listed by a verified checkpoint of its origin under a type `wants` refuses, and no
   * origin may be this node's. Covers wholly at or below `counted` are let go.
   * @throws TroupeError `TROUPE_PEER_FORGED_EVENT` naming the first seq that is not proved
   */
  check(ranges: readonly SkipRange[], wants: (type: string) => boolean, counted: (origin: string) => number): void {
    for (const { origin, from, to } of ranges) {
      if (nodeOf(origin) === this.node) throw forged(origin, from, `${this.node}'s own events are never skipped to it`);
      const below = counted(origin);
      let seq = Math.max(from, below + 1);
      while (seq <= to) seq = this.provedThrough(origin, seq, to, wants) + 1;
      this.letGo(origin, below + 1);
    }
  }

  /** The last seq from `seq` on (up to `to`) that one checkpoint proves skippable. */
  private provedThrough(origin: string, seq: number, to: number, wants: (type: string) => boolean): number {
    const kept = this.find(origin, seq);
    let checkpoint: { readonly first: number; readonly last: number; readonly typed: CheckpointTypes };
    if (kept !== undefined) {
      checkpoint = { first: kept.cover.first, last: kept.last, typed: kept.cover };
    } else {
      const proof = this.proofs.inMemory(origin, seq);
      if (proof === undefined) throw forged(origin, seq, 'no checkpoint of its origin came before it');
      // A checkpoint signed before types proves nothing of them: its skips are taken as before.
      if (!hasTypes(proof)) return Math.min(to, lastSeq(proof));
      checkpoint = { first: proof.first, last: lastSeq(proof), typed: proof };
    }
    const end = Math.min(to, checkpoint.last);
    const wanted = firstWanted(checkpoint.typed, checkpoint.first, seq, end, wants);
    if (wanted !== undefined) throw forged(origin, wanted, `${nodeOf(origin)} signed it as an event this node wants`);
    return end;
  }

  private find(origin: string, seq: number): KeptCover | undefined {
    const list = this.covers.get(origin);
    if (list === undefined) return undefined;
    for (let i = list.length - 1; i >= 0; i--) {
      const k = list[i];
      if (k.last < seq) return undefined;
      if (k.cover.first <= seq) return k;
    }
    return undefined;
  }

  /** Lets go of the covers of `origin` wholly below `seq`: the stream has passed them. */
  private letGo(origin: string, seq: number): void {
    const list = this.covers.get(origin);
    if (list === undefined) return;
    let n = 0;
    while (n < list.length && list[n].last < seq) n++;
    if (n === list.length) this.covers.delete(origin);
    else if (n > 0) list.splice(0, n);
  }
}

function forged(origin: string, seq: number, why: string): TroupeError {
  return new TroupeError('TROUPE_PEER_FORGED_EVENT', `skip of ${origin}:${seq} is not proved: ${why}`);
}
