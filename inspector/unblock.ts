/**
 * What would unblock an actor: the event types its current state accepts and, from the
 * choreography map, which services emit them and on which nodes those run. A type that
 * no service emits can only come from outside (the admin API's `POST /events`).
 */
import type { ActorDetail, AppInfo } from './feed.js';

/** One event type that would move the actor, and who could send it. */
export interface Unblocker {
  readonly type: string;
  readonly emitters: readonly { readonly service: string; readonly nodes: readonly string[] }[];
}

/** Statuses in which an actor takes no more events. */
const FINISHED = new Set(['done', 'error', 'stopped']);

/**
 * The unblockers of `actor`, or none when it has finished. `emitters` maps an event type
 * to the services that emit it (the merged choreography map).
 * @example unblockers(actor, app, new Map([['PaymentCaptured', ['payment']]])) // [{ type: 'PaymentCaptured', emitters: [{ service: 'payment', nodes: ['n2'] }] }]
 */
export function unblockers(actor: ActorDetail, app: AppInfo, emitters: ReadonlyMap<string, readonly string[]>): Unblocker[] {
  if (FINISHED.has(actor.status)) return [];
  return actor.accepts.map((type) => ({
    type,
    emitters: (emitters.get(type) ?? []).map((service) => ({ service, nodes: app.services.find((s) => s.name === service)?.nodes ?? [] })),
  }));
}
