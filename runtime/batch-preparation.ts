/**
 * Batch preparation: everything ready becomes one batch, delivered in memory, in causal
 * order. Events from peers come first (the intake's deliverable ones), then publishes,
 * then actor timers, then dead-letter replays. Each delivered event goes to the host at
 * once; what the actors emit is stamped as this node's next events (`stamp.ts`) and
 * delivered in turn, until nothing more is emitted. The batch then holds the events with
 * their log positions, the actors and dead letters they changed, and the acknowledged
 * clocks to persist: what the commit pump writes in one LevelDB batch.
 *
 * While this node recovers what its disk lost (`history-recovery.ts`), events from peers
 * and publishes are committed and relayed but not handed to the actors, and timers and
 * dead-letter replays wait; once the log holds what peers claimed, one batch rebuilds the
 * actors from the whole log (`actor-rebuild.ts`), which hands them everything held, once.
 *
 * Every delivered `troupe.retired` is learned (`retirements.ts`) and folds the retired
 * entries out of what this node stamps afterwards (`stamper.ts`). Once its actors take
 * events, a batch that finds this node's earlier origins counted beyond what is retired of
 * them (`earlier-origins.ts`) stamps a retirement of them first (`protocol/retirement.ts`).
 */
import type { Logger } from 'pino';
import type { EncodedEvent, Envelope, VectorClock } from '../protocol/envelope.js';
import { copyClock, moveToFloor, onFloor } from '../protocol/clock-floor.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { rebuildActors } from './actor-rebuild.js';
import type { Clock } from './clock.js';
import type { DeadLetterReplay } from './dead-letter-replay.js';
import { EarlierOrigins } from './earlier-origins.js';
import type { CommitNotice } from './fabric-observers.js';
import type { IgnoredEvent } from './host-changes.js';
import type { HistoryRecovery } from './history-recovery.js';
import type { Emission, Host } from './host.js';
import type { Intake } from './intake.js';
import type { InterestSync } from './interest-sync.js';
import type { OriginProofs } from './origin-proofs.js';
import type { Retirements } from './retirements.js';
import type { Stamped } from './stamp.js';
import { Stamper } from './stamper.js';
import type { CommitBatch, Store, StoredEvent } from './store.js';
import type { PendingPublish, PendingReplay, WorkQueues } from './work-queues.js';

/** An event from a peer, decoded, on its way through the intake. */
export interface Incoming {
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
  readonly envelope: Envelope;
  readonly bytes: EncodedEvent;
}

/** A batch delivered in memory and waiting for its turn to be written. */
export interface PreparedBatch {
  readonly commit: CommitBatch;
  readonly delivered: CommitNotice['events'];
  readonly published: readonly { readonly publish: PendingPublish; readonly envelope: Envelope }[];
  readonly replayed: readonly PendingReplay[];
  /** Events the host did not deliver to an actor that had ended: logged and counted once written. */
  readonly ignored: readonly IgnoredEvent[];
}

/** Builds batches for one node; holds what it has delivered so far. */
export class BatchPreparation {
  private readonly id: string;
  private readonly store: Store;
  private readonly recovery: HistoryRecovery;
  private readonly host: Host;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly intake: Intake<Incoming>;
  private readonly queues: WorkQueues;
  private readonly replay: DeadLetterReplay;
  private readonly written: () => number;
  private readonly tookIntake: () => void;
  private readonly dirtyAcks: (all: boolean) => Map<string, VectorClock>;
  private readonly durabilityOf: (peers: Iterable<string>) => Map<string, boolean>;
  private readonly proofs: OriginProofs | undefined;
  private readonly interest: InterestSync | undefined;
  /** Delivered here, committed or in the batch being built. The intake reads it live. */
  readonly delivered: VectorClock;
  /** The last log position given out. */
  private pos: number;
  private readonly retirements: Retirements;
  /** Stamps this node's events; keeps the newest `ts` delivered or stamped here. */
  private readonly stamper: Stamper;
  /** Says when this node's earlier origins are to be retired. */
  private readonly earlier: EarlierOrigins;

