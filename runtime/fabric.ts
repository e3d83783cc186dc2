/**
 * The fabric: a causally ordered, fully replicated, durable event log.
 *
 * Inbound: events from peers are decoded, deduplicated and held in the intake (in
 * arrival order when they came in causal order, else in the causal buffer until the
 * CBCAST condition holds); local publishes and fired actor timers queue up.
 * One loop (the pump) takes everything deliverable at once, delivers it in causal order
 * to the host, stamps what the actors emit (origin = this node, next seq, current clock)
 * and delivers that too, then writes the whole group in one LevelDB batch. Only after
 * that batch is on disk are publishes acknowledged, acks sent and events pushed on.
 * While a batch is being written the next one gathers: that is group commit.
 *
 * Outbound: sending each peer what it lacks, and the acks that pace it, is
 * {@link Replication}'s (replication.ts); the fabric tells it when a commit lands and
 * hands it the frames peers send about their clocks and links.
 */
import type { Logger } from 'pino';
import { decodeEvent, encodeEvent, eventHeader } from '../protocol/codec.js';
import { ENVELOPE_SCHEMA, eventId, type EncodedEvent, type Envelope, type VectorClock } from '../protocol/envelope.js';
import type { Frame } from '../protocol/frame.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { sum } from '../protocol/vector-clock.js';
import type { Emission, Host } from './host.js';
import { Intake } from './intake.js';
import { RecentLog } from './recent-log.js';
import { Replication, type OutgoingEvent, type Peer, type PeerLink, type PeerView } from './replication.js';
import type { ActorRecord, CommitBatch, DeadLetter, Store, StoredEvent } from './store.js';

export type { PeerLink, PeerView };

/** What to publish: an event from outside the cluster (admin API) or from a tool. */
export interface PublishInput {
  readonly type: string;
  readonly data?: unknown;
  readonly correlationId?: string;
}

/** An event as `/log` shows it. */
export interface LogEntry extends Envelope {
  readonly pos: number;
}

/** Tuning of {@link Fabric}. */
export interface FabricOptions {
  /** Max events sent to one peer and not yet acknowledged. [default 8192] */
  readonly window?: number;
  /** Max events per `events` frame. [default 512] */
  readonly frameEvents?: number;
  /**
   * Byte budget of one `events` frame (one event may exceed it alone), of a `/log` page,
   * and of what may wait unsent in a peer's socket. [default 4 MiB]
   */
  readonly frameBytes?: number;
  /** Max events held waiting for delivery; more are dropped and fetched again. [default 100000] */
  readonly bufferLimit?: number;
  /**
   * Events from peers held decoded and ready for the next batch past which a link that
   * sends more is paused until that batch takes them (also past `frameBytes` of them).
   * [default 1024]
   */
  readonly intakeEvents?: number;
  /** Committed events kept in memory for live pushes and `/log`. [default 10000] */
  readonly recent?: number;
  /** A peer with unacknowledged events and no ack for this long is re-sent from its ack. [default 5000] */
  readonly stallMs?: number;
  /** How long after a commit acks go out, so that one covers several commits. [default 25] */
  readonly ackDelayMs?: number;
  /**
   * Wait at most this long for a first peer's clock before stamping events (0: do not
   * wait, for a node with no peers). [default 0]
   */
  readonly probeMs?: number;
}

/** One workflow as `/trace` shows it: where each event is, and what is still waiting. */
export interface Trace {
  readonly correlationId: string;
  /** Committed here, in local delivery order (causal). */
  readonly events: LogEntry[];
  /** Arrived here but waiting in the causal buffer for their dependencies. */
  readonly buffered: Envelope[];
  /** Per peer, the ids of this workflow's events the peer has not acknowledged. */
  readonly outboxes: { readonly peer: string; readonly connected: boolean; readonly since: number; readonly pending: string[] }[];
  /** Services of this node that failed on an event of this workflow. */
  readonly deadLetters: DeadLetter[];
}

/** One batch as it lands on disk: what observers (metrics, the inspector) are told. */
export interface CommitNotice {
  /** The events it delivered, in delivery order, with their log positions. */
  readonly events: readonly { readonly pos: number; readonly envelope: Envelope }[];
  /** The actors whose snapshots it wrote. */
  readonly actors: readonly ActorRecord[];
  readonly deadLetters: readonly DeadLetter[];
  readonly removedDeadLetters: readonly { readonly service: string; readonly eventId: string }[];
  /** How long the LevelDB write took (0 when the batch held nothing to write). */
  readonly writeMs: number;
}

