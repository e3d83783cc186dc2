/**
 * Log events and held-back events as the inspector's feed shows them (`FeedEvent`,
 * `HeldBackEvent` in inspector/feed.ts): each delivered event with what it made this
 * node's actors do, and each held-back one with the events it waits for.
 */
import type { FeedEvent, HeldBackEvent } from '../inspector/feed.js';
import type { ShownEvent } from '../protocol/shown-event.js';
import type { Fabric } from './fabric.js';
import { waitingFor } from './held-back.js';
import type { Host } from './host.js';

/** Held-back events a message lists at most (the oldest, which the rest wait behind). */
export const MAX_HELD_BACK = 1000;

/** The event at log position `pos`, with the transitions it made `host`'s actors take; one stored unshowable stays marked. */
export function feedEvent(host: Pick<Host, 'transitionsAt'>, e: ShownEvent, pos: number): FeedEvent {
  return {
    ...(e.unshowable !== undefined && { unshowable: e.unshowable }),
    pos,
    id: e.id,
    type: e.type,
    origin: e.origin,
    seq: e.seq,
    vc: e.vc,
    correlationId: e.correlationId,
    causationId: e.causationId,
    ts: e.ts,
    data: e.data,
    transitions: host.transitionsAt(pos),
  };
}

/** The oldest {@link MAX_HELD_BACK} events in `fabric`'s causal buffer, each with what it waits for. */
export function heldBackEvents(fabric: Fabric): HeldBackEvent[] {
  const clock = fabric.clock;
  return fabric
    .heldBack()
    .slice(0, MAX_HELD_BACK)
    .map((e) => ({ id: e.id, type: e.type, origin: e.origin, seq: e.seq, correlationId: e.correlationId, waitingFor: waitingFor(e, clock) }));
}
