/**
 * Batch preparation: everything ready becomes one batch, delivered in memory, in causal
 * order. Events from peers come first (the intake's deliverable ones), then publishes,
 * then actor timers, then dead-letter replays. Each delivered event goes to the host at
 * once; what the actors emit is stamped as this node's next events (`stamp.ts`) and
 * delivered in turn, until nothing more is emitted. The batch then holds the events with
 * their log positions, the actors and dead letters they changed, and the acknowledged
 * clocks to persist: what the commit pump writes in one LevelDB batch.
 *
 * While this node may not stamp (`IdentityRecovery`), events from peers are stored and
 * relayed but not handled: handling could emit under reused seqs.
 */
import type { Logger } from 'pino';
import type { EncodedEvent, Envelope, VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { Clock } from './clock.js';
import type { DeadLetterReplay } from './dead-letter-replay.js';
import type { CommitNotice } from './fabric-observers.js';
import type { IgnoredEvent } from './host-changes.js';
import type { Emission, Host } from './host.js';
import type { Intake } from './intake.js';
import type { InterestSync } from './interest-sync.js';
import type { OriginProofs } from './origin-proofs.js';
import type { PublishInput } from './publish-input.js';
import { stamp, type Stamped } from './stamp.js';
import type { CommitBatch, StoredEvent } from './store.js';
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
  private readonly host: Host;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly intake: Intake<Incoming>;
  private readonly queues: WorkQueues;
  private readonly replay: DeadLetterReplay;
  private readonly recovering: () => boolean;
  private readonly tookIntake: () => void;
  private readonly dirtyAcks: () => Map<string, VectorClock>;
  private readonly proofs: OriginProofs | undefined;
  private readonly interest: InterestSync | undefined;
  /** Delivered here, committed or in the batch being built. The intake reads it live. */
  readonly delivered: VectorClock;
  /** The last log position given out. */
  private pos: number;
  /**
   * The newest `ts` delivered or stamped here, across restarts (it is committed with each
   * batch): stamping never goes behind it. A peer's `ts` beyond `maxSkewMs` ahead of the
   * wall clock does not move it, so one wild clock cannot drag every later event along.
   */
  private lastTs: number;
  private readonly maxSkewMs: number;

  constructor(args: {
    id: string;
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
    /** Whether this node may not stamp now. */
    recovering: () => boolean;
    /** The intake was drained: paused links may be read again. */
    tookIntake: () => void;
    /** The peers' acknowledged clocks to persist with the batch. */
    dirtyAcks: () => Map<string, VectorClock>;
    /** Signs this node's events and stores its peers' checkpoints; none on a node without a key. */
    proofs?: OriginProofs;
    /** Where skipped seqs are kept (`interest-sync.ts`). [default: none; a skip run is then only counted] */
    interest?: InterestSync;
  }) {
    this.interest = args.interest;
    this.id = args.id;
    this.host = args.host;
    this.log = args.log;
    this.clock = args.clock;
    this.intake = args.intake;
    this.queues = args.queues;
    this.replay = args.replay;
    this.recovering = args.recovering;
    this.tookIntake = args.tookIntake;
    this.dirtyAcks = args.dirtyAcks;
    this.proofs = args.proofs;
    this.delivered = { ...args.vc };
    this.pos = args.pos;
    this.lastTs = args.lastTs;
    this.maxSkewMs = args.maxSkewMs;
  }

  /** Builds one batch from everything ready: delivers it to the host and stamps what it emits. */
  async prepare(): Promise<PreparedBatch> {
    const events: StoredEvent[] = [];
    const queue: { envelope: Envelope; pos: number }[] = [];
    const delivered: { envelope: Envelope; pos: number }[] = [];
    const deliver = (envelope: Envelope, bytes: EncodedEvent): void => {
      const pos = ++this.pos;
      if (envelope.ts > this.lastTs && envelope.ts <= this.clock.now() + this.maxSkewMs) this.lastTs = envelope.ts;
      events.push({ pos, origin: envelope.origin, seq: envelope.seq, correlationId: envelope.correlationId, bytes });
      const entry = { envelope, pos };
      queue.push(entry);
      delivered.push(entry);
    };
    const emit = (emissions: readonly Emission[]): void => {
      for (const { emitted, cause } of emissions) {
        if (typeof emitted.type !== 'string' || emitted.type === '') {
          this.log.error({ emitted, cause: cause?.id, correlationId: cause?.correlationId }, 'an actor emitted an event without a type; dropped');
          continue;
        }
        try {
          const own = this.stampOwn({ type: emitted.type, data: emitted.data, correlationId: cause?.correlationId, version: emitted.version }, cause?.id ?? null);
          deliver(own.envelope, own.bytes);
        } catch (err) {
          this.log.error({ err, type: emitted.type, cause: cause?.id, correlationId: cause?.correlationId }, 'an actor emitted an event that cannot be encoded; dropped');
        }
      }
    };
    // Handles queued deliveries in order; what they emit joins the end of the queue.
    const settle = (): void => {
      for (let i = 0; i < queue.length; i++) emit(this.host.deliver(queue[i].envelope, queue[i].pos));
      queue.length = 0;
    };

    const vcBefore = { ...this.delivered };
    const handle = !this.recovering();
    this.queues.arrived = false;
    const interest = this.interest;
    this.intake.drain(
      this.delivered,
      (e) => {
        deliver(e.envelope, e.bytes);
        if (handle) settle();
        else queue.length = 0;
      },
      interest === undefined ? undefined : (origin, from, to) => interest.skipped(origin, from, to),
    );
    this.tookIntake();

    const published: { publish: PendingPublish; envelope: Envelope }[] = [];
    for (const p of this.queues.takePublishes()) {
      if (this.recovering()) {
        p.reject(new TroupeError('TROUPE_NODE_RECOVERING', 'this node is fetching back its own events before publishing'));
        continue;
      }
      let own;
      try {
        own = this.stampOwn(p.input, null);
      } catch (err) {
        p.reject(err as Error);
        continue;
      }
      deliver(own.envelope, own.bytes);
      settle();
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
    const commit: CommitBatch = {
      events,
      vcBefore,
      vc: { ...this.delivered },
      actors: changes.actors,
      deadLetters: changes.deadLetters,
      removedDeadLetters: replayed.map((r) => ({ service: r.letter.service, eventId: r.letter.eventId })),
      acks: this.dirtyAcks(),
      lastTs: this.lastTs,
      index: changes.index,
      interest: this.interest?.takeChanges(),
      proofs: this.proofs?.forBatch(events, this.delivered),
    };
    return { commit, delivered, published, replayed, ignored: changes.ignored };
  }

  /** Stamps the next event of this node and counts it as delivered. */
  private stampOwn(input: PublishInput, causationId: string | null): Stamped {
    const own = stamp(this.id, this.delivered, this.lastTs, this.clock.now(), input, causationId);
    this.delivered[this.id] = own.envelope.seq;
    this.lastTs = own.envelope.ts;
    return own;
  }
}