/** Watches a fabric without taking part: told after the fact, never asked. */
export interface FabricObserver {
  /** A batch is on disk (after its publishes were acknowledged). */
  committed?(notice: CommitNotice): void;
  /** A peer's link came up or went down. */
  linkChanged?(peer: string, connected: boolean): void;
}

interface Incoming {
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
  readonly envelope: Envelope;
  readonly bytes: EncodedEvent;
}

interface PendingPublish {
  readonly input: PublishInput;
  readonly resolve: (e: Envelope) => void;
  readonly reject: (err: Error) => void;
}

interface PendingReplay {
  readonly letter: DeadLetter;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** A batch delivered in memory and waiting for its turn to be written. */
interface PreparedBatch {
  readonly commit: CommitBatch;
  readonly delivered: CommitNotice['events'];
  readonly published: readonly { readonly publish: PendingPublish; readonly envelope: Envelope }[];
  readonly replayed: readonly PendingReplay[];
}

/** One node's event fabric. */
export class Fabric {
  readonly id: string;
  private readonly store: Store;
  private readonly host: Host;
  private readonly log: Logger;
  private readonly frameBytes: number;
  private readonly bufferLimit: number;
  private readonly intakeEvents: number;

  /** Delivered here, committed or in the batch being built. */
  private readonly vc: VectorClock;
  /** Delivered and on disk. */
  private committed: VectorClock;
  private pos: number;
  private lastTs = 0;
  private readonly intake: Intake<Incoming>;
  private intakeDirty = false;
  /** Links not read from until the next batch takes what they sent. */
  private readonly paused = new Set<PeerLink>();
  private publishes: PendingPublish[] = [];
  private tasks: (() => Emission[])[] = [];
  private replays: PendingReplay[] = [];
  /** `service/eventId` of the replays under way: one at a time per dead letter. */
  private readonly replaying = new Set<string>();
  private readonly recent: RecentLog;
  private readonly replication: Replication;
  private pumping = false;
  /** Wakes a pump that waits on a write, so it prepares the next batch meanwhile. */
  private wake: (() => void) | undefined;
  private idle: Promise<void> = Promise.resolve();
  private commitWaiters: (() => void)[] = [];
  /** Own seq that peers hold and this node's log lost; publishing waits until it is back. */
  private recoverTo = 0;
  /**
   * Until a peer has told its clock, this node cannot know whether its log was rewound
   * (a lost disk, an unsynced tail), so it stamps nothing yet: no publish, no timer.
   */
  private probing: boolean;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly observers = new Set<FabricObserver>();

  constructor(args: {
    id: string;
    store: Store;
    host: Host;
    log: Logger;
    vc: VectorClock;
    acks: ReadonlyMap<string, VectorClock>;
    options?: FabricOptions;
  }) {
    this.id = args.id;
    this.store = args.store;
    this.host = args.host;
    this.log = args.log;
    const o = args.options ?? {};
    this.frameBytes = o.frameBytes ?? 4 * 1024 * 1024;
    this.bufferLimit = o.bufferLimit ?? 100_000;
    this.intakeEvents = o.intakeEvents ?? 1024;
    this.vc = { ...args.vc };
    this.committed = { ...args.vc };
    this.pos = sum(args.vc);
    this.intake = new Intake<Incoming>(this.bufferLimit, (e) => e.bytes.length);
    this.recent = new RecentLog(o.recent ?? 10_000);
    this.recent.reset(this.pos + 1);
    this.probing = (o.probeMs ?? 0) > 0;
    if (this.probing) {
      this.probeTimer = setTimeout(() => this.endProbe(), o.probeMs);
      this.probeTimer.unref();
    }
    this.replication = new Replication({
      id: this.id,
      store: this.store,
      recent: this.recent,
      log: this.log,
      committed: () => this.committed,
      readStored: (from, limit) => this.readStored(from, limit),
      acks: args.acks,
      window: o.window ?? 8192,
      frameEvents: o.frameEvents ?? 512,
      frameBytes: this.frameBytes,
      stallMs: o.stallMs ?? 5000,
      ackDelayMs: o.ackDelayMs ?? 25,
    });
  }

