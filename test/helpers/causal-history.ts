/**
 * Random causal histories for property tests of what delivers events in causal order
 * (`runtime/causal-buffer.ts`, `runtime/intake.ts`): simulated nodes that publish and
 * deliver, so every clock is one a real node could stamp, and a check that a delivery
 * order is complete, duplicate-free and causal.
 */
import fc from 'fast-check';
import { canDeliver, compare } from '../../protocol/vector-clock.js';
import type { VectorClock } from '../../protocol/envelope.js';

/** An event as far as causal delivery cares. */
export interface Ev {
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
}

/** `origin:seq`. */
export const id = (e: Ev): string => `${e.origin}:${e.seq}`;

/** One step of a script: [which node, which deliverable event it picks, whether it publishes instead]. */
const step = fc.tuple(fc.nat(), fc.nat(), fc.boolean());

/**
 * Replays a script of steps on `nodes` simulated nodes: a step either publishes on a node
 * (stamping its current clock) or lets a node deliver one event it has not seen yet and
 * could deliver causally.
 */
function history(nodes: number, steps: readonly (readonly [number, number, boolean])[]): Ev[] {
  const names = Array.from({ length: nodes }, (_, i) => `n${i}`);
  const clocks: VectorClock[] = names.map(() => ({}));
  const events: Ev[] = [];
  for (const [who, pick, publish] of steps) {
    const i = who % nodes;
    const vc = clocks[i];
    if (publish || events.length === 0) {
      const seq = (vc[names[i]] ?? 0) + 1;
      vc[names[i]] = seq;
      events.push({ origin: names[i], seq, vc: { ...vc } });
    } else {
      const ready = events.filter((e) => canDeliver(vc, e));
      if (ready.length > 0) {
        const e = ready[pick % ready.length];
        vc[e.origin] = e.seq;
      }
    }
  }
  return events;
}

/** Whether `order` delivers each of `events` exactly once and never before something it depends on. */
export function deliversCausally(events: readonly Ev[], order: readonly Ev[]): boolean {
  const ids = order.map(id);
  if (new Set(ids).size !== ids.length || ids.length !== events.length) return false;
  const position = new Map(ids.map((x, i) => [x, i]));
  for (const a of events) {
    for (const b of events) {
      if (compare(a.vc, b.vc) === 'before' && position.get(id(a))! > position.get(id(b))!) return false;
    }
  }
  return true;
}

/**
 * A causal history of 2 to 5 nodes and an arrival order for it at one receiver: every
 * event at least once, some twice, shuffled.
 */
export const causalArrivals = fc
  .tuple(fc.integer({ min: 2, max: 5 }), fc.array(step, { minLength: 1, maxLength: 80 }))
  .chain(([nodes, steps]) => {
    const events = history(nodes, steps);
    return fc
      .subarray(events)
      .chain((copies) => fc.shuffledSubarray([...events, ...copies], { minLength: events.length + copies.length }))
      .map((arrivals) => ({ events, arrivals }));
  });

/** A causal history of 2 to 5 nodes, in publication order (which is causal: a sender's log). */
export const causalHistory = fc
  .tuple(fc.integer({ min: 2, max: 5 }), fc.array(step, { minLength: 1, maxLength: 80 }))
  .map(([nodes, steps]) => history(nodes, steps));
