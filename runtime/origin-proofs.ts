/**
 * Origin proofs at run time: the checkpoints (`origin-proof.ts`) one node signs, receives,
 * keeps and forwards.
 *
 * - **Signing.** Each batch, the events it stamped under this start's origin are listed
 *   in one checkpoint per run of at most `MAX_PROOF_EVENTS`, signed with this node's key,
 *   and committed with them (`prf/` in the store). Events of the node's earlier origins
 *   (its history, fetched back from peers) are never signed again: they come with the
 *   checkpoints it signed then, and are checked like any peer's.
 * - **Receiving.** A peer's `proof` frame is verified once (under the key of
 *   `nodeOf(origin)`) and kept in memory; each event from a peer that this node has not
 *   delivered yet must then match a kept checkpoint, or the whole frame is refused
 *   (`TROUPE_PEER_FORGED_EVENT`) and changes nothing. A checkpoint is stored with the
 *   first commit that holds one of its events, so a restarted node still has it;
 *   without its hashes when that commit holds all its events (`stored-checkpoint.ts`).
 * - **Skips.** A skip run from a peer is taken only where a checkpoint, or its `cover`,
 *   signs each seq's type as outside this node's interest (`skip-proofs.ts`).
 * - **Forwarding.** Before an event goes to a peer, its checkpoint does, once per link
 *   (`Outboxes`): from memory for recent events, from the store for older ones.
 *
 * Memory holds, per origin, the checkpoints of about the last `KEEP_EVENTS` events
 * delivered (older ones are read back from the store when a peer needs them) and at most
 * `MAX_PENDING` checkpoints whose events have not arrived.
 */
import { encodeProof } from '../protocol/codec.js';
import type { EncodedEvent, VectorClock } from '../protocol/envelope.js';
import { eventHeaderAndType } from '../protocol/event-codec.js';
import type { NodeIdentity } from '../protocol/node-keys.js';
import { lastSeq, MAX_PROOF_EVENTS, provesEvent, provesRun, signProof, verifyProof, type ProofFrame } from '../protocol/origin-proof.js';
import { nodeOf } from '../protocol/origin.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { SkipProofs } from './skip-proofs.js';
import { readStoredCheckpoint, storedCheckpoint, type LogSpan } from './stored-checkpoint.js';
import type { Store, StoredEvent, StoredProof } from './store.js';

/** Checkpoints of about this many of an origin's latest delivered events stay in memory. */
const KEEP_EVENTS = 20_000;
/** At most this many checkpoints per origin wait in memory for their events. */
const MAX_PENDING = 4096;
/**
 * Checkpoints rebuilt from the store that stay at hand: a gateway sends one device's
 * backlog to every peer, each outbox asking for the same checkpoints in turn, and one
 * object per checkpoint also lets `Outboxes` make its cover once.
 */
const KEEP_REBUILT = 64;

/** What {@link OriginProofs.check} reads of an event from a peer. */
interface ProvedEvent {
  readonly origin: string;
  readonly seq: number;
  readonly bytes: EncodedEvent;
}

interface Kept {
  readonly proof: ProofFrame;
  readonly last: number;
  /** Whether a commit has written it (or is writing it) to the store. */
  stored: boolean;
}

/** One node's origin checkpoints: signs its own, checks and keeps its peers'. */
export class OriginProofs {
  private readonly identity: NodeIdentity;
  private readonly cluster: string;
  private readonly store: Store;
  /** The origin this node stamps (and signs) under in this start. */
  private readonly origin: string;
  /** Per origin, kept checkpoints in seq order, not overlapping. */
  private readonly kept = new Map<string, Kept[]>();
  /** Checkpoints last read back from the store, newest first, at most `KEEP_REBUILT`. */
  private rebuilt: ProofFrame[] = [];
  /** Checks the skip runs peers send this node against these checkpoints and their covers. */
  readonly skips: SkipProofs;

  constructor(args: {
    identity: NodeIdentity;
    cluster: string;
    store: Store;
    /** The origin this node stamps under now (`originOf(identity.node, incarnation)`). */
    origin: string;
  }) {
    this.identity = args.identity;
    this.cluster = args.cluster;
    this.store = args.store;
    this.origin = args.origin;
    this.skips = new SkipProofs({ identity: this.identity, cluster: this.cluster, node: nodeOf(this.origin), proofs: this });
  }

