/**
 * The host: the node's XState actors.
 *
 * The fabric hands the host each delivered event, in delivery order, one at a time and
 * synchronously. The host sends it to every local service subscribed to its type (one
 * actor per entity key, or a singleton), collects what the actors `emit(...)` during that
 * send (`actor-delivery.ts`), and gives those back to the fabric to stamp and deliver.
 * Actors touched by a batch are persisted in the same commit as the events that moved them.
 *
 * Failures become data (`actor-step.ts`): an actor that throws or ends in
 * `status: 'error'` is rolled back to its snapshot from before the event, its emissions
 * are discarded, and the event becomes a dead letter for that service. An event for an
 * actor that has reached a final state is recorded as ignored, to be logged and counted,
 * and is no dead letter, since replaying it would meet the same ended actor.
 *
 * Timers (`actor-timers.ts`) fire inside the fabric's commit loop and run through the same
 * rollback, so what a timer makes an actor emit is committed like any other transition;
 * they are persisted with each actor and re-armed on restart. Only the actors that moved
 * lately are in memory (`live-actors.ts`, `passivation.ts`); the others are read back from
 * their records when an event or a due timer needs them. What a batch changed is
 * kept by `host-changes.ts`; for the inspector the host also records what each event made
 * the actors do (`transition-ring.ts`) and which types they emit (`emits-seen.ts`).
 *
 * Services evolve: an event reaches a machine upcast to the newest version the service
 * knows (`upcasters.ts`), and a persisted actor is migrated to the machine's version on
 * restore, or kept out with a dead letter if it cannot be (`snapshot-migration.ts`).
 */
import type { ActorDetail, Transition } from '../inspector/feed.js';
import type { Envelope } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { ActorDelivery, NO_EMISSIONS, type Emission } from './actor-delivery.js';
import { actorViews, detailOf, type ActorView } from './actor-views.js';
import type { ActorInspector } from './actor-inspection.js';
import type { ActorCounts } from './actor-records.js';
import { ActorStep } from './actor-step.js';
import { ActorTimers } from './actor-timers.js';
import { systemClock, type Clock } from './clock.js';
import { EmitsSeen } from './emits-seen.js';
import { HostChanges, type HostChangeSet } from './host-changes.js';
import type { HostedActor, SpawnOptions } from './hosted-actor.js';
import { LiveActors, type HostPassivation } from './live-actors.js';
import type { ServiceDefinition } from './service.js';
import { UnrestoredActors } from './snapshot-migration.js';
import type { ActorRecord } from './store.js';
import { TransitionRing } from './transition-ring.js';
import { newestVersions, versioned, type NewestVersions } from './upcasters.js';

export type { ActorInspector, InspectedActor } from './actor-inspection.js';
export type { ActorView } from './actor-views.js';
export type { Emission } from './actor-delivery.js';

/** Runs `task` inside the fabric's commit loop, as part of the next batch; the fabric stamps what it emits. */
export type Schedule = (task: () => Emission[]) => void;

/** Options of {@link Host}. */
export interface HostOptions {
  readonly services: readonly ServiceDefinition[];
  readonly schedule: Schedule;
  /** Wall-clock now; timers' due times are wall-clock so they survive restarts. [default `clock.now`] */
  readonly now?: () => number;
  /** Where the actors' `after` delays are timed (`troupe/testing` drives them). [default Node's timers] */
  readonly clock?: Clock;
  /** Given every actor's inspection events while `inspectActors(true)`; XState builds none otherwise. */
  readonly inspect?: ActorInspector;
  /** The newest version of each event type the app knows, which its actors' emits are published at. [default `newestVersions(services)`] */
  readonly versions?: NewestVersions;
  /** The actors on disk: with them, idle actors are passivated. [default: every actor stays in memory] */
  readonly passivation?: HostPassivation;
}

