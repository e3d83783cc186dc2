/**
 * One actor the host runs: a service's actor for one entity key (`''` for a singleton),
 * with the event it last handled and its pending timers, and the record it is persisted
 * as. Ids and records are built here so that the host, its timers and its batch changes
 * agree on them.
 */
import type { Actor, AnyStateMachine } from 'xstate';
import { TroupeError } from '../protocol/troupe-error.js';
import type { ServiceDefinition, ServiceEvent } from './service.js';
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
