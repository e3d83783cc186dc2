/**
 * The space-time diagram's layout (as ShiViz draws vector-clock logs): one lane per node,
 * each event a dot on its node's lane, and an arrow into it from each direct
 * predecessor on another lane.
 *
 * Rows follow happened-before: if a happened before b, a's clock is below b's everywhere
 * and above nowhere, so the sum of a's entries is smaller. Ranking events by that sum is
 * therefore a topological order, and events with equal sums are concurrent and may share
 * a row. The direct predecessors of an event of origin o are its own previous event and,
 * for every other node k whose entry grew since o's previous event, the event `k:vc[k]`.
 *
 * A consistent cut is downward closed: it holds every event above a line and the causal
 * past of each. That past is everything the pointwise maximum of their clocks counts.
 */
import { nodeOf } from './event-origin.js';
import type { Clock } from './feed.js';

/** What the layout needs of an event. Dots and arrows name events by their stamp, `origin:seq`. */
export interface CausalEvent {
  readonly origin: string;
  readonly seq: number;
  readonly vc: Clock;
}

/** A dot: the event (`origin:seq`), its lane and its row. */
export interface Dot {
  readonly id: string;
  readonly lane: number;
  readonly row: number;
}

/** An arrow between two dots on different lanes (from happened before to). */
export interface Arrow {
  readonly from: string;
  readonly to: string;
}

/** The laid-out diagram. */
export interface SpaceTimeLayout {
  readonly lanes: readonly string[];
  readonly rows: number;
  readonly dots: readonly Dot[];
  readonly arrows: readonly Arrow[];
}

function entry(vc: Clock, node: string): number {
  const n = vc[node];
  return typeof n === 'number' ? n : 0;
}

function clockSum(vc: Clock): number {
  let sum = 0;
  for (const node of Object.keys(vc)) sum += entry(vc, node);
  return sum;
}

/**
 * The ids of an event's direct predecessors on other lanes: for each node k other than
 * the origin whose entry grew since `previous` (the origin's previous event's clock, or
 * none), the event `k:vc[k]`.
 * @example crossPredecessors({ origin: 'n2', seq: 2, vc: { n1: 3, n2: 2 } }, { n1: 1, n2: 1 }) // ['n1:3']
 */
export function crossPredecessors(event: CausalEvent, previous: Clock | undefined): string[] {
  const ids: string[] = [];
  for (const node of Object.keys(event.vc).sort()) {
    if (node === event.origin) continue;
    const n = entry(event.vc, node);
    if (n > (previous === undefined ? 0 : entry(previous, node))) ids.push(`${node}:${n}`);
  }
  return ids;
}

/**
 * Lays out `events` on `lanes`, one per node (`nodeOf` each event's origin; a node not
 * among them gets a lane at the end). Arrows
 * whose source is not among `events` are left out; an origin's previous event is the
 * nearest earlier one among `events`, or, failing that, a clock of zeros.
 */
export function layoutSpaceTime(events: readonly CausalEvent[], lanes: readonly string[]): SpaceTimeLayout {
  const laneOrder = [...lanes];
  for (const e of events) if (!laneOrder.includes(nodeOf(e.origin))) laneOrder.push(nodeOf(e.origin));
  const sums = [...new Set(events.map((e) => clockSum(e.vc)))].sort((a, b) => a - b);
  const rowOf = new Map(sums.map((sum, row) => [sum, row]));
  const byId = new Map(events.map((e) => [`${e.origin}:${e.seq}`, e]));
  const dots: Dot[] = events.map((e) => ({ id: `${e.origin}:${e.seq}`, lane: laneOrder.indexOf(nodeOf(e.origin)), row: rowOf.get(clockSum(e.vc)) ?? 0 }));
  const previousOf = previousByOrigin(events);
  const arrows: Arrow[] = [];
  for (const e of events) {
    const to = `${e.origin}:${e.seq}`;
    for (const from of crossPredecessors(e, previousOf.get(to))) if (byId.has(from)) arrows.push({ from, to });
  }
  return { lanes: laneOrder, rows: sums.length, dots, arrows };
}

/** For each event (`origin:seq`), the clock of the nearest earlier event of its origin among `events`. */
function previousByOrigin(events: readonly CausalEvent[]): Map<string, Clock> {
  const sorted = [...events].sort((a, b) => (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : a.seq - b.seq));
  const previous = new Map<string, Clock>();
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1];
    const e = sorted[i];
    if (before.origin === e.origin) previous.set(`${e.origin}:${e.seq}`, before.vc);
  }
  return previous;
}

/**
 * The frontier of the consistent cut that holds `above` and their causal past: the
 * pointwise maximum of their clocks.
 * @example cutFrontier([{ origin: 'n1', seq: 2, vc: { n1: 2 } }, { origin: 'n2', seq: 1, vc: { n1: 1, n2: 1 } }]) // { n1: 2, n2: 1 }
 */
export function cutFrontier(above: readonly CausalEvent[]): Clock {
  const frontier: Record<string, number> = {};
  for (const e of above) {
    for (const node of Object.keys(e.vc)) frontier[node] = Math.max(frontier[node] ?? 0, entry(e.vc, node));
  }
  return frontier;
}

/** Whether the cut with `frontier` holds the event. */
export function inCut(event: { readonly origin: string; readonly seq: number }, frontier: Clock): boolean {
  return event.seq <= entry(frontier, event.origin);
}

/** The events of `layout` whose row is above `row` (not inclusive). */
export function idsAboveRow(layout: SpaceTimeLayout, row: number): Set<string> {
  return new Set(layout.dots.filter((d) => d.row < row).map((d) => d.id));
}
