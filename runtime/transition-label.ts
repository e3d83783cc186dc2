/**
 * How a statechart transition is named for people: its event type, or `after 5s` for a
 * delayed one and `always` for an eventless one. XState names a delayed transition's event
 * `xstate.after.<delay>.<state id>`; the chart (statechart-layout.ts) and an actor's
 * pending timers (actor-views.ts) both show it by the same words, so the page can match a
 * timer to its arrow.
 */

const AFTER_PREFIX = 'xstate.after.';

/**
 * The words for a delay: `5s`, `250ms`, `1.5s`, `2m`, or a named delay as it is named.
 * @example delayWords(5000) // '5s'
 */
export function delayWords(delay: number | string): string {
  if (typeof delay === 'string') return delay;
  if (delay < 1000) return `${delay}ms`;
  if (delay < 60_000) return `${Number((delay / 1000).toFixed(3))}s`;
  return `${Number((delay / 60_000).toFixed(3))}m`;
}

/**
 * The label of a transition taken on `eventType`; `delay` is XState's resolved delay of a
 * delayed transition (a number of ms, or the name of a delay in `setup({ delays })`).
 * @example transitionLabel('xstate.after.5000.order.pending', 5000) // 'after 5s'
 */
export function transitionLabel(eventType: string, delay?: number | string): string {
  if (eventType === '') return 'always';
  if (eventType.startsWith(AFTER_PREFIX)) return `after ${delayWords(delay ?? delayOfAfterEvent(eventType))}`;
  if (eventType.startsWith('xstate.done.state.')) return 'done';
  if (eventType.startsWith('xstate.done.actor.')) return `done: ${eventType.slice('xstate.done.actor.'.length)}`;
  if (eventType.startsWith('xstate.error.actor.')) return `error: ${eventType.slice('xstate.error.actor.'.length)}`;
  return eventType;
}

/** The delay named in a delayed event's type: the segment after `xstate.after.`, a number when it reads as one. */
function delayOfAfterEvent(eventType: string): number | string {
  const rest = eventType.slice(AFTER_PREFIX.length);
  const end = rest.indexOf('.');
  const delay = end < 0 ? rest : rest.slice(0, end);
  return Number.isNaN(Number(delay)) ? delay : Number(delay);
}

/** Whether `eventType` is one of XState's own (`xstate.*`), never sent by a service. */
export function isInternalEvent(eventType: string): boolean {
  return eventType.startsWith('xstate.');
}
