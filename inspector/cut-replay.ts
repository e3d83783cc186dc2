/**
 * Every actor's state as of a consistent cut. Each node's feed lists the events it
 * delivered, in its delivery order, with the transitions each made its actors take.
 * Replaying, per node, the transitions of the events inside the cut gives each actor's
 * state at the cut: the target of its last transition inside, or, when none is inside,
 * the source of its first transition outside (it was there before), or else its current
 * state (nothing the feed shows has moved it).
 */
import type { ActorDetail, Clock, FeedEvent } from './feed.js';
import { inCut } from './space-time-layout.js';

/** One actor's state at a cut. */
export interface ActorAtCut {
  readonly node: string;
  readonly service: string;
  readonly key: string | null;
  readonly state: unknown;
  /** How the state was found: replayed inside the cut, from before a later transition, or the current state. */
  readonly source: 'replayed' | 'before' | 'current';
  /** The last event inside the cut that moved it (`origin:seq`). */
  readonly by?: string;
}

/** The key of an actor on a node. */
export function actorKey(node: string, service: string, key: string | null): string {
  return `${node}/${service}/${key ?? ''}`;
}

/**
 * The state of every actor that `actors` lists or the feeds' transitions touch, as of the
 * cut with `frontier`. `feeds` maps node id → its events in delivery order.
 */
export function statesAtCut(
  feeds: ReadonlyMap<string, readonly FeedEvent[]>,
  actors: ReadonlyMap<string, readonly ActorDetail[]>,
  frontier: Clock,
): ActorAtCut[] {
  const found = new Map<string, ActorAtCut>();
  for (const [node, events] of feeds) {
    for (const event of events) {
      const inside = inCut(event, frontier);
      for (const t of event.transitions) {
        const k = actorKey(node, t.service, t.key);
        const known = found.get(k);
        if (inside) found.set(k, { node, service: t.service, key: t.key, state: t.to, source: 'replayed', by: `${event.origin}:${event.seq}` });
        else if (known === undefined) found.set(k, { node, service: t.service, key: t.key, state: t.from, source: 'before' });
      }
    }
  }
  for (const [node, list] of actors) {
    for (const a of list) {
      const k = actorKey(node, a.service, a.key);
      if (!found.has(k)) found.set(k, { node, service: a.service, key: a.key, state: a.state, source: 'current' });
    }
  }
  return [...found.values()].sort((a, b) => compareText(actorKey(a.node, a.service, a.key), actorKey(b.node, b.service, b.key)));
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
