/**
 * The host: the node's XState actors.
 *
 * The fabric hands the host each delivered event, in delivery order, one at a time and
 * synchronously. The host sends it to every local service subscribed to its type (one
 * actor per entity key, or a singleton), collects what the actors `emit(...)` during that
 * send, and gives those back to the fabric to stamp and deliver. Actors touched by a
 * batch are persisted in the same commit as the events that moved them.
 *
 * Failures become data: an actor that throws or ends in `status: 'error'` is rolled back
 * to its snapshot from before the event, its emissions are discarded, and the event
 * becomes a dead letter for that service.
 *
 * Timers: XState does not re-arm `after` delays when a persisted snapshot is restored, so
 * the host records each actor's scheduled events with its snapshot and re-arms them on
 * restart. Every actor gets a clock whose timers fire inside the fabric's commit loop, so
 * what a timer makes an actor emit is committed like any other transition.
 */
import { createActor, type Actor, type AnyStateMachine, type InspectionEvent } from 'xstate';
import type { ActorDetail, Transition } from '../inspector/feed.js';
import type { Envelope } from '../protocol/envelope.js';
import type { DeadLetter, ActorRecord, PendingTimer } from './store.js';
import type { EmittedEvent, ServiceDefinition, ServiceEvent, ServiceInput } from './service.js';
import { isTroupeError, TroupeError } from '../protocol/troupe-error.js';
import { actorDetail } from './actor-detail.js';
import { TransitionRing } from './transition-ring.js';

/** What an actor emitted, with the event that made it do so. */
export interface Emission {
  readonly emitted: EmittedEvent;
  readonly cause: { readonly id: string; readonly correlationId: string } | null;
}

/** A view of one actor, as `GET /actors` shows it. */
export interface ActorView {
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  readonly status: string;
  readonly context: unknown;
}

/** Runs `task` inside the fabric's commit loop, as part of the next batch; the fabric stamps what it emits. */
export type Schedule = (task: () => Emission[]) => void;

/** A timer handle given to XState through each actor's clock. */
interface HostTimer {
  handle: NodeJS.Timeout | undefined;
  /** The id of the scheduled event it fires (XState's `_scheduledEvents` entry). */
  readonly eventId: string | undefined;
}

/** Which event caused something: its id and its workflow's. */
type Cause = { readonly id: string; readonly correlationId: string };

interface HostedActor {
  readonly service: ServiceDefinition;
  readonly key: string;
  actor: Actor<AnyStateMachine>;
  /** The event it last handled, or just that event's ids when restored from a record. */
  cause: Cause | null;
  timers: PendingTimer[];
}

/** Which hosted actor an inspection event belongs to: its service and entity key (null for a singleton). */
export interface InspectedActor {
  readonly service: string;
  readonly key: string | null;
}

/**
 * Sees every actor's XState inspection events (`runtime/inspection-stream.ts`), with the
 * troupe event being delivered to the actor at that moment, if any.
 */
export type ActorInspector = (actor: InspectedActor, event: InspectionEvent, delivering: Envelope | null) => void;

/** Options of {@link Host}. */
export interface HostOptions {
  readonly services: readonly ServiceDefinition[];
  readonly schedule: Schedule;
  /** Wall-clock now; timers' due times are wall-clock so they survive restarts. */
  readonly now?: () => number;
  /** Given every actor's inspection events; without it XState skips inspection altogether. */
  readonly inspect?: ActorInspector;
}

/** The node's actors. */
export class Host {
  private readonly services: readonly ServiceDefinition[];
  private readonly byType = new Map<string, ServiceDefinition[]>();
  private readonly actors = new Map<string, HostedActor>();
  private readonly schedule: Schedule;
  private readonly now: () => number;
  private readonly inspect: ActorInspector | undefined;
  /** The event `handle` is sending to an actor right now, for the inspector. */
  private delivering: Envelope | null = null;
  /** Where the actor being driven right now emits to; set only around a send. */
  private sink: EmittedEvent[] | null = null;
  private touched = new Set<HostedActor>();
  private deadLetters: DeadLetter[] = [];
  private stopped = false;
  /** XState's scheduled-event entries already matched to a timer (see `claimScheduled`). */
  private readonly claimed = new WeakSet<object>();
  /**
   * Every timer set and not yet fired or cleared. XState loses the handle of a timer whose
   * id it schedules again while pending, so only the host can still clear it on stop.
   */
  private readonly armed = new Set<HostTimer>();
  /** What each recent delivered event made the actors do, by log position. */
  private readonly transitions = new TransitionRing();
  /** Where the delivery in progress records its transitions; set only around a delivery. */
  private moved: Transition[] | null = null;
  /** Service → event types its actors were seen to emit. */
  private readonly emitted = new Map<string, Set<string>>();