  /** The committed vector clock. */
  get clock(): VectorClock {
    return { ...this.committed };
  }

  /** Number of events in the local log. */
  get size(): number {
    return this.recent.end - 1;
  }

  /** Whether this node is fetching back its own history after losing it. */
  get recovering(): boolean {
    return this.probing || this.recoverTo > (this.committed[this.id] ?? 0);
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
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Publishes an event from this node. Resolves once it is committed (the durable
   * acknowledgement); the host's subscribers have handled it by then.
   */
  publish(input: PublishInput): Promise<Envelope> {
    if (this.stopped) return Promise.reject(new TroupeError('TROUPE_NODE_STOPPING', 'the node is shutting down'));
    if (this.recovering) {
      return Promise.reject(
        new TroupeError('TROUPE_NODE_RECOVERING', `fetching back own events up to ${this.recoverTo} from peers before publishing`),
      );
    }
    return new Promise((resolve, reject) => {
      this.publishes.push({ input, resolve, reject });
      this.kick();
    });
  }

  /** Runs `task` in the next batch; what it emits is stamped and committed with it. */
  schedule(task: () => Emission[]): void {
    if (this.stopped) return;
    this.tasks.push(task);
    this.kick();
  }

  /** Re-delivers a dead letter's event to its service; resolves once that is committed. */
  replay(letter: DeadLetter): Promise<void> {
    if (this.stopped) return Promise.reject(new TroupeError('TROUPE_NODE_STOPPING', 'the node is shutting down'));
    const key = `${letter.service}/${letter.eventId}`;
    if (this.replaying.has(key)) {
      return Promise.reject(new TroupeError('TROUPE_BAD_REQUEST', `${letter.eventId} is already being replayed to ${letter.service}`));
    }
    this.replaying.add(key);
    return new Promise<void>((resolve, reject) => {
      this.replays.push({ letter, resolve, reject });
      this.kick();
    }).finally(() => this.replaying.delete(key));
  }

  /** Up to `limit` committed events from position `from`, in local delivery order. */
  async read(from: number, limit: number): Promise<LogEntry[]> {
    const start = Math.max(1, from);
    const tail = this.recent.slice(start, limit);
    const stored = tail ?? (await this.readStored(start, limit));
    const out: LogEntry[] = [];
    let bytes = 0;
    for (const e of stored) {
      // A page stops at a byte budget too (at least one event): events may be 1 MiB each.
      if (out.length > 0 && bytes + e.bytes.length > this.frameBytes) break;
      bytes += e.bytes.length;
      out.push({ pos: e.pos, ...decodeEvent(e.bytes) });
    }
    return out;
  }

  /** The causal history of one workflow as this node knows it, and what of it is still waiting. */
  async trace(correlationId: string, limit = 10_000): Promise<Trace> {
    const positions = await this.store.positionsOfWorkflow(correlationId, limit);
    const stored = await this.store.eventsAt(positions);
    const events: LogEntry[] = [];
    stored.forEach((bytes, i) => {
      if (bytes !== undefined) events.push({ pos: positions[i], ...decodeEvent(bytes) });
    });
    const buffered = this.heldBack().filter((e) => e.correlationId === correlationId);
    const outboxes = this.replication.outboxesOf(events);
    const ids = new Set(events.map((e) => e.id));
    const deadLetters = (await this.store.deadLetters()).filter((d) => ids.has(d.eventId));
    return { correlationId, events, buffered, outboxes, deadLetters };
  }

  /** Resolves when the log reaches position `pos` or after `ms`, whichever is first. */
  waitFor(pos: number, ms: number): Promise<void> {
    if (this.recent.end > pos || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        const i = this.commitWaiters.indexOf(done);
        if (i >= 0) this.commitWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.commitWaiters.push(done);
    });
  }

  // ── links ────────────────────────────────────────────────────────────────

  /**
   * A peer proved its identity. Returns false if it already has a link (the caller
   * closes the newer one).
   */
  linkUp(link: PeerLink): boolean {
    if (!this.replication.linkUp(link)) return false;
    this.tell((o) => o.linkChanged?.(link.peer, true));
    return true;
  }