  constructor(args: {
    /** This node's id. */
    id: string;
    /** The origin this node stamps under now. */
    origin: string;
    store: Store;
    host: Host;
    log: Logger;
    clock: Clock;
    intake: Intake<Incoming>;
    queues: WorkQueues;
    replay: DeadLetterReplay;
    /** The clock on disk at start; positions continue from its sum. */
    vc: VectorClock;
    pos: number;
    /** The newest `ts` on disk at start. */
    lastTs: number;
    /** How far ahead of the wall clock a peer's `ts` may be and still be adopted. */
    maxSkewMs: number;
    /** Whether the actors are held, and whether they must be rebuilt. */
    recovery: HistoryRecovery;
    /** The last log position on disk. */
    written: () => number;
    /** The intake was drained: paused links may be read again. */
    tookIntake: () => void;
    /** The peers' acknowledged clocks to persist with the batch. */
    /** The acknowledged clocks to persist: those changed, or every peer's if `all`. */
    dirtyAcks: (all: boolean) => Map<string, VectorClock>;
    /** Whether each of those peers acknowledged durably, read right after `dirtyAcks` (`dur/`). [default: none stored] */
    durabilityOf?: (peers: Iterable<string>) => Map<string, boolean>;
    /** Signs this node's events and stores its peers' checkpoints; none on a node without a key. */
    proofs?: OriginProofs;
    /** Where skipped seqs are kept (`interest-sync.ts`). [default: none; a skip run is then only counted] */
    interest?: InterestSync;
    /** The retirements delivered here, learned on delivery and folded out of stamps. */
    retirements: Retirements;
    /** A delivered retirement retired node id `node` for good. */
    forgotten: (node: string) => void;
  }) {
    this.retirements = args.retirements;
    this.interest = args.interest;
    this.id = args.id;
    this.store = args.store;
    this.recovery = args.recovery;
    this.written = args.written;
    this.host = args.host;
    this.log = args.log;
    this.clock = args.clock;
    this.intake = args.intake;
    this.queues = args.queues;
    this.replay = args.replay;
    this.tookIntake = args.tookIntake;
    this.dirtyAcks = args.dirtyAcks;
    this.durabilityOf = args.durabilityOf ?? (() => new Map());
    this.proofs = args.proofs;
    // On the floor of the retirements delivered: a retired origin at its final seq takes no entry (`clock-floor.ts`).
    this.delivered = onFloor(args.vc, args.retirements.floor);
    this.pos = args.pos;
    const { id, origin, log, clock, retirements } = args;
    this.stamper = new Stamper({ origin, delivered: this.delivered, lastTs: args.lastTs, maxSkewMs: args.maxSkewMs, clock, log, retirements });
    this.earlier = new EarlierOrigins({ id, origin, log, retirements, forgotten: args.forgotten });
  }

  /** The last log position given out (committed, or in a batch being written). */
  get position(): number {
    return this.pos;
  }

  /** Whether the actors take nothing now: claimed events are missing, or the log holds events they were not handed. */
  holding(): boolean {
    return this.recovery.held || this.recovery.waiting(this.delivered);
  }

  /** Whether the next batch rebuilds the actors: it is due, and every batch before it is on disk. */
  rebuildNext(): boolean {
    return this.recovery.rebuildDue(this.delivered) && this.written() === this.pos;
  }

  /**
   * Whether a batch is due to retire this node's earlier origins: its actors take events,
   * it fetches nothing back after a widened interest (a retirement's clock counts what it
   * refills, so it would be logged ahead of it), and its clock counts one of those origins beyond what is retired of it (at start, after
   * a recovery, or after a late copy of an earlier start's event arrived).
   */
  retirementDue(): boolean {
    if (this.holding() || this.refilling()) return false;
    return this.earlier.due(this.delivered);
  }

  /** Builds one batch from everything ready: delivers it to the host and stamps what it emits. */
  async prepare(): Promise<PreparedBatch> {
    if (this.rebuildNext()) return this.rebuild();
    const events: StoredEvent[] = [];
    const queue: { envelope: Envelope; pos: number }[] = [];
    const delivered: { envelope: Envelope; pos: number }[] = [];
    const deliver = (envelope: Envelope, bytes: EncodedEvent): void => {
      const pos = ++this.pos;
      this.stamper.delivering(envelope.ts);
      events.push({ pos, origin: envelope.origin, seq: envelope.seq, correlationId: envelope.correlationId, type: envelope.type, bytes });
      this.earlier.learn(envelope);
      // The clock counts every retirement it delivered: it moves onto the floor they make.
      if (envelope.type === RETIRED_TYPE) moveToFloor(this.delivered, this.retirements.floor);
      const entry = { envelope, pos };
      queue.push(entry);
      delivered.push(entry);
    };
    const emit = (emissions: readonly Emission[]): void => {
      for (const emission of emissions) {
        const own = this.stamper.stampEmission(emission);
        if (own !== undefined) deliver(own.envelope, own.bytes);
      }
    };
    // Handles queued deliveries in order; what they emit joins the end of the queue.
    const settle = (): void => {
      for (let i = 0; i < queue.length; i++) emit(this.host.deliver(queue[i].envelope, queue[i].pos));
      queue.length = 0;
    };

    const vcBefore = copyClock(this.delivered);
    const handle = !this.holding();
    this.queues.arrived = false;
    const interest = this.interest;
    this.intake.drain(
      this.delivered,
      (e) => {
        deliver(e.envelope, e.bytes);
        if (handle) settle();
        else queue.length = 0;
      },
      interest === undefined ? undefined : (origin, from, to, asked) => interest.skipped(origin, from, to, asked),
    );
    this.tookIntake();

    if (handle && !this.refilling()) {
      const own = this.retireEnded();
      if (own !== undefined) {
        deliver(own.envelope, own.bytes);
        settle();
      }
    }

    const published: { publish: PendingPublish; envelope: Envelope }[] = [];
    for (const p of this.queues.takePublishes()) {
      let own;
      try {
        own = this.stamper.stampOwn(p.input, null);
      } catch (err) {
        p.reject(err as Error);
        continue;
      }
      deliver(own.envelope, own.bytes);
      if (handle) settle();
      else queue.length = 0;
      published.push({ publish: p, envelope: own.envelope });
    }

    for (const task of handle ? this.queues.takeTasks() : []) {
      emit(task());
      settle();
    }

    const replayed: PendingReplay[] = [];
    for (const r of handle ? this.queues.takeReplays() : []) {
      const result = await this.replay.redeliver(r.letter);
      if (result instanceof Error) {
        r.reject(result);
        continue;
      }
      emit(result);
      settle();
      replayed.push(r);
    }

    const changes = this.host.takeChanges();
    // Events the actors were not handed: the store remembers, so a restart rebuilds them too.
    const held = !handle && events.length > 0 && !this.recovery.held;
    if (held) this.recovery.hold();
    const retired = this.retirements.takeChanges();
    const commit: CommitBatch = {
      events,
      vcBefore,
      vc: copyClock(this.delivered),
      actors: changes.actors,
      deadLetters: changes.deadLetters,
      removedDeadLetters: replayed.map((r) => ({ service: r.letter.service, eventId: r.letter.eventId })),
      ...this.acks(retired !== undefined),
      lastTs: this.stamper.lastTs,
      index: changes.index,
      interest: this.interest?.takeChanges(),
      retired,
      proofs: this.proofs?.forBatch(events, this.delivered),
      ...(held ? { held: true } : {}),
    };
    return { commit, delivered, published, replayed, ignored: changes.ignored };
  }

