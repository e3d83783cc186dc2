/**
 * The host's hook for XState inspection (`runtime/inspection-stream.ts` turns it into
 * Stately Inspector frames). XState tells each actor's inspection events without saying
 * which troupe actor or which delivered event they belong to; the observer given to each
 * actor adds both.
 */
import type { AnyActorRef, InspectionEvent, Subscription } from 'xstate';
import type { Envelope } from '../protocol/envelope.js';

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

/**
 * The inspection observer of one actor (and its children), for `createActor`'s `inspect`:
 * tells `inspect` whose events they are and what `delivering()` says is being delivered.
 */
export function inspectionObserver(inspect: ActorInspector, inspected: InspectedActor, delivering: () => Envelope | null): (event: InspectionEvent) => void {
  return function inspectActor(event: InspectionEvent) {
    inspect(inspected, event, delivering());
  };
}

/**
 * Starts telling `observe` one actor's inspection events (its children's too: they share
 * its system). XState builds an inspection event for every transition once anyone
 * observes, which costs a quarter of a busy node's CPU, so the host observes only while
 * somebody watches. The actor's own `@xstate.actor`, told by XState only as it is created,
 * is told here, so that a late observer learns of it too.
 */
export function observeActor(actor: AnyActorRef, observe: (event: InspectionEvent) => void): Subscription {
  const subscription = actor.system.inspect(observe);
  observe({ type: '@xstate.actor', actorRef: actor, rootId: actor.sessionId } as InspectionEvent);
  return subscription;
}