  /** A peer's link closed. */
  linkDown(link: PeerLink): void {
    this.paused.delete(link);
    if (this.replication.linked(link) === undefined) return;
    this.replication.linkDown(link);
    this.tell((o) => o.linkChanged?.(link.peer, false));
  }

  /**
   * A frame from an authenticated peer. Throws a TroupeError for a frame that breaks
   * the protocol; the caller closes the link. A bad frame changes no state.
   */
  receive(link: PeerLink, frame: Frame): void {
    const peer = this.replication.linked(link);
    if (peer === undefined) return;
    switch (frame.type) {
      case 'events':
        this.receiveEvents(peer, frame.events);
        this.holdBackIfFull(link);
        return;
      case 'ack':
        this.replication.receiveAck(peer, frame.vc);
        return;
      case 'want':
        this.background(this.receiveWant(peer, frame.vc));
        return;
      case 'links':
        this.replication.receiveLinks(peer, frame.links);
        return;
      default:
        throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `unexpected ${frame.type} frame after the handshake`);
    }
  }

  /** Stops taking work, waits for the batch in progress, and persists acknowledged clocks. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.replication.stopTicking();
    clearTimeout(this.probeTimer);
    await this.idle;
    this.replication.cancelAcks(); // the last write may have armed it
    const acks = this.replication.dirtyAcks(true);
    if (acks.size > 0) {
      await this.store.commit({ events: [], vcBefore: this.committed, vc: this.committed, actors: [], deadLetters: [], removedDeadLetters: [], acks });
    }
    for (const p of this.publishes) p.reject(new TroupeError('TROUPE_NODE_STOPPING', 'the node is shutting down'));
    this.publishes = [];
  }

  private receiveEvents(peer: Peer, list: readonly EncodedEvent[]): void {
    // Decode all before keeping any: a bad event rejects the whole frame unchanged.
    const incoming = list.map((bytes): Incoming => {
      const envelope = decodeEvent(bytes);
      return { origin: envelope.origin, seq: envelope.seq, vc: envelope.vc, envelope, bytes };
    });
    let fresh = 0;
    let overflowed = false;
    for (const e of incoming) {
      const r = this.intake.add(e, this.vc);
      if (r === 'fresh') fresh++;
      else if (r === 'overflow') overflowed = true;
    }
    this.replication.received(peer, incoming, fresh, overflowed);
    if (fresh > 0) {
      this.intakeDirty = true;
      this.kick();
    }
  }

  /**
   * Received events wait decoded until the next batch delivers them. A fast sender (a
   * catch-up) would otherwise pile up its whole window of them, and every young-generation
   * GC during the batch would copy them all. Past the budget the link is not read from:
   * the rest waits as bytes in TCP buffers, and the next batch resumes reading. Only
   * deliverable events count: waiting for a dependency must never stop the link that
   * brings it.
   */
  private holdBackIfFull(link: PeerLink): void {
    if (this.intake.deliverable < this.intakeEvents && this.intake.deliverableBytes < this.frameBytes) return;
    if (this.paused.has(link)) return;
    this.paused.add(link);
    link.pause();
  }

  private resumeLinks(): void {
    for (const link of this.paused) link.resume();
    this.paused.clear();
  }

  private async receiveWant(peer: Peer, vc: VectorClock): Promise<void> {
    const own = vc[this.id] ?? 0;
    this.endProbe();
    if (own > (this.committed[this.id] ?? 0) && own > this.recoverTo) {
      this.recoverTo = own;
      this.log.warn(
        { code: 'TROUPE_NODE_RECOVERING', peer: peer.id, peerHas: own, logHas: this.committed[this.id] ?? 0 },
        'a peer holds more of this node\'s events than its log: fetching them back before publishing',
      );
    }
    await this.replication.receiveWant(peer, vc);
  }

  private async readStored(from: number, limit: number): Promise<OutgoingEvent[]> {
    const rows = await this.store.readFrom(from, Math.min(limit, this.recent.start - from));
    return rows.map((r) => ({ pos: r.pos, ...eventHeader(r.bytes), bytes: r.bytes }));
  }

  // ── the pump ─────────────────────────────────────────────────────────────

  private kick(): void {
    if (this.pumping) {
      this.wake?.();
      return;
    }
    this.pumping = true;
    this.idle = new Promise((resolve) => setImmediate(() => this.pump().then(resolve)));
  }

