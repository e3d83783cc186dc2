/**
 * One actor the host runs: a service's actor for one entity key (`''` for a singleton),
 * with the event it last handled and its pending timers, and the record it is persisted
 * as. Ids and records are built here so that the host, its timers and its batch changes
 * agree on them.
 */
import { createActor, type Actor, type AnyStateMachine } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { inspectionObserver, type ActorInspector } from './actor-inspection.js';
import type { ActorTimers, TimerSlot } from './actor-timers.js';
import type { EmittedEvent, ServiceDefinition, ServiceEvent, ServiceInput } from './service.js';
import type { ActorRecord, PendingTimer } from './store.js';

/** Which event caused something: its id and its workflow's. */
export type Cause = { readonly id: string; readonly correlationId: string };

/** An actor the host runs. */
export interface HostedActor {
  readonly service: ServiceDefinition;
  readonly key: string;
  readonly actor: Actor<AnyStateMachine>;
  /** The event it last handled, or just that event's ids when restored from a record. */
  cause: Cause | null;
  timers: PendingTimer[];
}

/** What {@link spawnActor} takes from the host. */
export interface SpawnOptions {
  readonly timers: ActorTimers<HostedActor>;
  readonly inspect: ActorInspector | undefined;
  /** The event being sent to an actor right now, for the inspector. */
  readonly delivering: () => Envelope | null;
  /** Given each event the actor emits. */
  readonly emitted: (emitted: EmittedEvent) => void;
}

/**
 * Starts the actor of `service` for `key`, from `snapshot` if it has one. Its timers run
 * on the host's clock, and an error observer keeps XState from rethrowing its failure on
 * a later tick (which would take the node down): the host handles failures itself.
 */
export function spawnActor(service: ServiceDefinition, key: string, snapshot: unknown, options: SpawnOptions): HostedActor {
  const input: ServiceInput = { key: service.key === undefined ? undefined : key };
  const slot: TimerSlot<HostedActor> = {};
  const inspect = options.inspect;
  const actor = createActor(service.machine, {
    input,
    snapshot: snapshot as never,
    clock: options.timers.clockFor(slot),
    inspect: inspect === undefined ? undefined : inspectionObserver(inspect, { service: service.name, key: input.key ?? null }, options.delivering),
  });
  const hosted: HostedActor = { service, key, actor, cause: null, timers: [] };
  slot.owner = hosted;
  actor.on('*', options.emitted as (emitted: unknown) => void);
  actor.subscribe({ error: ignoreActorError });
  actor.start();
  return hosted;
}

function ignoreActorError(): void {}

/** The ids of the event an actor last handled, as emissions carry and records persist them. */
export function causeOf(cause: Cause | null): Cause | null {
  return cause === null ? null : { id: cause.id, correlationId: cause.correlationId };
}

/** The record that persists `hosted` as it is now. */
export function actorRecord(hosted: HostedActor): ActorRecord {
  return {
    service: hosted.service.name,
    key: hosted.key,
    snapshot: hosted.actor.getPersistedSnapshot(),
    timers: hosted.timers,
    cause: causeOf(hosted.cause),
  };
}

/** The host's map key of the actor of `service` for entity `key`. */
export function actorId(service: string, key: string): string {
  return `${service}\u0000${key}`;
}

/** The key as the outside sees it: `null` for a singleton's actor. */
export function shownKey(hosted: HostedActor): string | null {
  return hosted.service.key === undefined ? null : hosted.key;
}

/**
 * The entity key of the actor of `service` that `event` goes to; `''` for a singleton.
 * @throws TroupeError `TROUPE_SERVICE_NO_KEY` when the service finds no key in the event.
 */
export function entityKey(service: ServiceDefinition, event: ServiceEvent): string {
  if (service.key === undefined) return '';
  const key = service.key(event);
  if (typeof key !== 'string' || key === '') {
    throw new TroupeError('TROUPE_SERVICE_NO_KEY', `${service.name} found no entity key in ${event.type}`);
  }
  return key;
}