  constructor(options: HostOptions) {
    this.services = options.services;
    this.schedule = options.schedule;
    this.now = options.now ?? Date.now;
    this.inspect = options.inspect;
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

  /** Brings back actors from their persisted records and re-arms their pending timers. */
  restore(records: readonly ActorRecord[]): void {
    for (const record of records) {
      const service = this.services.find((s) => s.name === record.service);
      if (service === undefined) continue; // a service this node no longer hosts keeps its record on disk
      const hosted = this.spawn(service, record.key, record.snapshot);
      hosted.cause = record.cause;
      this.rearm(hosted, record.timers);
    }
  }

  /**
   * Delivers `envelope` to every subscribed service. `pos` is its place in the log (for
   * dead letters). Returns what the actors emitted, in order.
   */
  deliver(envelope: Envelope, pos: number): readonly Emission[] {
    const services = this.byType.get(envelope.type);
    if (services === undefined) return NO_EMISSIONS;
    const moved: Transition[] = [];
    this.moved = moved;
    let out: readonly Emission[];
    if (services.length === 1) {
      const result = this.handle(services[0], envelope);
      if (result instanceof Error) this.deadLetter(services[0], envelope, pos, result);
      out = result instanceof Error ? NO_EMISSIONS : result;
    } else {
      const all: Emission[] = [];
      for (const service of services) {
        const result = this.handle(service, envelope);
        if (result instanceof Error) this.deadLetter(service, envelope, pos, result);
        else all.push(...result);
      }
      out = all;
    }
    this.moved = null;
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
    return this.handle(service, envelope);
  }

  /** What the last batch changed: actor records to persist and new dead letters. Resets both. */
  takeChanges(): { actors: ActorRecord[]; deadLetters: DeadLetter[] } {
    const actors: ActorRecord[] = [];
    for (const hosted of this.touched) {
      actors.push({
        service: hosted.service.name,
        key: hosted.key,
        snapshot: hosted.actor.getPersistedSnapshot(),
        timers: hosted.timers,
        cause: causeOf(hosted.cause),
      });
    }
    const deadLetters = this.deadLetters;
    this.touched = new Set();
    this.deadLetters = [];
    return { actors, deadLetters };
  }

  /** Every actor's current state. */
  views(): ActorView[] {
    const out: ActorView[] = [];
    for (const hosted of this.actors.values()) {
      const snapshot = hosted.actor.getSnapshot();
      out.push({
        service: hosted.service.name,
        key: hosted.service.key === undefined ? null : hosted.key,
        state: snapshot.value,
        status: snapshot.status,
        context: snapshot.context,
      });
    }
    return out;
  }

  /** Every actor as the inspector shows it: state, context, pending timers, what it accepts. */
  details(): ActorDetail[] {
    return [...this.actors.values()].map((hosted) => this.detailOf(hosted));
  }

  /** One actor's detail (`key` is `''` for a singleton, as records hold it), or `undefined` if not hosted. */
  detail(service: string, key: string): ActorDetail | undefined {
    const hosted = this.actors.get(actorId(service, key));
    return hosted === undefined ? undefined : this.detailOf(hosted);
  }

  /** Service → the event types its actors here have emitted since this node started. */
  emitsSeen(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [service, types] of this.emitted) out[service] = [...types].sort();
    return out;
  }

  /** Stops every actor and its timers; nothing fires after this. */
  stop(): void {
    this.stopped = true;
    for (const hosted of this.actors.values()) hosted.actor.stop();
    for (const timer of this.armed) clearTimeout(timer.handle);
    this.armed.clear();
  }

  /** Sends one event to the actor of `service` it belongs to. */
  private handle(service: ServiceDefinition, envelope: Envelope): readonly Emission[] | Error {
    const event: ServiceEvent = { type: envelope.type, data: envelope.data, ts: envelope.ts };
    let key: string;
    try {
      key = this.keyOf(service, event);
    } catch (err) {
      return err as Error;
    }
    const hosted = this.actors.get(actorId(service.name, key)) ?? this.spawn(service, key, undefined);
    this.delivering = envelope;
    const from = hosted.actor.getSnapshot().value;
    const emitted = this.drive(hosted, () => hosted.actor.send(event));
    this.delivering = null;
    if (emitted instanceof Error) return emitted;
    this.moved?.push({ service: service.name, key: service.key === undefined ? null : key, from, to: hosted.actor.getSnapshot().value });
    this.noteEmitted(service, emitted);
    // The envelope is kept as the cause; only its ids leave the host (see `causeOf`).
    hosted.cause = envelope;
    if (emitted.length === 0) return NO_EMISSIONS;
    const cause = causeOf(envelope);
    return emitted.map((e) => ({ emitted: e, cause }));
  }

