/**
 * The fabric: a causally ordered, fully replicated, durable event log. This module wires
 * its parts; data flows one way through them:
 *
 * links → `receive` (`frame-receiver.ts`) → intake (`intake.ts`, paced by `link-backpressure.ts`)
 *       → batch (`batch-preparation.ts`: host delivery, `stamp.ts`) ← `work-queues.ts`
 *       → write (`commit-pump.ts`: group commit; `batch-writer.ts`: into the store)
 *       → acks, publish answers, observers (`fabric-observers.ts`), and replication
 *         (`replication.ts`) → links.
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
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { sum } from '../protocol/vector-clock.js';
import { BackgroundTasks } from './background-tasks.js';
import { BatchPreparation, type Incoming, type PreparedBatch } from './batch-preparation.js';
import { BatchWriter } from './batch-writer.js';
import { systemClock } from './clock.js';
import { CommitPump } from './commit-pump.js';
import { DeadLetterReplay } from './dead-letter-replay.js';
import { DiskGuard } from './disk-guard.js';
import { DuplicateIds } from './duplicate-ids.js';
import type { FabricArgs } from './fabric-args.js';
import { FabricObservers, type CommitNotice, type FabricObserver } from './fabric-observers.js';
import { withDefaults, type FabricOptions } from './fabric-options.js';
import { FrameReceiver } from './frame-receiver.js';
import type { Emission } from './host.js';
import { HistoryRecovery } from './history-recovery.js';
import { Intake } from './intake.js';
import { InterestSync } from './interest-sync.js';
import { LinkBackpressure } from './link-backpressure.js';
import { LogCompaction } from './log-compaction.js';
import { LogQueries, type LogEntry, type Trace } from './log-queries.js';
import { LostEvents, type LostView } from './lost-events.js';
import { checkPublish, type PublishInput } from './publish-input.js';
import { RecentLog } from './recent-log.js';
import { retains } from './retention-policy.js';
import { Replication, type PeerLink, type PeerView } from './replication.js';
import { forgetting, Retirements, type RetirementsView } from './retirements.js';
import type { DeadLetter, Store } from './store.js';
import { WorkQueues } from './work-queues.js';

export type { CommitNotice, FabricArgs, FabricObserver, FabricOptions, LogEntry, PeerLink, PeerView, PublishInput, Trace };

/** One node's event fabric. */
export class Fabric {
  /** This node's id. */
  readonly id: string;
  /** The origin this node stamps under in this start: its id and a fresh incarnation. */
  readonly origin: string;
  /** Second processes under one node id that this node's links refused or were refused as. */
  readonly duplicates = new DuplicateIds();
  private readonly intake: Intake<Incoming>;
  private readonly queues = new WorkQueues();
  private readonly recent: RecentLog;
  private readonly replication: Replication;
  private readonly recovery: HistoryRecovery;
  private readonly backpressure: LinkBackpressure;
  private readonly deadLetters: DeadLetterReplay;
  private readonly batches: BatchPreparation;
  private readonly pump: CommitPump<PreparedBatch>;
  private readonly queries: LogQueries;
  private readonly observers: FabricObservers;
  private readonly writer: BatchWriter;
  private readonly tasks: BackgroundTasks;
  private readonly receiver: FrameReceiver;
  private readonly disk: DiskGuard;
  private readonly store: Store;
  /** Removes what the retention policy lets go; absent without a policy. */
  private readonly compaction: LogCompaction | undefined;
  /** The retirements delivered here. */
  private readonly retirements: Retirements;
  /** What this node wants, the seqs it skipped and those it is fetching back (`interest-sync.ts`). */
  readonly interest: InterestSync;
  /** Events peers no longer hold that this node lacked: waited for, or counted as lost (`lost-events.ts`). */
  private readonly lost: LostEvents;
  private stopped = false;