/** The node's actors. */
export class Host {
  /** The services this host runs actors of. */
  readonly services: readonly ServiceDefinition[];
  /** The newest version of each event type, which the actors' emits are published at. */
  readonly versions: NewestVersions;
  private readonly byType = new Map<string, ServiceDefinition[]>();
  /** The actors in memory; the rest are on disk. */
  readonly actors: LiveActors;
  private readonly timers: ActorTimers<HostedActor>;
  private readonly changes: HostChanges;
  /** Runs each step of an actor, rolling back one that fails (`actor-step.ts`). */
  private readonly step: ActorStep;
  /** Sends each event or timer to its one actor (`actor-delivery.ts`). */
  private readonly delivery: ActorDelivery;
  /** How `spawn` starts an actor: this host's timers, inspector and emission sink. */
  private readonly spawning: SpawnOptions;
  /** What each recent delivered event made the actors do, by log position. */
  private readonly transitions = new TransitionRing();
  private readonly emitted = new EmitsSeen();
  /** Whether the actors' inspection events are observed (only while somebody watches). */
  private inspecting = false;
  /** Actors whose records could not be restored: their events become dead letters. */
  private readonly unrestored = new UnrestoredActors();

  constructor(options: HostOptions) {
    this.services = options.services;
    const clock = options.clock;
    const now = options.now ?? (clock === undefined ? Date.now : () => clock.now());
    const host = this;
    const schedule = options.schedule;
    const newest = options.versions ?? newestVersions(options.services);
    this.versions = newest;
    this.timers = new ActorTimers<HostedActor>({
      now,
      clock,
      fired(hosted, callback, timer) {
        schedule(() => host.delivery.fire(hosted, callback, timer));
      },
    });
    this.spawning = {
      timers: this.timers,
      inspect: options.inspect,
      inspecting() {
        return host.inspecting;
      },
      delivering() {
        return host.delivery.delivering;
      },
      emitted(emitted) {
        host.step.emit(versioned(emitted, newest));
      },
    };
    const { services, passivation } = options;
    this.actors = new LiveActors({ services, passivation, spawning: this.spawning, timers: this.timers, now, clock: clock ?? systemClock, batch: () => host.changes.batch, unrestorable: fileUnrestored });
    function fileUnrestored(service: ServiceDefinition, record: ActorRecord, reason: TroupeError): void {
      host.unrestored.add(service.name, record.key, reason);
      host.changes.snapshotDeadLetter(service.name, record.key, record.version ?? 1, reason);
    }
    this.changes = new HostChanges(now, this.actors.index);
    this.step = new ActorStep({ actors: this.actors, timers: this.timers, changes: () => host.changes, now });
    this.delivery = new ActorDelivery({ actors: this.actors, step: this.step, unrestored: this.unrestored, emitted: this.emitted, changes: () => host.changes });
    for (const service of options.services) {
      for (const type of service.on) {
        const list = this.byType.get(type) ?? [];
        list.push(service);
        this.byType.set(type, list);
      }
    }
  }

  /** The names of the hosted services. */
  get serviceNames(): string[] {
    return this.services.map((s) => s.name);
  }

  /** Brings back the actors whose timers are due soon (no other: the rest come back when needed) and starts passivating idle ones. */
  start(): Promise<void> {
    return this.actors.start();
  }

  /**
   * Brings back actors from their persisted records (migrated to their machine's version)
   * and re-arms their pending timers. A record that cannot be restored files a dead
   * letter and keeps its actor out (see `snapshot-migration.ts`).
   * @returns how many records could not be restored.
   */
  restore(records: readonly ActorRecord[]): number {
    let unrestored = 0;
    for (const record of records) if (this.actors.restore(record) instanceof Error) unrestored++;
    return unrestored;
  }

  /**
   * Puts the actors a rebuild made (`actor-rebuild.ts`) in place of every actor this node
   * has: those in memory are stopped and dropped, and each rebuilt one is brought back
   * from its record (re-arming its timers) and persisted with the next batch, over its
   * record on disk; one whose old record could not be restored takes events again.
   */
  replaceAll(records: readonly ActorRecord[]): void {
    this.actors.replaceAll(records, (hosted) => {
      this.unrestored.restored(hosted.service.name, hosted.key);
      this.changes.touch(hosted);
    });
  }

  /** Actors per service and state (with a store: every actor, in memory or not; else those in memory). */
  counts(): ActorCounts {
    return this.actors.counts();
  }

  /**
   * Replays the dead letter of an actor whose record could not be restored: succeeds
   * (emitting nothing) once this node has restored it, else fails again.
   */
  replaySnapshot(serviceName: string, key: string): readonly Emission[] | Error {
    const refusal = this.unrestored.refusal(serviceName, key);
    if (refusal !== undefined) return refusal;
    this.actors.find(serviceName, key); // reads the record back: a failure is filed as unrestored
    return this.unrestored.refusal(serviceName, key) ?? NO_EMISSIONS;
  }

