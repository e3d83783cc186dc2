/**
 * The actors a node holds in memory, out of all it has on disk.
 *
 * An actor is live from its first event, or from when it is read back from its record
 * (an event for it, a timer coming due, a replayed dead letter) until it has been idle
 * for a while and is passivated (`passivation.ts`): stopped and dropped, its timers
 * cleared. Nothing is lost by that: its snapshot, pending timers and last cause are in its
 * record, written in the commit of the batch that last moved it, and reading the record
 * back re-arms its timers with what is left of their delays. An actor is never dropped
 * while the batch that last persisted it may not be on disk yet.
 */
import { ActorIndex, indexOf } from './actor-index.js';
import type { ActorCounts, ActorRecords } from './actor-records.js';
import type { ActorTimers } from './actor-timers.js';
import type { TroupeError } from '../protocol/troupe-error.js';
import { actorViews, recordView, type ActorView } from './actor-views.js';
import type { Clock } from './clock.js';
import { actorId, inspectHosted, spawnActor, type HostedActor, type SpawnOptions } from './hosted-actor.js';
import { Passivation } from './passivation.js';
import { machineVersion, type ServiceDefinition } from './service.js';
import { migrateSnapshot, restoreActor } from './snapshot-migration.js';
import { stateLabel } from './state-label.js';
import type { ActorRecord } from './store.js';

/** Where passivated actors are kept, and when to passivate. */
export interface HostPassivation {
  /** The actors on disk. */
  readonly store: ActorRecords;
  /** Their persisted counts (`ActorRecords.counts`). */
  readonly counts: ActorCounts;
  /** Idle this long (ms), an actor is passivated. [default 5 minutes] */
  readonly afterMs?: number;
  /** Whether a batch is being prepared or written now (then its actors may not be on disk yet). */
  readonly writing: () => boolean;
  /** Told of a failed read of the due index. */
  readonly failed: (err: unknown) => void;
}

/** Options of {@link LiveActors}. */
export interface LiveActorsOptions {
  readonly services: readonly ServiceDefinition[];
  /** Without it nothing is passivated. */
  readonly passivation: HostPassivation | undefined;
  readonly spawning: SpawnOptions;
  readonly timers: ActorTimers<HostedActor>;
  /** Now, on the clock idleness and due times are measured by. */
  readonly now: () => number;
  /** Timers of the passivation sweep and wake. */
  readonly clock: Clock;
  /** The number of the batch being built (`HostChanges.batch`). */
  readonly batch: () => number;
  /** Told of a record that could not be restored (its migration failed, or XState refused it): its actor stays out. */
  readonly unrestorable: (service: ServiceDefinition, record: ActorRecord, reason: TroupeError) => void;
}

/** What {@link LiveActors.passivate} may drop. */
export interface PassivateOptions {
  /** Actors that have not moved since this time (ms) are idle. */
  readonly idleSince: number;
  /** Actors with a timer due before this time (ms) are kept: it is about to fire. */
  readonly dueAfter: number;
  /** Batches numbered this or later may not be on disk yet: actors they persisted are kept. */
  readonly unwrittenFrom: number;
}

/** The node's actors in memory. */
export class LiveActors {
  private readonly actors = new Map<string, HostedActor>();
  private readonly byName: ReadonlyMap<string, ServiceDefinition>;
  private readonly options: LiveActorsOptions;
  /** The count of actors per service and state and the due index, with a store. */
  readonly index: ActorIndex | undefined;
  private readonly passivation: Passivation | undefined;
  /** Actors read back from their records since start. */
  activated = 0;
  /** Actors passivated since start. */
  passivated = 0;

  constructor(options: LiveActorsOptions) {
    this.options = options;
    this.byName = new Map(options.services.map((s) => [s.name, s]));
    const p = options.passivation;
    if (p === undefined) return;
    this.index = new ActorIndex(p.counts);
    const { now, clock, batch } = options;
    const live = this;
    // While the commit pump runs, the last two batches taken may not be on disk: one being
    // written while the next, already taken, waits for it (`commit-pump.ts`).
    const unwrittenFrom = (): number => (p.writing() ? batch() - 2 : batch());
    this.passivation = new Passivation({
      clock: { now, setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (handle) => clock.clearTimeout(handle) },
      records: p.store,
      afterMs: p.afterMs,
      failed: p.failed,
      actors: {
        passivateIdle: (idleSince, dueAfter) => live.passivate({ idleSince, dueAfter, unwrittenFrom: unwrittenFrom() }).earliestDue,
        wake: (service, key) => void live.find(service, key),
      },
    });
  }

