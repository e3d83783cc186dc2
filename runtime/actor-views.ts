/**
 * The node's actors as others see them: a plain view per actor for `GET /actors`, and a
 * detail per actor for the inspector — its state and context, its pending `after` timers
 * with when they fire, and what would move it (the event types its current state has
 * transitions for, from XState's own descriptors of the active state nodes). XState's
 * internal events are left out of `accepts`; delayed transitions show as timers instead.
 */
import { __unsafe_getAllOwnEventDescriptors, type Actor, type AnyStateMachine } from 'xstate';
import type { ActorDetail } from '../inspector/feed.js';
import { shownKey, type HostedActor } from './hosted-actor.js';
import type { ActorRecord, PendingTimer } from './store.js';
import { isInternalEvent, transitionLabel } from './transition-label.js';

/** A view of one actor, as `GET /actors` shows it. */
export interface ActorView {
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  readonly status: string;
  readonly context: unknown;
}

/** Every actor's current state. */
export function actorViews(actors: Iterable<HostedActor>): ActorView[] {
  const out: ActorView[] = [];
  for (const hosted of actors) {
    const snapshot = hosted.actor.getSnapshot();
    out.push({ service: hosted.service.name, key: shownKey(hosted), state: snapshot.value, status: snapshot.status, context: snapshot.context });
  }
  return out;
}

/** The view of an actor from its record on disk, without bringing it into memory; `singleton` shows its key as `null`. */
export function recordView(record: ActorRecord, singleton: boolean): ActorView {
  const snapshot = (record.snapshot ?? {}) as { value?: unknown; status?: unknown; context?: unknown };
  return {
    service: record.service,
    key: singleton ? null : record.key,
    state: snapshot.value,
    status: typeof snapshot.status === 'string' ? snapshot.status : 'active',
    context: snapshot.context,
  };
}

/** The detail of a hosted actor: state, context, pending timers, what it accepts. */
export function detailOf(hosted: HostedActor): ActorDetail {
  return actorDetail(hosted.service.name, shownKey(hosted), hosted.actor, hosted.timers);
}

/** The detail of `actor`; `key` is `null` for a singleton, `timers` what the host tracks for it. */
export function actorDetail(service: string, key: string | null, actor: Actor<AnyStateMachine>, timers: readonly PendingTimer[]): ActorDetail {
  const snapshot = actor.getSnapshot();
  const accepts = snapshot.status === 'active' ? __unsafe_getAllOwnEventDescriptors(snapshot).filter((type) => !isInternalEvent(type)) : [];
  return {
    service,
    key,
    state: snapshot.value,
    status: snapshot.status,
    context: snapshot.context,
    timers: timers.map((timer) => ({ event: timerLabel(timer.event), due: timer.due })),
    accepts: accepts.sort(),
  };
}

/** A delayed event as words: `after 5s` for an `after` transition, else the event's type. */
function timerLabel(event: unknown): string {
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? transitionLabel(type) : 'unknown';
}
