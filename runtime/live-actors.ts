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
import { indexOf } from './actor-index.js';
import type { ActorRecords } from './actor-records.js';
import type { ActorTimers } from './actor-timers.js';
import { actorId, spawnActor, type HostedActor, type SpawnOptions } from './hosted-actor.js';
import type { ServiceDefinition } from './service.js';
import type { ActorRecord } from './store.js';

/** Options of {@link LiveActors}. */
export interface LiveActorsOptions {
  readonly services: readonly ServiceDefinition[];
  /** Where passivated actors are read back from; without it nothing is passivated. */
  readonly records: Pick<ActorRecords, 'get'> | undefined;
  readonly spawning: SpawnOptions;
  readonly timers: ActorTimers<HostedActor>;
  /** Now, on the clock idleness is measured by. */
  readonly now: () => number;
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
  /** Actors read back from their records since start. */
  activated = 0;
  /** Actors passivated since start. */
  passivated = 0;

  constructor(options: LiveActorsOptions) {
    this.options = options;
    this.byName = new Map(options.services.map((s) => [s.name, s]));
  }

  /** How many actors are in memory. */
  get size(): number {
    return this.actors.size;
  }

  /** Whether actors can be passivated (there is a store to read them back from). */
  get passivating(): boolean {
    return this.options.records !== undefined;
  }

  /** Every actor in memory. */
  values(): IterableIterator<HostedActor> {
    return this.actors.values();
  }

  /** The actor of `service` for `key` if it is in memory. */
  peek(service: string, key: string): HostedActor | undefined {
    return this.actors.get(actorId(service, key));
  }

  /** The actor of `service` for `key`: in memory, read back from its record, or new. */
  get(service: ServiceDefinition, key: string): HostedActor {
    return this.actors.get(actorId(service.name, key)) ?? this.load(service, key) ?? this.spawn(service, key, undefined);
  }

  /** The actor of service `name` for `key`, in memory or read back from its record; `undefined` if it has neither. */
  find(name: string, key: string): HostedActor | undefined {
    const live = this.actors.get(actorId(name, key));
    if (live !== undefined) return live;
    const service = this.byName.get(name);
    return service === undefined ? undefined : this.load(service, key);
  }

  /** The record of the actor of `service` for `key` on disk, without bringing it into memory. */
  record(service: string, key: string): ActorRecord | undefined {
    return this.options.records?.get(service, key);
  }

  /** Brings back an actor from `record` (re-arming its timers), replacing any in memory. */
  restore(record: ActorRecord): HostedActor | undefined {
    const service = this.byName.get(record.service);
    if (service === undefined) return undefined; // a service this node no longer hosts keeps its record on disk
    const hosted = this.spawn(service, record.key, record.snapshot);
    hosted.cause = record.cause;
    hosted.timers = this.options.timers.rearm(hosted.actor, record.timers);
    hosted.indexed = indexOf(record);
    return hosted;
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

  /** Stops every actor in memory. */
  stop(): void {
    for (const hosted of this.actors.values()) hosted.actor.stop();
  }

  private load(service: ServiceDefinition, key: string): HostedActor | undefined {
    const record = this.options.records?.get(service.name, key);
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