  /** Brings back the actors whose timers are due soon (no other) and starts passivating idle ones. */
  async start(): Promise<void> {
    await this.passivation?.start();
  }

  /** Resolves once no passivated actor is being read back for a due timer. */
  idle(): Promise<void> {
    return this.passivation?.idle() ?? Promise.resolve();
  }

  /** Passivates the actors idle for `passivateAfterMs` now, as the periodic sweep does. */
  sweep(): void {
    this.passivation?.sweep();
  }

  /** Actors per service and state: with a store every actor, in memory or not; else those in memory. */
  counts(): ActorCounts {
    if (this.index !== undefined) return this.index.counts();
    const counts: ActorCounts = {};
    for (const view of actorViews(this.actors.values())) {
      const byState = (counts[view.service] ??= {});
      const label = stateLabel(view.state);
      byState[label] = (byState[label] ?? 0) + 1;
    }
    return counts;
  }

  /** How many actors there are, in memory and on disk. */
  get total(): number {
    return this.index?.total ?? this.actors.size;
  }

  /** One actor's current state (`key` is `''` for a singleton), in memory or from its record, without bringing it back. */
  view(service: string, key: string): ActorView | undefined {
    const live = this.actors.get(actorId(service, key));
    if (live !== undefined) return actorViews([live])[0];
    const record = this.record(service, key);
    return record === undefined ? undefined : this.recordView(record);
  }

  /**
   * The view of a passivated actor's record as this node's machine version has it: a
   * record written by an older version is shown migrated (nothing is written), one that
   * cannot be migrated as it is on disk.
   */
  recordView(record: ActorRecord): ActorView {
    const service = this.byName.get(record.service);
    if (service === undefined) return recordView(record, false);
    const singleton = service.key === undefined;
    if ((record.version ?? 1) >= machineVersion(service)) return recordView(record, singleton);
    try {
      return recordView({ ...record, snapshot: migrateSnapshot(service, record) }, singleton);
    } catch {
      return recordView(record, singleton);
    }
  }

  /** How many actors are in memory. */
  get size(): number {
    return this.actors.size;
  }

  /** Whether actors can be passivated (there is a store to read them back from). */
  get passivating(): boolean {
    return this.passivation !== undefined;
  }

  /** Every actor in memory. */
  values(): IterableIterator<HostedActor> {
    return this.actors.values();
  }

  /** The actor of `service` for `key` if it is in memory. */
  peek(service: string, key: string): HostedActor | undefined {
    return this.actors.get(actorId(service, key));
  }

  /** The actor of `service` for `key`: in memory, read back from its record, or new; why not if its record cannot be restored. */
  get(service: ServiceDefinition, key: string): HostedActor | TroupeError {
    return this.actors.get(actorId(service.name, key)) ?? this.load(service, key) ?? this.spawn(service, key, undefined);
  }

  /** The actor of service `name` for `key`, in memory or read back from its record; `undefined` if it has neither or cannot be restored. */
  find(name: string, key: string): HostedActor | undefined {
    const live = this.actors.get(actorId(name, key));
    if (live !== undefined) return live;
    const service = this.byName.get(name);
    const loaded = service === undefined ? undefined : this.load(service, key);
    return loaded instanceof Error ? undefined : loaded;
  }

  /** The record of the actor of `service` for `key` on disk, without bringing it into memory. */
  record(service: string, key: string): ActorRecord | undefined {
    return this.options.passivation?.store.get(service, key);
  }

