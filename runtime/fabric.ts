/**
 * The fabric: a causally ordered, fully replicated, durable event log. Its parts are built
 * and wired in `fabric-parts.ts`; this module is the face the node and the links talk to.
 *
 * Publishes, actor timers and dead-letter replays (`dead-letter-replay.ts`) queue up; one
 * loop takes everything deliverable at once, delivers it in causal order to the host,
 * stamps what the actors emit, and writes the whole group in one LevelDB batch. Only
 * after that batch is on disk are publishes acknowledged, acks sent and events pushed on.
 * This node stamps under a fresh origin at each start (`protocol/origin.ts`), so it never
 * waits to stamp; after a lost disk its actors wait for their history and are rebuilt
 * from the log (`history-recovery.ts`, `actor-rebuild.ts`). The read side (`/log`,
 * `/trace`) is `log-queries.ts`. A partial node's clock also counts the seqs peers
 * skipped for it (`interest-sync.ts`), which take no log position. Under a retention
 * policy, the oldest entries every member has are removed in the background
 * (`log-compaction.ts`). Delivered retirements (`retirements.ts`) fold retired origins'
 * entries out of what this node stamps, and name the node ids refused for good.
 */
import { copyClock } from '../protocol/clock-floor.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { DuplicateIds } from './duplicate-ids.js';
import type { FabricArgs } from './fabric-args.js';
import type { CommitNotice, FabricObserver } from './fabric-observers.js';
import type { FabricOptions } from './fabric-options.js';
import { FabricParts } from './fabric-parts.js';
import type { Emission } from './host.js';
import type { InterestSync } from './interest-sync.js';
import type { LogEntry, Trace } from './log-queries.js';
import type { LostView } from './lost-events.js';
import { checkPublish, type PublishInput } from './publish-input.js';
import type { PeerLink, PeerView } from './replication.js';
import { forgetting, type RetirementsView } from './retirements.js';
import type { DeadLetter } from './store.js';

export type { CommitNotice, FabricArgs, FabricObserver, FabricOptions, LogEntry, PeerLink, PeerView, PublishInput, Trace };

/** One node's event fabric. */
export class Fabric {
  /** This node's id. */
  readonly id: string;
  /** The origin this node stamps under in this start: its id and a fresh incarnation. */
  readonly origin: string;
  /** Second processes under one node id that this node's links refused or were refused as. */
  readonly duplicates = new DuplicateIds();
  /** What this node wants, the seqs it skipped and those it is fetching back (`interest-sync.ts`). */
  readonly interest: InterestSync;
  /** The intake, queues, batches, writer, replication and the rest, wired (`fabric-parts.ts`). */
  private readonly parts: FabricParts;
  private stopped = false;

  constructor(args: FabricArgs) {
    const parts = (this.parts = new FabricParts(args));
    this.id = parts.id;
    this.origin = parts.origin;
    this.interest = parts.interest;
  }

  /** The first position the log retains (1 until retention removed older ones). */
  get logStart(): number {
    return this.parts.store.logStart;
  }

  /** Events retention removed since this node started, and of them those a member lacked (past the hard cap). */
  get compacted(): { readonly events: number; readonly forced: number } {
    return { events: this.parts.compaction?.removed ?? 0, forced: this.parts.compaction?.forced ?? 0 };
  }

  /** Events counted as lost (no peer held them any more) and those waited for, as `/status` `lost` shows them; `undefined`: none. */
  get lostEvents(): LostView | undefined {
    return this.parts.lost.view();
  }

  /** Runs one compaction pass now and resolves when it is done (a test's lever; passes also run on their own). */
  compact(): Promise<void> {
    return this.parts.compaction?.pass() ?? Promise.resolve();
  }

  /** The node ids retired for good and the retired origins with their final seqs (`/status`). */
  get retired(): RetirementsView {
    return this.parts.retirements.view();
  }

  /** Whether node `id` was retired for good: its links are refused (`TROUPE_NODE_RETIRED`). */
  isRetiredNode(id: string): boolean {
    return this.parts.retirements.isRetiredNode(id);
  }

  /**
   * Retires node `node` for good (`troupe forget`): stamps a retirement of every origin of
   * it this node counts, at its entry now, and of the node id. Resolves with the
   * retirement once committed; every node that delivers it folds those entries out of
   * what it stamps and refuses the node's links from then on.
   * @throws TroupeError `TROUPE_BAD_REQUEST` for an invalid id, this node's own, or a peer linked right now.
   */
  retireNode(node: string): Promise<Envelope> {
    let data: ReturnType<typeof forgetting>;
    try {
      data = forgetting(node, this.id, this.linkedPeers(), this.parts.writer.committed);
    } catch (err) {
      return Promise.reject(err as TroupeError);
    }
    if (this.stopped) return Promise.reject(stopping());
    if (this.parts.disk.full) return Promise.reject(this.parts.disk.refusal());
    const done = this.parts.queues.publish({ type: RETIRED_TYPE, data });
    this.parts.pump.kick();
    return done;
  }

  /**
   * The committed vector clock, a copy on the floor of the retirements delivered
   * (`clock-floor.ts`): it reads every entry, and shows (JSON, `Object.keys`) only those
   * that are not a retired origin at its final seq.
   */
  get clock(): VectorClock {
    return copyClock(this.parts.writer.committed);
  }

  /** Number of events in the local log. */
  get size(): number {
    return this.parts.recent.end - 1;
  }

  /** Whether this node's actors wait for history its disk lost, or for their rebuild (see `history-recovery.ts`). */
  get recovering(): boolean {
    return this.parts.batches.holding();
  }

  /** Whether a batch is being prepared or written (its actors' records may not be on disk yet). */
  get busy(): boolean {
    return this.parts.pump.busy;
  }

