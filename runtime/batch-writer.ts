/**
 * The write of a prepared batch and what follows it. A batch is written to the store in
 * one LevelDB batch (skipped when it holds nothing to write); only once it is on disk does
 * anyone hear of it: the committed clock moves, the recent log takes its events, acks are
 * scheduled, publishes resolve, replays resolve, long polls wake, peers are pushed the new
 * events, and observers are told. Dead letters, and events handed to actors that had
 * ended, are logged with their workflow's id.
 */
import type { Logger } from 'pino';
import { copyClock } from '../protocol/clock-floor.js';
import type { VectorClock } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { PreparedBatch } from './batch-preparation.js';
import { isDiskFull, type DiskGuard } from './disk-guard.js';
import type { CommitNotice, FabricObservers } from './fabric-observers.js';
import type { LogQueries } from './log-queries.js';
import type { RecentLog } from './recent-log.js';
import type { Replication } from './replication.js';
import type { CommitBatch, Store } from './store.js';

/** Writes one node's batches and fans out what each commit settles. */
export class BatchWriter {
  private readonly store: Store;
  private readonly log: Logger;
  private readonly recent: RecentLog;
  private readonly replication: Replication;
  private readonly queries: LogQueries;
  private readonly observers: FabricObservers;
  private readonly disk: DiskGuard;
  private clock: VectorClock;

  constructor(args: {
    store: Store;
    log: Logger;
    recent: RecentLog;
    replication: Replication;
    queries: LogQueries;
    observers: FabricObservers;
    /** Told of writes that fail for lack of space; says when to write them again. */
    disk: DiskGuard;
    /** The committed clock at start. */
    vc: VectorClock;
  }) {
    this.store = args.store;
    this.log = args.log;
    this.recent = args.recent;
    this.replication = args.replication;
    this.queries = args.queries;
    this.observers = args.observers;
    this.disk = args.disk;
    this.clock = copyClock(args.vc);
  }

  /** The committed vector clock: delivered and on disk. Not a copy: do not change it. */
  get committed(): VectorClock {
    return this.clock;
  }

  /** Writes a prepared batch, then acknowledges and propagates it. */
  async write({ commit, delivered, published, replayed, ignored }: PreparedBatch): Promise<void> {
    const { events, vc } = commit;
    let writeMs = 0;
    const skipped = commit.interest !== undefined;
    const changed = skipped || commit.held !== undefined || commit.index !== undefined;
    if (events.length > 0 || commit.actors.length > 0 || commit.deadLetters.length > 0 || replayed.length > 0 || commit.acks.size > 0 || changed) {
      const started = performance.now();
      await this.commitWhenRoom(commit);
      writeMs = performance.now() - started;
    }
    for (const d of commit.deadLetters) {
      // Dead letters are rare: finding the event's workflow here costs nothing on the hot path.
      const correlationId = delivered.find((e) => e.envelope.id === d.eventId)?.envelope.correlationId;
      this.log.warn({ service: d.service, key: d.key, event: d.eventId, correlationId, code: d.error.code, error: d.error.message }, 'dead letter');
    }
    for (const i of ignored) {
      this.log.warn({ service: i.service, key: i.key, type: i.type, event: i.eventId, correlationId: i.correlationId, reason: i.reason }, 'event ignored: its actor has ended');
    }
    this.clock = vc;
    this.recent.append(events);
    if (events.length > 0 || skipped) this.replication.scheduleAcks();
    for (const { publish, envelope } of published) publish.resolve(envelope);
    for (const r of replayed) r.resolve();
    this.queries.committed();
    if (events.length > 0) this.replication.pushAll();
    if (this.observers.any && (delivered.length > 0 || commit.actors.length > 0 || commit.deadLetters.length > 0 || replayed.length > 0 || ignored.length > 0)) {
      const { actors, deadLetters, removedDeadLetters } = commit;
      const notice: CommitNotice = { events: delivered, actors, deadLetters, removedDeadLetters, ignored, writeMs };
      this.observers.tell((o) => o.committed?.(notice));
    }
  }

  /**
   * Writes a commit; one that fails for lack of space is held and written again once the
   * disk has room (LevelDB applied none of it), on a store opened again first: a torn
   * record would otherwise swallow the writes behind it (`store-db.ts`). Its batch is
   * delivered in memory already: it can only go forward, never be dropped.
   */
  private async commitWhenRoom(commit: CommitBatch): Promise<void> {
    for (let failed = false; ; ) {
      try {
        if (failed) await this.store.reopen();
        return await this.store.commit(commit);
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        failed = true;
        this.disk.writeFailed(new TroupeError('TROUPE_DISK_FULL', `a commit of ${commit.events.length} events failed for lack of space; it is held and written again once there is room`, { cause: err }));
        await this.disk.waitForRoom();
      }
    }
  }

  /** Persists the acknowledged clocks alone (on stop), with nothing else in the batch. */
  async writeAcks(acks: ReadonlyMap<string, VectorClock>, durability?: ReadonlyMap<string, boolean>): Promise<void> {
    const vc = this.clock;
    await this.store.commit({ events: [], vcBefore: vc, vc, actors: [], deadLetters: [], removedDeadLetters: [], acks, durability });
  }
}
