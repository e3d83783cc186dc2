/**
 * The parts of one node's fabric, built and wired to each other; data flows one way
 * through them:
 *
 * links → `receive` (`frame-receiver.ts`) → intake (`intake.ts`, paced by `link-backpressure.ts`)
 *       → batch (`batch-preparation.ts`: host delivery, `stamp.ts`) ← `work-queues.ts`
 *       → write (`commit-pump.ts`: group commit; `batch-writer.ts`: into the store)
 *       → acks, publish answers, observers (`fabric-observers.ts`), and replication
 *         (`replication.ts`) → links.
 *
 * After a lost disk its actors wait for their history and are rebuilt from the log
 * (`history-recovery.ts`, `actor-rebuild.ts`); a recovery under way at the last stop, or
 * earlier starts of this node to retire, start a batch at once. `fabric.ts` is the face
 * the node and the links talk to.
 */
import { onFloor, wholeClockOfLast } from '../protocol/clock-floor.js';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import type { SkipRange } from '../protocol/frame.js';
import { sum } from '../protocol/vector-clock.js';
import { BackgroundTasks } from './background-tasks.js';
import { BatchPreparation, type Incoming, type PreparedBatch } from './batch-preparation.js';
import { BatchWriter } from './batch-writer.js';
import { systemClock } from './clock.js';
import { CommitPump } from './commit-pump.js';
import { DeadLetterReplay } from './dead-letter-replay.js';
import { DiskGuard } from './disk-guard.js';
import type { FabricArgs } from './fabric-args.js';
import { FabricObservers } from './fabric-observers.js';
import { withDefaults } from './fabric-options.js';
import { FrameReceiver } from './frame-receiver.js';
import { HistoryRecovery } from './history-recovery.js';
import { Intake } from './intake.js';
import { InterestSync } from './interest-sync.js';
import { LinkBackpressure } from './link-backpressure.js';
import { LogCompaction } from './log-compaction.js';
import { LogQueries } from './log-queries.js';
import { LostEvents } from './lost-events.js';
import { RecentLog } from './recent-log.js';
import { retains } from './retention-policy.js';
import { SkipRanges } from './skips.js';
import { Replication } from './replication.js';
import { Retirements } from './retirements.js';
import { ToldFolding } from './told-folding.js';
import type { Store, StoredState } from './store.js';
import { WorkQueues } from './work-queues.js';

/** One node's fabric parts, wired: `Fabric` reads and drives them. */
export class FabricParts {
  /** This node's id. */
  readonly id: string;
  /** The origin this node stamps under in this start: its id and a fresh incarnation. */
  readonly origin: string;
  readonly intake: Intake<Incoming>;
  readonly queues = new WorkQueues();
  readonly recent: RecentLog;
  readonly replication: Replication;
  readonly recovery: HistoryRecovery;
  readonly backpressure: LinkBackpressure;
  readonly deadLetters: DeadLetterReplay;
  readonly batches: BatchPreparation;
  readonly pump: CommitPump<PreparedBatch>;
  readonly queries: LogQueries;
  readonly observers: FabricObservers;
  readonly writer: BatchWriter;
  readonly tasks: BackgroundTasks;
  readonly receiver: FrameReceiver;
  readonly disk: DiskGuard;
  readonly store: Store;
  /** Removes what the retention policy lets go; absent without a policy. */
  readonly compaction: LogCompaction | undefined;
  /** The retirements delivered here. */
  readonly retirements: Retirements;
  /** What this node wants, the seqs it skipped and those it is fetching back (`interest-sync.ts`). */
  readonly interest: InterestSync;
  /** Events peers no longer hold that this node lacked: waited for, or counted as lost (`lost-events.ts`). */
  readonly lost: LostEvents;

  constructor(args: FabricArgs) {
    const { id, store, host, log, proofs } = args;
    const state = args.state ?? emptyState();
    const origin = args.origin ?? id;
    const time = args.time ?? systemClock;
    const o = withDefaults(args.options);
    const { frameBytes } = o;
    this.id = id;
    this.origin = origin;
    const retirements = (this.retirements = new Retirements(state.retired));
    store.foldClocksWith(retirements.retiring);
    const acks = new Map([...state.acks].filter(([peer]) => !retirements.isRetiredNode(peer)));
    const interest = (this.interest = new InterestSync(args.want ?? ['*'], state.interest));
    // Read whole once per committed clock, not once per ack per peer (on a floor it is a copy).
    const whole = wholeClockOfLast();
    const committed = (): VectorClock => whole(this.writer.committed);
    const told = (): VectorClock => interest.told(committed());
    const pos = sum(state.vc) - interest.skips.total; // a skipped seq moves the clock, not the log
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
      held: state.held,
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
      durability: state.durability,
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
      asked: () => interest.asked,
      withheld: () => this.lost.waitingOrigins(),
      folding: new ToldFolding(retirements.retiring, committed),
      floor: () => retirements.floor,
    });
    this.lost = new LostEvents({
      clock: time,
      graceMs: o.stallMs,
      log,
      peers: () => this.replication.claims(),
      delivered: () => this.batches.delivered,
      apply: (ranges, asked) => this.countLost(ranges, asked),
      asked: () => interest.asked,
      settle: (ranges) => this.settleLost(ranges),
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
    this.writer = new BatchWriter({ store, log, recent: this.recent, replication: this.replication, queries: this.queries, observers: this.observers, disk: this.disk, vc: onFloor(state.vc, retirements.floor) });
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
      vc: state.vc,
      pos,
      lastTs: state.lastTs,
      maxSkewMs: o.maxSkewMs,
      tookIntake: () => this.backpressure.resumeAll(),
      dirtyAcks: (all) => this.replication.dirtyAcks(false, all),
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

  /** Events here waiting in the causal buffer for their dependencies, oldest first. */
  heldBack(): Envelope[] {
    return this.intake.waiting().map((e) => e.envelope);
  }

  /**
   * Counts lost seqs in the clock as a skip notice would, in stream order through the
   * intake, and has a batch write them; the parts in `asked` stay asked for from peers.
   */
  private countLost(ranges: readonly SkipRange[], asked: readonly SkipRange[]): void {
    const ask = new SkipRanges();
    for (const r of asked) ask.add(r.origin, r.from, r.to);
    for (const r of ranges) for (const piece of split(r, ask)) this.intake.addSkip(r.origin, piece.from, piece.to, this.batches.delivered, piece.asked);
    this.queues.arrived = true;
    this.pump.kick();
  }

  /** Lost seqs no known peer may hold any more: no longer asked for, which a batch writes (and the told clock rises). */
  private settleLost(ranges: readonly SkipRange[]): void {
    for (const r of ranges) this.interest.settled(r.origin, r.from, r.to);
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

/** `r` cut into consecutive pieces, each wholly inside `asked` or wholly outside it, in seq order. */
function split(r: SkipRange, asked: SkipRanges): { from: number; to: number; asked: boolean }[] {
  const out: { from: number; to: number; asked: boolean }[] = [];
  let at = r.from;
  for (const [a, b] of asked.within(r.origin, r.from, r.to)) {
    if (a > at) out.push({ from: at, to: a - 1, asked: false });
    out.push({ from: a, to: b, asked: true });
    at = b + 1;
  }
  if (at <= r.to) out.push({ from: at, to: r.to, asked: false });
  return out;
}

/** What an empty store loads: a fabric made without a `state` starts from it. */
function emptyState(): StoredState {
  return { vc: {}, acks: new Map(), lastTs: 0, held: false, interest: { skips: new Map(), refill: new Map() } };
}
