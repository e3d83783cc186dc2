/**
 * Sending one event to one actor: the event upcast to the newest version its service
 * knows, the entity key read from it, the actor found in memory or brought back from its
 * record, and the step run through `actor-step.ts`'s rollback. A fired `after` timer and a
 * replayed timer dead letter take the same path without the event's routing.
 *
 * What the actor emits leaves with its cause (the event that moved it, or for a timer
 * the actor's last event), so the fabric can stamp the emissions as that event's
 * consequences.
 */
import type { Transition } from '../inspector/feed.js';
import type { Envelope } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { ActorStep } from './actor-step.js';
import type { FiredTimer } from './actor-timers.js';
import type { EmitsSeen } from './emits-seen.js';
import type { HostChanges } from './host-changes.js';
import { causeOf, entityKey, shownKey, type Cause, type HostedActor } from './hosted-actor.js';
import type { LiveActors } from './live-actors.js';
import type { EmittedEvent, ServiceDefinition, ServiceEvent } from './service.js';
import type { UnrestoredActors } from './snapshot-migration.js';
import { upcast } from './upcasters.js';

/** What an actor emitted, with the event that made it do so. */
export interface Emission {
  readonly emitted: EmittedEvent;
  readonly cause: Cause | null;
}

/** What a delivery that emits nothing returns: shared, never mutated. */
export const NO_EMISSIONS: readonly Emission[] = Object.freeze([]);

/** What {@link ActorDelivery} works with: the host's actors and their bookkeeping. */
export interface ActorDeliveryOptions {
  readonly actors: LiveActors;
  readonly step: ActorStep;
  /** Actors whose records could not be restored: they refuse events. */
  readonly unrestored: UnrestoredActors;
  /** Which types each service emits, for the choreography map. */
  readonly emitted: EmitsSeen;
  readonly changes: () => HostChanges;
}

/** Sends events and timers to single actors. */
export class ActorDelivery {
  /** The event being sent to an actor right now, for the inspector; `null` between sends. */
  delivering: Envelope | null = null;
  private readonly options: ActorDeliveryOptions;

  constructor(options: ActorDeliveryOptions) {
    this.options = options;
  }

  /**
   * Sends `envelope` to the actor of `service` it belongs to, adding the move it made to
   * `moved` when given. Returns what the actor emitted, or why it could not take the event.
   */
  send(service: ServiceDefinition, envelope: Envelope, moved: Transition[] | null): readonly Emission[] | Error {
    const { actors, step, unrestored } = this.options;
    let event: ServiceEvent;
    let key: string;
    try {
      event = upcast(service, envelope);
      key = entityKey(service, event);
    } catch (err) {
      return err as Error;
    }
    const refusal = unrestored.refusal(service.name, key);
    if (refusal !== undefined) return refusal;
    const hosted = actors.get(service, key);
    if (hosted instanceof Error) return unrestored.refusal(service.name, key) ?? hosted;
    if (step.ended(hosted, envelope.type, envelope.id, envelope.correlationId)) return NO_EMISSIONS;
    this.delivering = envelope;
    const from = hosted.actor.getSnapshot().value;
    const emitted = step.run(hosted, () => hosted.actor.send(event));
    this.delivering = null;
    if (emitted instanceof Error) return emitted;
    moved?.push({ service: service.name, key: shownKey(hosted), from, to: hosted.actor.getSnapshot().value });
    // The envelope is kept as the cause; only its ids leave the host (see `causeOf`).
    hosted.cause = envelope;
    return emitted.length === 0 ? NO_EMISSIONS : this.emissions(hosted, emitted);
  }

  /** Runs a fired XState timer on the actor that set it; a failure becomes a timer dead letter. */
  fire(hosted: HostedActor, callback: (...args: unknown[]) => void, timer: FiredTimer): Emission[] {
    const { actors, step, changes } = this.options;
    if (actors.peek(hosted.service.name, hosted.key) !== hosted) return []; // rolled back or passivated since
    const emitted = step.run(hosted, callback, timer);
    if (emitted instanceof Error) {
      changes().timerDeadLetter(hosted.service.name, hosted.key, { id: timer.eventId ?? '', event: timer.event }, emitted);
      return [];
    }
    return this.emissions(hosted, emitted);
  }

  /**
   * Sends a failed timer's delayed `event` again to the actor of `serviceName` for `key`.
   * Returns what the actor emitted (with its last event as cause), or the error if it failed again.
   */
  resendTimerEvent(serviceName: string, key: string, event: unknown): readonly Emission[] | Error {
    const { actors, step } = this.options;
    const hosted = actors.find(serviceName, key);
    if (hosted === undefined) return new TroupeError('TROUPE_NOT_FOUND', `no actor of ${serviceName} for ${JSON.stringify(key)} is hosted here`);
    if (!isEvent(event)) return new TroupeError('TROUPE_NOT_FOUND', `the dead letter of ${serviceName} holds no timer event to send again`);
    if (step.ended(hosted, event.type, null, hosted.cause?.correlationId ?? null)) return NO_EMISSIONS;
    const emitted = step.run(hosted, () => hosted.actor.send(event));
    if (emitted instanceof Error) return emitted;
    return this.emissions(hosted, emitted);
  }

  /** Notes what `hosted` emitted for the choreography map and pairs each emission with its cause. */
  private emissions(hosted: HostedActor, emitted: readonly EmittedEvent[]): Emission[] {
    this.options.emitted.note(hosted.service.name, emitted);
    const cause = causeOf(hosted.cause);
    return emitted.map((e) => ({ emitted: e, cause }));
  }
}

function isEvent(value: unknown): value is { type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