  /**
   * Brings back an actor from `record`, migrated to its machine's version (re-arming its
   * timers), replacing any in memory; a record that cannot be restored keeps its actor out
   * and is told to `unrestorable`.
   */
  restore(record: ActorRecord): HostedActor | TroupeError | undefined {
    const service = this.byName.get(record.service);
    if (service === undefined) return undefined; // a service this node no longer hosts keeps its record on disk
    const hosted = restoreActor(service, record, (snapshot) => this.spawn(service, record.key, snapshot));
    if (hosted instanceof Error) {
      this.actors.delete(actorId(service.name, record.key));
      this.options.unrestorable(service, record, hosted);
      return hosted;
    }
    hosted.cause = record.cause;
    hosted.timers = this.options.timers.rearm(hosted.actor, record.timers);
    hosted.indexed = indexOf(record);
    return hosted;
  }

  /**
   * Stops and drops every actor in memory and brings back `records` in their place (a
   * rebuild's, `actor-rebuild.ts`). Each one restored is handed to `persist`, marked as
   * persisted the way its record on disk shows it, so that persisting it moves the counts
   * and the due index from there. Records on disk that `records` lacks stay as they are.
   */
  replaceAll(records: readonly ActorRecord[], persist: (hosted: HostedActor) => void): void {
    for (const hosted of this.actors.values()) {
      hosted.inspection?.unsubscribe();
      hosted.actor.stop();
    }
    this.actors.clear();
    for (const record of records) {
      const onDisk = this.record(record.service, record.key);
      const hosted = this.restore(record);
      if (hosted === undefined || hosted instanceof Error) continue;
      hosted.indexed = onDisk === undefined ? undefined : indexOf(onDisk);
      persist(hosted);
    }
  }

  /** A new actor of `service` for `key` from `snapshot` (a new one if `undefined`), replacing any in memory. */
  spawn(service: ServiceDefinition, key: string, snapshot: unknown): HostedActor {
    const hosted = spawnActor(service, key, snapshot, this.options.spawning);
    hosted.active = this.options.now();
    this.actors.set(actorId(service.name, key), hosted);
    return hosted;
  }

  /** Replaces `failed` by an actor started from `snapshot`, with its cause and what its record shows. */
  respawn(failed: HostedActor, snapshot: unknown): HostedActor {
    failed.actor.stop();
    const restored = this.spawn(failed.service, failed.key, snapshot);
    restored.cause = failed.cause;
    restored.indexed = failed.indexed;
    restored.batch = failed.batch;
    return restored;
  }

  /**
   * Drops the idle actors whose records are on disk. Returns how many it dropped and the
   * earliest timer among them, which is then due with no actor in memory to fire it.
   */
  passivate(options: PassivateOptions): { count: number; earliestDue: number | undefined } {
    let count = 0;
    let earliestDue: number | undefined;
    if (!this.passivating) return { count, earliestDue };
    for (const [id, hosted] of this.actors) {
      if (hosted.active > options.idleSince || hosted.batch >= options.unwrittenFrom) continue;
      const due = earliest(hosted);
      if (due !== undefined && due < options.dueAfter) continue;
      // A new actor that never persisted (its first event failed) is as good as never spawned.
      hosted.inspection?.unsubscribe();
      hosted.actor.stop();
      this.actors.delete(id);
      count++;
      if (due !== undefined && (earliestDue === undefined || due < earliestDue)) earliestDue = due;
    }
    this.passivated += count;
    return { count, earliestDue };
  }

  /** Starts or stops observing every actor's inspection events (see `Host.inspectActors`). */
  inspect(on: boolean): void {
    for (const hosted of this.actors.values()) {
      if (on) inspectHosted(hosted, this.options.spawning);
      else {
        hosted.inspection?.unsubscribe();
        hosted.inspection = undefined;
      }
    }
  }

  /** Stops passivating, and every actor in memory. */
  stop(): void {
    this.passivation?.stop();
    for (const hosted of this.actors.values()) hosted.actor.stop();
  }

  private load(service: ServiceDefinition, key: string): HostedActor | TroupeError | undefined {
    const record = this.options.passivation?.store.get(service.name, key);
    if (record === undefined) return undefined;
    this.activated++;
    return this.restore(record);
  }
}

function earliest(hosted: HostedActor): number | undefined {
  let due: number | undefined;
  for (const timer of hosted.timers) if (due === undefined || timer.due < due) due = timer.due;
  return due;
}