  /**
   * A `proof` frame from a peer: kept once its signature verifies. One this node keeps
   * already is not verified again.
   * @throws TroupeError `TROUPE_PEER_FORGED_EVENT` when the signature does not verify
   */
  receive(proof: ProofFrame): void {
    const list = this.kept.get(proof.origin) ?? [];
    const last = lastSeq(proof);
    const i = list.findIndex((k) => k.last >= proof.first);
    const same = i >= 0 && list[i].proof.first === proof.first && list[i].last === last && Buffer.compare(list[i].proof.hashes, proof.hashes) === 0;
    if (same) return;
    if (!verifyProof(this.identity, this.cluster, proof)) {
      throw new TroupeError('TROUPE_PEER_FORGED_EVENT', `checkpoint of ${proof.origin} ${proof.first}-${last} is not signed by ${nodeOf(proof.origin)}'s key`);
    }
    // An origin signs each event once; a second, overlapping checkpoint says nothing new.
    if (i >= 0 && list[i].proof.first <= last) return;
    list.splice(i < 0 ? list.length : i, 0, { proof, last, stored: false });
    if (list.length > MAX_PENDING) list.splice(0, list.length - MAX_PENDING);
    this.kept.set(proof.origin, list);
  }

  /**
   * Checks events from a peer before any is kept: each one this node would take (`isNew`:
   * a seq above what it delivered, or a skipped seq it refills) must match a checkpoint
   * received from a peer. The others are duplicates, which change nothing. A checkpoint's
   * whole run, present in order, is checked against its run digest at once; other events
   * one by one against their hashes.
   * @throws TroupeError `TROUPE_PEER_FORGED_EVENT` naming the first that does not
   */
  check<E extends ProvedEvent>(events: readonly E[], isNew: (e: E) => boolean): void {
    let i = 0;
    while (i < events.length) {
      const e = events[i];
      if (!isNew(e)) {
        i++;
        continue;
      }
      const kept = this.find(e.origin, e.seq);
      if (kept === undefined) throw new TroupeError('TROUPE_PEER_FORGED_EVENT', `event ${e.origin}:${e.seq} came without a checkpoint of its origin`);
      const run = wholeRun(events, i, kept.proof, isNew);
      if (run !== undefined && provesRun(kept.proof, run)) {
        i += run.length;
        continue;
      }
      // One by one, also after a run that does not match: the error then names the event.
      const end = i + (run?.length ?? 1);
      for (; i < end; i++) {
        if (!provesEvent(kept.proof, events[i].seq, events[i].bytes)) {
          throw new TroupeError('TROUPE_PEER_FORGED_EVENT', `event ${events[i].origin}:${events[i].seq} differs from what ${nodeOf(e.origin)} signed`);
        }
      }
      if (run !== undefined) {
        throw new TroupeError('TROUPE_PEER_FORGED_EVENT', `events ${e.origin}:${kept.proof.first}-${kept.last} differ from the run ${nodeOf(e.origin)} signed`);
      }
    }
  }

  /**
   * The checkpoints a batch about to be written must store: one signed now for each run
   * of events this node stamped under its current origin, and each received checkpoint
   * whose events are stored for the first time. Also lets go of checkpoints far below
   * `delivered`.
   */
  forBatch(events: readonly StoredEvent[], delivered: VectorClock): StoredProof[] {
    // Received checkpoints stored for the first time, with where their events in this batch lie.
    const first = new Map<Kept, { at: number; end: number; count: number }>();
    const own: StoredEvent[] = [];
    for (const e of events) {
      const kept = this.find(e.origin, e.seq);
      if (kept === undefined) {
        if (e.origin === this.origin) own.push(e);
        continue;
      }
      if (kept.stored && !first.has(kept)) continue;
      kept.stored = true;
      const where = first.get(kept);
      if (where === undefined) first.set(kept, { at: e.pos, end: e.pos, count: 1 });
      else {
        where.at = Math.min(where.at, e.pos);
        where.end = Math.max(where.end, e.pos);
        where.count++;
      }
    }
    const out: StoredProof[] = [];
    for (const [kept, where] of first) out.push(this.stored(kept, where.count === kept.last - kept.proof.first + 1 ? { at: where.at, span: where.end - where.at } : undefined));
    for (let i = 0; i < own.length; i += MAX_PROOF_EVENTS) {
      const part = own.slice(i, i + MAX_PROOF_EVENTS);
      const types = part.map((e) => e.type ?? eventHeaderAndType(e.bytes).type);
      const proof = signProof(this.identity, this.cluster, this.origin, part[0].seq, part.map((e) => e.bytes), types);
      const kept = { proof, last: lastSeq(proof), stored: true };
      const list = this.kept.get(this.origin) ?? [];
      list.push(kept);
      this.kept.set(this.origin, list);
      // `own` is in position order (a batch's events are).
      out.push(this.stored(kept, { at: part[0].pos, span: part[part.length - 1].pos - part[0].pos }));
    }
    this.forget(delivered);
    return out;
  }