  constructor(args: FabricArgs) {
    const { id, store, host, log, proofs } = args;
    const origin = args.origin ?? id;
    const time = args.time ?? systemClock;
    const o = withDefaults(args.options);
    const { frameBytes } = o;
    this.id = id;
    this.origin = origin;
    const retirements = (this.retirements = new Retirements(args.retired));
    const acks = new Map([...args.acks].filter(([peer]) => !retirements.isRetiredNode(peer)));
    const interest = (this.interest = new InterestSync(args.want ?? ['*'], args.interest ?? { skips: new Map(), refill: new Map() }));
    const told = (): VectorClock => interest.told(this.writer.committed);
    const pos = sum(args.vc) - interest.skips.total; // a skipped seq moves the clock, not the log
    this.intake = new Intake<Incoming>(o.bufferLimit, (e) => e.bytes.length, o.bufferBytes);
    this.recent = new RecentLog(o.recent, o.recentBytes);
    this.recent.reset(pos + 1);
    this.observers = new FabricObservers(log);
    this.tasks = new BackgroundTasks(log);
    this.disk = new DiskGuard({ ...args.disk, reserveBytes: o.diskReserveBytes, clock: time, log, onRoom: () => this.pump.kick() });
    this.pump = new CommitPump({
      hasWork: () => this.batches.rebuildNext() || this.batches.retirementDue() || this.queues.hasWork(this.batches.holding()),
      hasRoom: () => this.roomToWrite(),
      prepare: () => this.batches.prepare(),
      write: (batch) => this.writer.write(batch),
      drained: () => this.receiver.askAgainIfRoom(),
      log,
    });
    this.recovery = new HistoryRecovery({
      node: id,
      origin,
      log,
      clock: time,
      maxWaitMs: o.recoveryMs,
      held: args.held ?? false,
      onChange: () => this.pump.kick(),
      members: () => this.replication.claims().filter((peer) => peer.relays).map((peer) => peer.id),
    });
    this.backpressure = new LinkBackpressure({ intake: this.intake, maxEvents: o.intakeEvents, maxBytes: o.intakeBytes });
    this.deadLetters = new DeadLetterReplay({ store, host });
    this.replication = new Replication({
      origin,
      store,
      recent: this.recent,
      log,
      committed: () => this.writer.committed,
      readStored: (from, limit, maxBytes) => this.queries.readStored(from, limit, maxBytes),
      acks,
      durability: args.durability,
      window: o.window,
      frameEvents: o.frameEvents,
      frameBytes,
      stallMs: o.stallMs,
      ackDelayMs: o.ackDelayMs,
      proofs,
      clock: time,
      background: (task) => this.tasks.run(task),
      told,
      partial: interest.partial,
      // Seqs being fetched back are not lost: only once every skip is settled are they told on.
      held: () => (interest.refill.empty ? interest.skips.entries() : []),
      withheld: () => this.lost.waitingOrigins(),
    });
    this.lost = new LostEvents({
      clock: time,
      graceMs: o.stallMs,
      log,
      peers: () => this.replication.claims(),
      delivered: () => this.batches.delivered,
      apply: (ranges) => this.countLost(ranges),
      waiting: () => this.replication.reannounce(),
    });
    this.queries = new LogQueries({
      store,
      recent: this.recent,
      clock: time,
      pageBytes: o.pageBytes,
      heldBack: () => this.heldBack(),
      outboxes: (events) => this.replication.outboxesOf(events),
    });
    this.writer = new BatchWriter({ store, log, recent: this.recent, replication: this.replication, queries: this.queries, observers: this.observers, disk: this.disk, vc: args.vc });
    this.batches = new BatchPreparation({
      id,
      origin,
      store,
      recovery: this.recovery,
      written: () => this.recent.end - 1,
      host,
      log,
      clock: time,
      intake: this.intake,
      queues: this.queues,
      replay: this.deadLetters,
      vc: args.vc,
      pos,
      lastTs: args.lastTs ?? 0,
      maxSkewMs: o.maxSkewMs,
      tookIntake: () => this.backpressure.resumeAll(),
      dirtyAcks: () => this.replication.dirtyAcks(),
      durabilityOf: (peers) => this.replication.durabilityOf(peers),
      interest,
      proofs,
      retirements,
      forgotten: (node) => this.replication.forget(node),
    });
    this.receiver = new FrameReceiver({
      origin,
      intake: this.intake,
      replication: this.replication,
      recovery: this.recovery,
      backpressure: this.backpressure,
      queues: this.queues,
      proofs,
      batches: this.batches,
      committed: () => this.writer.committed,
      kick: () => this.pump.kick(),
      background: (task) => this.tasks.run(task),
      told,
      interest,
      lost: this.lost,
    });
    this.store = store;
    if (retains(args.retention)) {
      this.compaction = new LogCompaction({ store, policy: args.retention, clock: time, log, members: () => this.replication.members(), end: () => this.recent.end, held: () => this.disk.full });
      this.compaction.start();
    }
    // A recovery was under way when the node stopped, or earlier starts of it are to be retired.
    if (this.recovery.held || this.batches.retirementDue()) this.pump.kick();
  }

