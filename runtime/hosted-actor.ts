/**
 * One actor the host runs: a service's actor for one entity key (`''` for a singleton),
 * with the event it last handled and its pending timers, and the record it is persisted
 * as. Ids and records are built here so that the host, its timers and its batch changes
 * agree on them.
 */
import { createActor, type Actor, type AnyStateMachine, type Subscription } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';
import { TroupeError } from '../protocol/troupe-error.js';
import { inspectionObserver, observeActor, type ActorInspector } from './actor-inspection.js';
import type { IndexedAs } from './actor-records.js';
import type { ActorTimers, TimerSlot } from './actor-timers.js';
import { machineVersion, type EmittedEvent, type ServiceDefinition, type ServiceEvent, type ServiceInput } from './service.js';
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
  /** Its inspection events' observer, while somebody watches (see `Host.inspectActors`). */
  inspection?: Subscription;
  /** What its record on disk shows in the actor index (`undefined`: it has no record yet). */
  indexed: IndexedAs | undefined;
  /** When it last moved or was loaded (clock ms), for passivation. */
  active: number;
  /** The batch that last persisted it (`HostChanges`), so that it is not passivated before that batch is on disk; -1 for none. */
  batch: number;
}

/** What {@link spawnActor} takes from the host. */
export interface SpawnOptions {
  readonly timers: ActorTimers<HostedActor>;
  readonly inspect: ActorInspector | undefined;
  /** Whether somebody watches the actors' inspection events right now. */
  readonly inspecting: () => boolean;
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
  const actor = createActor(service.machine, {
    input,
    snapshot: snapshot as never,
    clock: options.timers.clockFor(slot),
  });
  const hosted: HostedActor = { service, key, actor, cause: null, timers: [], indexed: undefined, active: 0, batch: -1 };
  slot.owner = hosted;
  if (options.inspecting()) inspectHosted(hosted, options);
  actor.on('*', options.emitted as (emitted: unknown) => void);
  actor.subscribe({ error: ignoreActorError });
  actor.start();
  return hosted;
}

function ignoreActorError(): void {}

/** Starts observing `hosted`'s inspection events for the host's inspector, if it has one and is not already. */
export function inspectHosted(hosted: HostedActor, options: Pick<SpawnOptions, 'inspect' | 'delivering'>): void {
  if (options.inspect === undefined || hosted.inspection !== undefined) return;
  const inspected = { service: hosted.service.name, key: hosted.service.key === undefined ? null : hosted.key };
  hosted.inspection = observeActor(hosted.actor, inspectionObserver(options.inspect, inspected, options.delivering));
}

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
    ...versionOf(hosted.service),
  };
}

/** The machine version a record carries: none for version 1, as records from before versions. */
function versionOf(service: ServiceDefinition): { version?: number } {
  const version = machineVersion(service);
  return version === 1 ? {} : { version };
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
