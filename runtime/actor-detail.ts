/**
 * One actor as the inspector shows it: its state and context, its pending `after` timers
 * with when they fire, and what would move it — the event types its current state has
 * transitions for (XState's own descriptors of the active state nodes). XState's internal
 * events are left out of `accepts`; delayed transitions show as timers instead.
 */
import { __unsafe_getAllOwnEventDescriptors, type Actor, type AnyStateMachine } from 'xstate';
import type { ActorDetail } from '../inspector/feed.js';
import type { PendingTimer } from './store.js';
import { isInternalEvent, transitionLabel } from './transition-label.js';

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