  private hasWork(): boolean {
    const held = this.recovering; // timers and replays wait until this node may stamp again
    return this.publishes.length > 0 || this.intakeDirty || (!held && (this.tasks.length > 0 || this.replays.length > 0));
  }

  private endProbe(): void {
    if (!this.probing) return;
    this.probing = false;
    clearTimeout(this.probeTimer);
    this.kick();
  }

  /**
   * Prepares batch N+1 (delivery, actors, stamping: CPU) while batch N is being written
   * (fsync: waiting), and writes them strictly in order.
   */
  private async pump(): Promise<void> {
    let writing: Promise<void> | undefined;
    let written = false;
    try {
      for (;;) {
        if (this.hasWork()) {
          const batch = await this.prepare();
          await writing;
          written = false;
          writing = this.write(batch).then(() => {
            written = true;
          });
        } else if (writing !== undefined && !written) {
          // Whichever comes first: the write finishing, or new work to prepare meanwhile.
          await Promise.race([writing, new Promise<void>((resolve) => (this.wake = resolve))]);
          this.wake = undefined;
        } else if (writing !== undefined) {
          writing = undefined;
          this.askAgainIfRoom();
        } else {
          break;
        }
      }
    } catch (err) {
      // The disk failed under a commit: memory is ahead of disk now, so the only safe
      // state is the one on disk. Crash-only: exit, and a restart resumes from there.
      this.log.fatal({ err }, 'commit failed; exiting so that a restart resumes from the store');
      process.exit(70);
    } finally {
      this.pumping = false;
    }
  }

  /** Builds one batch from everything ready: delivers it to the host and stamps what it emits. */
  private async prepare(): Promise<PreparedBatch> {
    const events: StoredEvent[] = [];
    const queue: { envelope: Envelope; pos: number }[] = [];
    const delivered: { envelope: Envelope; pos: number }[] = [];
    const deliver = (envelope: Envelope, bytes: EncodedEvent): void => {
      const pos = ++this.pos;
      if (envelope.ts > this.lastTs) this.lastTs = envelope.ts;
      events.push({ pos, origin: envelope.origin, seq: envelope.seq, correlationId: envelope.correlationId, bytes });
      const entry = { envelope, pos };
      queue.push(entry);
      delivered.push(entry);
    };
    const emit = (emissions: readonly Emission[]): void => {
      for (const { emitted, cause } of emissions) {
        if (typeof emitted.type !== 'string' || emitted.type === '') {
          this.log.error({ emitted }, 'an actor emitted an event without a type; dropped');
          continue;
        }
        try {
          const own = this.stamp({ type: emitted.type, data: emitted.data, correlationId: cause?.correlationId }, cause?.id ?? null);
          deliver(own.envelope, own.bytes);
        } catch (err) {
          this.log.error({ err, type: emitted.type, cause: cause?.id }, 'an actor emitted an event that cannot be encoded; dropped');
        }
      }
    };
    // Handles queued deliveries in order; what they emit joins the end of the queue.
    const settle = (): void => {
      for (let i = 0; i < queue.length; i++) emit(this.host.deliver(queue[i].envelope, queue[i].pos));
      queue.length = 0;
    };

    const vcBefore = { ...this.vc };
    // While this node may not stamp (its own history is still coming back), events are
    // stored and relayed but not handled: handling could emit under reused seqs.
    const handle = !this.recovering;
    this.intakeDirty = false;
    this.intake.drain(this.vc, (e) => {
      deliver(e.envelope, e.bytes);
      if (handle) settle();
      else queue.length = 0;
    });
    this.resumeLinks();

    const publishes = this.publishes;
    this.publishes = [];
    const published: { publish: PendingPublish; envelope: Envelope }[] = [];
    for (const p of publishes) {
      if (this.recovering) {
        p.reject(new TroupeError('TROUPE_NODE_RECOVERING', 'this node is fetching back its own events before publishing'));
        continue;
      }
      let own;
      try {
        own = this.stamp(p.input, null);
      } catch (err) {
        p.reject(err as Error);
        continue;
      }
      deliver(own.envelope, own.bytes);
      settle();
      published.push({ publish: p, envelope: own.envelope });
    }

    const tasks = handle ? this.tasks : [];
    if (handle) this.tasks = [];
    for (const task of tasks) {
      emit(task());
      settle();
    }

    const replays = handle ? this.replays : [];
    if (handle) this.replays = [];
    const replayed: PendingReplay[] = [];
    for (const r of replays) {
      const result = await this.replayOne(r.letter);
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
      vc: { ...this.vc },
      actors: changes.actors,
      deadLetters: changes.deadLetters,
      removedDeadLetters: replayed.map((r) => ({ service: r.letter.service, eventId: r.letter.eventId })),
      acks: this.replication.dirtyAcks(),
    };
    return { commit, delivered, published, replayed };
  }