  private keyOf(service: ServiceDefinition, event: ServiceEvent): string {
    if (service.key === undefined) return '';
    const key = service.key(event);
    if (typeof key !== 'string' || key === '') {
      throw new TroupeError('TROUPE_SERVICE_NO_KEY', `${service.name} found no entity key in ${event.type}`);
    }
    return key;
  }

  /**
   * Runs `step` on one actor, collecting its emissions. On failure the actor is rolled
   * back to its snapshot from before the step and the error is returned. `firedTimer` is
   * the timer whose callback `step` is, if it is one.
   */
  private drive(hosted: HostedActor, step: () => void, firedTimer?: HostTimer): EmittedEvent[] | Error {
    const before = hosted.actor.getSnapshot();
    const emitted: EmittedEvent[] = [];
    this.sink = emitted;
    let failure: unknown;
    try {
      step();
    } catch (err) {
      failure = err;
    } finally {
      this.sink = null;
    }
    const after = hosted.actor.getSnapshot();
    if (failure === undefined && after.status === 'error') failure = after.error;
    if (failure !== undefined) {
      hosted.actor.stop();
      const restored = this.spawn(hosted.service, hosted.key, hosted.service.machine.getPersistedSnapshot(before));
      restored.cause = hosted.cause;
      // A timer that failed must not be re-armed, or it fires and fails forever. (Its due
      // time cannot tell it: a timer may fire a millisecond before the wall clock says.)
      this.rearm(restored, firedTimer === undefined ? hosted.timers : hosted.timers.filter((t) => t.id !== firedTimer.eventId));
      // If an earlier step of this batch touched the actor, what is persisted is the
      // rolled-back actor, never the stopped one.
      if (firedTimer !== undefined || this.touched.delete(hosted)) this.touched.add(restored);
      return failure instanceof Error ? failure : new Error(String(failure));
    }
    hosted.timers = pendingTimers(hosted.actor);
    this.touched.add(hosted);
    return emitted;
  }

  private spawn(service: ServiceDefinition, key: string, snapshot: unknown): HostedActor {
    const input: ServiceInput = { key: service.key === undefined ? undefined : key };
    const slot: { hosted?: HostedActor } = {};
    const actor = createActor(service.machine, {
      input,
      snapshot: snapshot as never,
      clock: this.clockFor(slot),
      inspect: this.inspect === undefined ? undefined : this.inspectorFor(service, key),
    });
    const hosted: HostedActor = { service, key, actor, cause: null, timers: [] };
    slot.hosted = hosted;
    actor.on('*', (emitted) => this.sink?.push(emitted as EmittedEvent));
    // Without an error observer XState rethrows an actor's error on a later tick, which
    // would take the node down; the failure is handled in `drive` instead.
    actor.subscribe({ error: ignoreActorError });
    actor.start();
    this.actors.set(actorId(service.name, key), hosted);
    return hosted;
  }

  /** The inspection observer of one actor (and its children): tells the inspector whose events they are. */
  private inspectorFor(service: ServiceDefinition, key: string): (event: InspectionEvent) => void {
    const host = this;
    const inspected: InspectedActor = { service: service.name, key: service.key === undefined ? null : key };
    return function inspectActor(event: InspectionEvent) {
      host.inspect?.(inspected, event, host.delivering);
    };
  }

  /** Schedules persisted timers again on a freshly restored actor. */
  private rearm(hosted: HostedActor, timers: readonly PendingTimer[]): void {
    const now = this.now();
    // XState internals, verified on 5.33.3 (package.json pins ~5.33): `system.scheduler` is
    // typed on ActorSystem but undocumented, and a restored actor's delays are lost because
    // `getPersistedSnapshot()` leaves out scheduled events (`createSystem` only re-arms
    // `options.snapshot.scheduler`, which no persisted snapshot carries, and with the full
    // delay). This goes once XState persists scheduled events with the snapshot and re-arms
    // them on restore with their remaining time (or offers a public way to schedule them).
    for (const timer of timers) {
      hosted.actor.system.scheduler.schedule(hosted.actor, hosted.actor, timer.event as never, Math.max(0, timer.due - now), timer.id);
    }
    hosted.timers = pendingTimers(hosted.actor);
  }

  /**
   * The id of the delayed event a timer being set belongs to. XState records the event
   * it schedules just before it asks the clock for the timer, so it is the newest entry
   * not yet claimed — not simply the newest: an id scheduled again while still pending
   * is reassigned in place and keeps its old position.
   */
  private claimScheduled(hosted: HostedActor): string | undefined {
    // XState internal, verified on 5.33.3: `system.getSnapshot()._scheduledEvents` (insertion
    // ordered, an entry added by `scheduler.schedule` right before it calls `clock.setTimeout`).
    // This goes once the clock's `setTimeout` is told which scheduled event it is for, or a
    // public API lists scheduled events.
    const entries = Object.values(hosted.actor.system.getSnapshot()._scheduledEvents);
    for (let i = entries.length - 1; i >= 0; i--) {
      if (this.claimed.has(entries[i])) continue;
      this.claimed.add(entries[i]);
      return entries[i].id;
    }
    return undefined;
  }