  /** The checkpoint in memory that lists event `seq` of `origin`, if any (see {@link covering}). */
  inMemory(origin: string, seq: number): ProofFrame | undefined {
    return this.find(origin, seq)?.proof;
  }

  /**
   * The checkpoint that lists event `seq` of `origin`: from memory, else from the store.
   * A compact one is rebuilt from its events (`stored-checkpoint.ts`), taken from `near`
   * (logged events in position order the caller holds already) where they are there.
   */
  async covering(origin: string, seq: number, near: readonly { readonly pos: number; readonly bytes: EncodedEvent }[] = []): Promise<ProofFrame | undefined> {
    const kept = this.find(origin, seq);
    if (kept !== undefined) return kept.proof;
    const known = this.rebuilt.find((f) => f.origin === origin && f.first <= seq && lastSeq(f) >= seq);
    if (known !== undefined) return known;
    const bytes = await this.store.proofCovering(origin, seq);
    if (bytes === undefined) return undefined;
    const frame = await readStoredCheckpoint(bytes, (from, to) => this.readLog(from, to, near));
    if (frame === undefined || frame.first > seq || lastSeq(frame) < seq) return undefined;
    this.rebuilt = [frame, ...this.rebuilt.slice(0, KEEP_REBUILT - 1)];
    return frame;
  }

  /** The events at positions `from` … `to`: from `near` where it has them, the rest from the store. */
  private async readLog(from: number, to: number, near: readonly { readonly pos: number; readonly bytes: EncodedEvent }[]): Promise<(EncodedEvent | undefined)[]> {
    const out: (EncodedEvent | undefined)[] = [];
    const missing: number[] = [];
    const start = near.length > 0 ? near[0].pos : 0;
    for (let pos = from; pos <= to; pos++) {
      // `near` is mostly a slice of consecutive positions; else the store has them.
      const hit = near[pos - start];
      if (hit !== undefined && hit.pos === pos) out.push(hit.bytes);
      else {
        out.push(undefined);
        missing.push(pos);
      }
    }
    if (missing.length === 0) return out;
    const read = await this.store.eventsAt(missing);
    for (let i = 0, j = 0; i < out.length; i++) if (out[i] === undefined) out[i] = read[j++];
    return out;
  }

  /** The kept checkpoint that lists event `seq` of `origin`, if any. */
  private find(origin: string, seq: number): Kept | undefined {
    const list = this.kept.get(origin);
    if (list === undefined) return undefined;
    // Mostly the newest: events arrive and are sent in seq order.
    for (let i = list.length - 1; i >= 0; i--) {
      const k = list[i];
      if (k.last < seq) return undefined;
      if (k.proof.first <= seq) return k;
    }
    return undefined;
  }

  /** What the store keeps of `kept`: compact where its events lie at `where` in this batch (`stored-checkpoint.ts`). */
  private stored(kept: Kept, where: LogSpan | undefined): StoredProof {
    return { origin: kept.proof.origin, last: kept.last, bytes: storedCheckpoint(kept.proof, where, () => encodeProof(kept.proof)) };
  }

  /** Drops stored checkpoints far below what is delivered: the store has them. */
  private forget(delivered: VectorClock): void {
    for (const [origin, list] of this.kept) {
      const below = (delivered[origin] ?? 0) - KEEP_EVENTS;
      let n = 0;
      while (n < list.length && list[n].stored && list[n].last < below) n++;
      if (n > 0) list.splice(0, n);
    }
  }
}

/**
 * The encoded events `events[i]` on, if they are all of `proof`'s run, in seq order and
 * all new; otherwise undefined.
 */
function wholeRun<E extends ProvedEvent>(events: readonly E[], i: number, proof: ProofFrame, isNew: (e: E) => boolean): EncodedEvent[] | undefined {
  const n = lastSeq(proof) - proof.first + 1;
  if (events[i].seq !== proof.first || i + n > events.length) return undefined;
  const run: EncodedEvent[] = [];
  for (let j = 0; j < n; j++) {
    const e = events[i + j];
    if (e.origin !== proof.origin || e.seq !== proof.first + j || !isNew(e)) return undefined;
    run.push(e.bytes);
  }
  return run;
}