  /** Writes a prepared batch, then acknowledges and propagates it. */
  private async write({ commit, delivered, published, replayed }: PreparedBatch): Promise<void> {
    const { events, vc } = commit;
    let writeMs = 0;
    if (events.length > 0 || commit.actors.length > 0 || commit.deadLetters.length > 0 || replayed.length > 0 || commit.acks.size > 0) {
      const started = performance.now();
      await this.store.commit(commit);
      writeMs = performance.now() - started;
    }
    for (const d of commit.deadLetters) {
      this.log.warn({ service: d.service, key: d.key, event: d.eventId, code: d.error.code, error: d.error.message }, 'dead letter');
    }
    this.committed = vc;
    this.recent.append(events);
    if (events.length > 0) this.replication.scheduleAcks();
    for (const { publish, envelope } of published) publish.resolve(envelope);
    for (const r of replayed) r.resolve();
    const waiters = this.commitWaiters;
    this.commitWaiters = [];
    for (const w of waiters) w();
    if (events.length > 0) this.replication.pushAll();
    if (this.observers.size > 0 && (delivered.length > 0 || commit.actors.length > 0 || commit.deadLetters.length > 0 || replayed.length > 0)) {
      const { actors, deadLetters, removedDeadLetters } = commit;
      const notice: CommitNotice = { events: delivered, actors, deadLetters, removedDeadLetters, writeMs };
      this.tell((o) => o.committed?.(notice));
    }
  }

  /** Tells every observer; one that throws is logged and does not stop the fabric. */
  private tell(call: (observer: FabricObserver) => void): void {
    for (const o of this.observers) {
      try {
        call(o);
      } catch (err) {
        this.log.error({ err }, 'a fabric observer failed');
      }
    }
  }

  /** Runs a task nobody awaits; a failure is logged, never an unhandled rejection. */
  private background(task: Promise<void>): void {
    task.catch((err: unknown) => this.log.error({ err }, 'background fabric task failed'));
  }

  private async replayOne(letter: DeadLetter): Promise<readonly Emission[] | Error> {
    const bytes = await this.store.eventAt(letter.pos);
    if (bytes === undefined) return new TroupeError('TROUPE_NOT_FOUND', `event ${letter.eventId} is no longer in the log`);
    const result = this.host.replay(letter.service, decodeEvent(bytes));
    if (result instanceof Error && !(result instanceof TroupeError)) {
      return new TroupeError('TROUPE_SERVICE_FAILED', `${letter.service} failed again on ${letter.eventId}: ${result.message}`, { cause: result });
    }
    return result;
  }

  /**
   * Gives an event of this node its identity: next seq, current clock, time. Throws a
   * TroupeError (and takes no seq) if the event cannot be encoded, e.g. too large.
   */
  private stamp(input: PublishInput, causationId: string | null): { envelope: Envelope; bytes: EncodedEvent } {
    const seq = (this.vc[this.id] ?? 0) + 1;
    const ts = Math.max(Date.now(), this.lastTs);
    const vc = { ...this.vc };
    vc[this.id] = seq;
    const id = eventId(this.id, seq);
    const envelope: Envelope = {
      id,
      type: input.type,
      data: input.data ?? null,
      origin: this.id,
      seq,
      vc,
      // An event that starts a workflow names it: its id is unique cluster-wide already.
      correlationId: input.correlationId ?? id,
      causationId,
      ts,
      schema: ENVELOPE_SCHEMA,
    };
    const bytes = encodeEvent(envelope);
    this.vc[this.id] = seq;
    this.lastTs = ts;
    return { envelope, bytes };
  }

  /** Peers whose events overflowed the buffer are asked again once it has room. */
  private askAgainIfRoom(): void {
    if (this.intake.size > this.bufferLimit / 2) return;
    this.replication.askAgain(() => this.clock);
  }
}