  /**
   * A clock for XState whose timers run their callback inside the fabric's commit loop
   * and through `drive`, so a delayed transition is committed and can fail like any other.
   */
  private clockFor(slot: { hosted?: HostedActor }) {
    const host = this;
    return {
      setTimeout(fn: (...args: unknown[]) => void, ms: number): HostTimer {
        const timer: HostTimer = { handle: undefined, eventId: slot.hosted === undefined ? undefined : host.claimScheduled(slot.hosted) };
        timer.handle = setTimeout(function hostTimerFired() {
          timer.handle = undefined;
          host.armed.delete(timer);
          const hosted = slot.hosted;
          if (!host.stopped && hosted !== undefined) host.schedule(() => host.fire(hosted, fn, timer));
        }, ms);
        host.armed.add(timer);
        return timer;
      },
      clearTimeout(timer: HostTimer): void {
        if (timer.handle !== undefined) clearTimeout(timer.handle);
        timer.handle = undefined;
        host.armed.delete(timer);
      },
    };
  }

  /** Runs a fired XState timer on the actor that set it. */
  private fire(hosted: HostedActor, fn: (...args: unknown[]) => void, timer: HostTimer): Emission[] {
    if (this.actors.get(actorId(hosted.service.name, hosted.key)) !== hosted) return []; // rolled back since
    const emitted = this.drive(hosted, fn, timer);
    if (emitted instanceof Error) {
      this.fileDeadLetter(hosted.service, hosted.key, `timer:${hosted.cause?.id ?? 'none'}`, 0, emitted);
      return [];
    }
    this.noteEmitted(hosted.service, emitted);
    const cause = causeOf(hosted.cause);
    return emitted.map((e) => ({ emitted: e, cause }));
  }

  private noteEmitted(service: ServiceDefinition, emitted: readonly EmittedEvent[]): void {
    if (emitted.length === 0) return;
    let types = this.emitted.get(service.name);
    if (types === undefined) {
      types = new Set();
      this.emitted.set(service.name, types);
    }
    for (const e of emitted) if (typeof e.type === 'string' && types.size < MAX_EMITTED_TYPES) types.add(e.type);
  }

  private detailOf(hosted: HostedActor): ActorDetail {
    return actorDetail(hosted.service.name, hosted.service.key === undefined ? null : hosted.key, hosted.actor, hosted.timers);
  }

  private deadLetter(service: ServiceDefinition, envelope: Envelope, pos: number, err: Error): void {
    let key = '';
    try {
      key = this.keyOf(service, { type: envelope.type, data: envelope.data, ts: envelope.ts });
    } catch {
      // the missing key is the failure itself; the letter is filed without one
    }
    this.fileDeadLetter(service, key, envelope.id, pos, err);
  }

  private fileDeadLetter(service: ServiceDefinition, key: string, eventId: string, pos: number, err: Error): void {
    this.deadLetters.push({
      service: service.name,
      key,
      eventId,
      pos,
      error: {
        code: isTroupeError(err) ? err.code : 'TROUPE_SERVICE_FAILED',
        message: err.message,
      },
      at: this.now(),
    });
  }
}

/** The ids of the event an actor last handled, as emissions carry and records persist them. */
function causeOf(cause: Cause | null): Cause | null {
  return cause === null ? null : { id: cause.id, correlationId: cause.correlationId };
}

/** Distinct emitted types remembered per service: a machine minting types from data must not grow memory. */
const MAX_EMITTED_TYPES = 256;

/** What a delivery that emits nothing returns: shared, never mutated. */
const NO_EMISSIONS: readonly Emission[] = Object.freeze([]);

function actorId(service: string, key: string): string {
  return `${service}\u0000${key}`;
}

function ignoreActorError(): void {}

/** The delayed events an actor has scheduled on itself, with wall-clock due times. */
function pendingTimers(actor: Actor<AnyStateMachine>): PendingTimer[] {
  // XState internal, verified on 5.33.3: `_scheduledEvents` entries carry `startedAt` from
  // `Date.now()` (not the system clock) and `delay`. This goes once a persisted snapshot
  // carries its scheduled events (a public API for them), so the host need not record them.
  const scheduled = actor.system.getSnapshot()._scheduledEvents;
  const out: PendingTimer[] = [];
  for (const id in scheduled) {
    const s = scheduled[id];
    if (s.source !== actor) continue;
    out.push({ id: s.id, event: s.event, due: s.startedAt + s.delay });
  }
  return out;
}