  /**
   * The batch that rebuilds the actors from the whole log (`actor-rebuild.ts`) and swaps
   * them in: it holds what they emitted that the log lacks, every actor's record, and
   * the end of the hold. Runs only with nothing in flight, so the store holds the log.
   */
  private async rebuild(): Promise<PreparedBatch> {
    const vcBefore = copyClock(this.delivered);
    const events: StoredEvent[] = [];
    const delivered: { envelope: Envelope; pos: number }[] = [];
    const started = this.clock.now();
    const rebuilt = await rebuildActors({
      node: this.id,
      services: this.host.services,
      versions: this.host.versions,
      store: this.store,
      end: this.pos,
      publish: (emission) => {
        const own = this.stamper.stampEmission(emission);
        if (own === undefined) return undefined;
        const { envelope } = own;
        const entry = { envelope, pos: ++this.pos };
        events.push({ pos: entry.pos, origin: envelope.origin, seq: envelope.seq, correlationId: envelope.correlationId, type: envelope.type, bytes: own.bytes });
        delivered.push(entry);
        return entry;
      },
    });
    this.host.replaceAll(rebuilt.records);
    const changes = this.host.takeChanges();
    this.recovery.rebuilt();
    this.log.info(
      { code: 'TROUPE_NODE_REBUILT', actors: rebuilt.records.length, replayed: rebuilt.replayed, matched: rebuilt.matched, published: rebuilt.published, ms: this.clock.now() - started },
      'rebuilt the actors from the log: what they emitted again that the log held was not published again',
    );
    const commit: CommitBatch = {
      events,
      vcBefore,
      vc: copyClock(this.delivered),
      actors: changes.actors,
      deadLetters: [...rebuilt.deadLetters, ...changes.deadLetters],
      removedDeadLetters: [],
      ...this.acks(false),
      lastTs: this.stamper.lastTs,
      index: changes.index,
      interest: this.interest?.takeChanges(),
      held: false,
    };
    return { commit, delivered, published: [], replayed: [], ignored: [] };
  }

  /**
   * The acknowledged clocks to persist, with whether each was acknowledged durably; every
   * peer's with a batch that changes the stored retirements, so that no stored clock is
   * read back against retirements it was not folded with (`Store.commit`).
   */
  private acks(all: boolean): { acks: Map<string, VectorClock>; durability: Map<string, boolean> } {
    const acks = this.dirtyAcks(all);
    return { acks, durability: this.durabilityOf(acks.keys()) };
  }

  /** Whether skipped events are being fetched back after a widened interest (`interest-sync.ts`). */
  private refilling(): boolean {
    return this.interest !== undefined && !this.interest.refill.empty;
  }

  /** A retirement of this node's earlier origins, stamped, if its clock counts any beyond what is retired of them. */
  private retireEnded(): Stamped | undefined {
    const origins = this.earlier.takeEnded(this.delivered);
    return origins === undefined ? undefined : this.stamper.stampOwn({ type: RETIRED_TYPE, data: { origins } }, null);
  }
}