  /** Events waiting in the causal buffer for their dependencies. */
  get buffered(): number {
    return this.parts.intake.blocked;
  }

  /**
   * How many entries this node's clocks hold in memory, by clock: `delivered`, and over
   * its peers `acked`, `sent` and the per-link ones (`link`). A retired origin at its
   * final seq takes none (`protocol/clock-floor.ts`), so they follow the live origins, not
   * every start ever (`troupe_clock_entries`).
   */
  clockEntries(): { delivered: number; acked: number; sent: number; link: number } {
    return { delivered: Object.keys(this.parts.batches.delivered).length, ...this.parts.replication.clockEntries() };
  }

  /** Every known peer with its link state and outbox depth. */
  peerViews(): PeerView[] {
    return this.parts.replication.peerViews();
  }

  /** Ids of the peers linked right now. */
  linkedPeers(): string[] {
    return this.parts.replication.linkedPeers();
  }

  /** Events here waiting in the causal buffer for their dependencies, oldest first. */
  heldBack(): Envelope[] {
    return this.parts.heldBack();
  }

  /** Tells `observer` of every commit and link change from now on; returns how to stop. */
  observe(observer: FabricObserver): () => void {
    return this.parts.observers.add(observer);
  }

  /**
   * Publishes an event from this node. Resolves once it is committed (the durable
   * acknowledgement); the host's subscribers have handled it by then. Rejects with
   * `TROUPE_BAD_REQUEST` for an invalid input (see `checkPublish`), `TROUPE_NODE_STOPPING`,
   * `TROUPE_DISK_FULL` (nothing of it is kept), and `TROUPE_PROTOCOL_BAD_EVENT` for data
   * that cannot be encoded. While this node recovers (`recovering`), a publish is
   * committed and answered, and its actors take it once they are rebuilt.
   */
  publish(input: PublishInput): Promise<Envelope> {
    try {
      checkPublish(input);
    } catch (err) {
      return Promise.reject(err);
    }
    if (this.stopped) return Promise.reject(stopping());
    if (this.parts.disk.full) return Promise.reject(this.parts.disk.refusal());
    const committed = this.parts.queues.publish(input);
    this.parts.pump.kick();
    return committed;
  }

  /** Runs `task` in the next batch; what it emits is stamped and committed with it. */
  schedule(task: () => Emission[]): void {
    if (this.stopped) return;
    this.parts.queues.schedule(task);
    this.parts.pump.kick();
  }

  /** Re-delivers a dead letter's event to its service; resolves once that is committed. */
  replay(letter: DeadLetter): Promise<void> {
    if (this.stopped) return Promise.reject(stopping());
    return this.parts.deadLetters.once(letter, () => {
      const committed = this.parts.queues.replay(letter);
      this.parts.pump.kick();
      return committed;
    });
  }

  /** Up to `limit` committed events from position `from`, in local delivery order. */
  read(from: number, limit: number): Promise<LogEntry[]> {
    return this.parts.queries.read(from, limit);
  }

  /** The causal history of one workflow as this node knows it (after position `after`, up to `pageBytes`), and what of it is still waiting. */
  trace(correlationId: string, limit = 10_000, after = 0): Promise<Trace> {
    return this.parts.queries.trace(correlationId, limit, after);
  }

  /** Resolves when the log reaches position `pos` or after `ms`, whichever is first. */
  waitFor(pos: number, ms: number): Promise<void> {
    return this.parts.queries.waitFor(pos, ms);
  }

  /**
   * A peer proved its identity. Returns false if it already has a link (the caller
   * closes the newer one).
   */
  linkUp(link: PeerLink): boolean {
    if (!this.parts.replication.linkUp(link)) return false;
    this.parts.observers.tell((o) => o.linkChanged?.(link.peer, true));
    return true;
  }

  /** A peer's link closed. */
  linkDown(link: PeerLink): void {
    this.parts.backpressure.forget(link);
    if (this.parts.replication.linked(link) === undefined) return;
    this.parts.recovery.peerGone(link.peer);
    this.parts.replication.linkDown(link);
    this.parts.observers.tell((o) => o.linkChanged?.(link.peer, false));
  }

  /**
   * A frame from an authenticated peer. Throws a TroupeError for a frame that breaks
   * the protocol; the caller closes the link. A bad frame changes no state.
   */
  receive(link: PeerLink, frame: Frame): void {
    this.parts.receiver.receive(link, frame);
  }

  /**
   * Resolves once this node is quiet: no batch being prepared or written and no
   * background send running. Work that starts meanwhile is waited for too.
   */
  async idle(): Promise<void> {
    while (this.parts.pump.busy || this.parts.tasks.size > 0) {
      await this.parts.pump.idle;
      await this.parts.tasks.idle();
    }
    await this.parts.compaction?.idle(); // a pass writes to the store and moves where the log starts
  }

  /** Stops taking work, waits for the batch in progress, and persists acknowledged clocks. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.parts.replication.stopTicking();
    this.parts.lost.stop();
    this.parts.recovery.stop();
    this.parts.disk.stop();
    await this.parts.compaction?.stop();
    await this.parts.pump.idle;
    this.parts.replication.cancelAcks(); // the last write may have armed it
    const acks = this.parts.replication.dirtyAcks(true);
    // A full disk takes no more writes: the peers re-send what these acks would have saved.
    if (acks.size > 0 && !this.parts.disk.full) await this.parts.writer.writeAcks(acks, this.parts.replication.durabilityOf(acks.keys()));
    for (const p of this.parts.queues.takePublishes()) p.reject(stopping());
  }
}

function stopping(): TroupeError {
  return new TroupeError('TROUPE_NODE_STOPPING', 'the node is shutting down');
}