  /**
   * Delivers `envelope` to every subscribed service. `pos` is its place in the log (for
   * dead letters). Returns what the actors emitted, in order.
   */
  deliver(envelope: Envelope, pos: number): readonly Emission[] {
    const services = this.byType.get(envelope.type);
    if (services === undefined) return NO_EMISSIONS;
    const moved: Transition[] = [];
    let out: readonly Emission[];
    if (services.length === 1) {
      const result = this.delivery.send(services[0], envelope, moved);
      if (result instanceof Error) this.changes.deadLetterOf(services[0], envelope, pos, result);
      out = result instanceof Error ? NO_EMISSIONS : result;
    } else {
      const all: Emission[] = [];
      for (const service of services) {
        const result = this.delivery.send(service, envelope, moved);
        if (result instanceof Error) this.changes.deadLetterOf(service, envelope, pos, result);
        else all.push(...result);
      }
      out = all;
    }
    this.transitions.record(pos, moved);
    return out;
  }

  /** What the event at log position `pos` made this node's actors do (empty when nothing, or forgotten). */
  transitionsAt(pos: number): readonly Transition[] {
    return this.transitions.at(pos);
  }

  /**
   * Replays a dead letter's event to its one service. Returns what the actor emitted, or
   * the error if it failed again (the dead letter then stays).
   */
  replay(serviceName: string, envelope: Envelope): readonly Emission[] | Error {
    const service = this.services.find((s) => s.name === serviceName);
    if (service === undefined) return new TroupeError('TROUPE_NOT_FOUND', `service ${serviceName} is not hosted here`);
    return this.delivery.send(service, envelope, null);
  }

  /**
   * Replays a failed timer's dead letter: sends its delayed `event` again to the actor of
   * `serviceName` for `key`. Returns what the actor emitted (with its last event as cause),
   * or the error if it failed again (the dead letter then stays).
   */
  replayTimer(serviceName: string, key: string, event: unknown): readonly Emission[] | Error {
    return this.delivery.resendTimerEvent(serviceName, key, event);
  }

  /** Fires now, as if due, the earliest timer of an actor whose last event is `causeId` (`actor-rebuild.ts`); whether one fired. */
  fireTimerCausedBy(causeId: string): boolean {
    for (const hosted of this.actors.values()) {
      if (hosted.cause?.id === causeId && this.timers.fireNow(hosted)) return true;
    }
    return false;
  }

  /** What the last batch changed: actor records to persist, new dead letters, events ignored. Resets them. */
  takeChanges(): HostChangeSet {
    return this.changes.take();
  }

  /** The current state of every actor in memory (passivated ones are paged from disk: `actor-pages.ts`). */
  views(): ActorView[] {
    return actorViews(this.actors.values());
  }

  /** One actor's current state (`key` is `''` for a singleton), in memory or from its record, without bringing it back. */
  view(service: string, key: string): ActorView | undefined {
    return this.actors.view(service, key);
  }

  /** Every actor in memory as the inspector shows it: state, context, pending timers, what it accepts. */
  details(): ActorDetail[] {
    return [...this.actors.values()].map(detailOf);
  }

  /** One in-memory actor's detail (`key` is `''` for a singleton, as records hold it), or `undefined` if not in memory. */
  detail(service: string, key: string): ActorDetail | undefined {
    const hosted = this.actors.peek(service, key);
    return hosted === undefined ? undefined : detailOf(hosted);
  }

  /** Service → the event types its actors here have emitted since this node started. */
  emitsSeen(): Record<string, string[]> {
    return this.emitted.all();
  }

  /**
   * Starts or stops observing every actor's XState inspection events for the host's
   * inspector (the Stately stream calls it as its first viewer comes and its last goes).
   * Starting tells the inspector of every current actor first.
   */
  inspectActors(on: boolean): void {
    if (on === this.inspecting) return;
    this.inspecting = on;
    this.actors.inspect(on);
  }

  /** Stops every actor and its timers; nothing fires after this. */
  stop(): void {
    this.timers.stop();
    this.actors.stop();
  }
}