  /** The first position the log retains (1 until retention removed older ones). */
  get logStart(): number {
    return this.store.logStart;
  }

  /** Events retention removed since this node started, and of them those a member lacked (past the hard cap). */
  get compacted(): { readonly events: number; readonly forced: number } {
    return { events: this.compaction?.removed ?? 0, forced: this.compaction?.forced ?? 0 };
  }

  /** Events counted as lost (no peer held them any more) and those waited for, as `/status` `lost` shows them; `undefined`: none. */
  get lostEvents(): LostView | undefined {
    return this.lost.view();
  }

  /** Runs one compaction pass now and resolves when it is done (a test's lever; passes also run on their own). */
  compact(): Promise<void> {
    return this.compaction?.pass() ?? Promise.resolve();
  }

  /** The node ids retired for good and the retired origins with their final seqs (`/status`). */
  get retired(): RetirementsView {
    return this.retirements.view();
  }

  /** Whether node `id` was retired for good: its links are refused (`TROUPE_NODE_RETIRED`). */
  isRetiredNode(id: string): boolean {
    return this.retirements.isRetiredNode(id);
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
      data = forgetting(node, this.id, this.linkedPeers(), this.writer.committed);
    } catch (err) {
      return Promise.reject(err as TroupeError);
    }
    if (this.stopped) return Promise.reject(stopping());
    if (this.disk.full) return Promise.reject(this.disk.refusal());
    const done = this.queues.publish({ type: RETIRED_TYPE, data });
    this.pump.kick();
    return done;
  }

  /** The committed vector clock. */
  get clock(): VectorClock {
    return { ...this.writer.committed };
  }

  /** Number of events in the local log. */
  get size(): number {
    return this.recent.end - 1;
  }

  /** Whether this node's actors wait for history its disk lost, or for their rebuild (see `history-recovery.ts`). */
  get recovering(): boolean {
    return this.batches.holding();
  }

  /** Whether a batch is being prepared or written (its actors' records may not be on disk yet). */
  get busy(): boolean {
    return this.pump.busy;
  }

  /** Events waiting in the causal buffer for their dependencies. */
  get buffered(): number {
    return this.intake.blocked;
  }

  /** Every known peer with its link state and outbox depth. */
  peerViews(): PeerView[] {
    return this.replication.peerViews();
  }

  /** Ids of the peers linked right now. */
  linkedPeers(): string[] {
    return this.replication.linkedPeers();
  }

  /** Events here waiting in the causal buffer for their dependencies, oldest first. */
  heldBack(): Envelope[] {
    return this.intake.waiting().map((e) => e.envelope);
  }

  /** Tells `observer` of every commit and link change from now on; returns how to stop. */
  observe(observer: FabricObserver): () => void {
    return this.observers.add(observer);
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
    if (this.disk.full) return Promise.reject(this.disk.refusal());
    const committed = this.queues.publish(input);
    this.pump.kick();
    return committed;
  }

  /** Runs `task` in the next batch; what it emits is stamped and committed with it. */
  schedule(task: () => Emission[]): void {
    if (this.stopped) return;
    this.queues.schedule(task);
    this.pump.kick();
  }

  /** Re-delivers a dead letter's event to its service; resolves once that is committed. */
  replay(letter: DeadLetter): Promise<void> {
    if (this.stopped) return Promise.reject(stopping());
    return this.deadLetters.once(letter, () => {
      const committed = this.queues.replay(letter);
      this.pump.kick();
      return committed;
    });
  }

  /** Up to `limit` committed events from position `from`, in local delivery order. */
  read(from: number, limit: number): Promise<LogEntry[]> {
    return this.queries.read(from, limit);
  }

  /** The causal history of one workflow as this node knows it (after position `after`, up to `pageBytes`), and what of it is still waiting. */
  trace(correlationId: string, limit = 10_000, after = 0): Promise<Trace> {
    return this.queries.trace(correlationId, limit, after);
  }

  /** Resolves when the log reaches position `pos` or after `ms`, whichever is first. */
  waitFor(pos: number, ms: number): Promise<void> {
    return this.queries.waitFor(pos, ms);
  }

  /**
   * A peer proved its identity. Returns false if it already has a link (the caller
   * closes the newer one).
   */
  linkUp(link: PeerLink): boolean {
    if (!this.replication.linkUp(link)) return false;
    this.observers.tell((o) => o.linkChanged?.(link.peer, true));
    return true;
  }

  /** A peer's link closed. */
  linkDown(link: PeerLink): void {
    this.backpressure.forget(link);
    if (this.replication.linked(link) === undefined) return;
    this.recovery.peerGone(link.peer);
    this.replication.linkDown(link);
    this.observers.tell((o) => o.linkChanged?.(link.peer, false));
  }

  /**
   * A frame from an authenticated peer. Throws a TroupeError for a frame that breaks
   * the protocol; the caller closes the link. A bad frame changes no state.
   */
  receive(link: PeerLink, frame: Frame): void {
    this.receiver.receive(link, frame);
  }

  /**
   * Resolves once this node is quiet: no batch being prepared or written and no
   * background send running. Work that starts meanwhile is waited for too.
   */
  async idle(): Promise<void> {
    while (this.pump.busy || this.tasks.size > 0) {
      await this.pump.idle;
      await this.tasks.idle();
    }
    await this.compaction?.idle(); // a pass writes to the store and moves where the log starts
  }

  /** Stops taking work, waits for the batch in progress, and persists acknowledged clocks. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.replication.stopTicking();
    this.lost.stop();
    this.recovery.stop();
    this.disk.stop();
    await this.compaction?.stop();
    await this.pump.idle;
    this.replication.cancelAcks(); // the last write may have armed it
    const acks = this.replication.dirtyAcks(true);
    // A full disk takes no more writes: the peers re-send what these acks would have saved.
    if (acks.size > 0 && !this.disk.full) await this.writer.writeAcks(acks, this.replication.durabilityOf(acks.keys()));
    for (const p of this.queues.takePublishes()) p.reject(stopping());
  }

  /** Counts lost seqs in the clock as a skip notice would, in stream order through the intake, and has a batch write them. */
  private countLost(ranges: readonly { origin: string; from: number; to: number }[]): void {
    for (const r of ranges) this.intake.addSkip(r.origin, r.from, r.to, this.batches.delivered);
    this.queues.arrived = true;
    this.pump.kick();
  }

  /** Without room on disk, nothing is prepared and queued publishes are refused unstamped. */
  private async roomToWrite(): Promise<boolean> {
    if (await this.disk.hasRoom()) return true;
    for (const p of this.queues.takePublishes()) p.reject(this.disk.refusal());
    return false;
  }
}

function stopping(): TroupeError {
  return new TroupeError('TROUPE_NODE_STOPPING', 'the node is shutting down');
}
