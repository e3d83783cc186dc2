/**
 * Clocks on a floor: in-memory clocks that hold no entry for a retired origin at its final
 * seq (issue 17), while every read of them still sees the whole clock.
 *
 * A *floor* is an object that holds, per retired origin, the final seq a node reads it
 * at (the largest final seq of the retirements of it the node delivered, see
 * `clock-folding.ts`), as ordinary enumerable properties. A clock *on* a floor is an
 * object whose prototype is that floor and whose own properties are only the entries that
 * differ from it. JavaScript's own property lookup is then the reader:
 *
 * - `vc[k]` finds the own entry, else the floor's final seq for a retired `k`, else
 *   nothing (0), so every existing reader (`canDeliver`, `isDuplicate`, `x[k] ?? 0`) reads
 *   the whole clock without a change;
 * - `for…in` visits own entries and then the floor's, each key once (an own entry shadows
 *   the floor's), so `dominates`, `merge`, `missingCount`, `sum` see the whole clock;
 * - `Object.keys`, `JSON.stringify` and a spread (`{ ...vc }`) see only the own entries:
 *   the live ones. That is what `/status` shows, and why a copy that must stay whole is
 *   made with {@link copyClock} (same floor) or {@link wholeClock} (a plain object).
 *
 * A floor is never changed once made: a node that learns another retirement makes a new
 * one. A clock stays exact on the floor it was put on, whatever retirements are learned
 * after; {@link moveToFloor} moves it to a newer one, writing out first the entries the
 * new floor reads differently. Writing `vc[k] = n` is always exact (it shadows the
 * floor); {@link tidyClock} drops own entries that equal the floor again.
 *
 * Putting a clock on a floor never changes what it reads, whatever its values: an entry
 * below the floor's (a peer that never counted a retired origin) stays as an own entry,
 * even 0. It saves memory for the clocks that reach the floor (the node's own, and its
 * peers' once they caught up), which are the ones that last; {@link settleOnFloor} and
 * {@link floored} move only those.
 */
import type { RetiringEvents } from './clock-folding.js';
import type { VectorClock } from './envelope.js';

/** The retired origins' final seqs, as the prototype of the clocks on it. Never changed once made. */
export type ClockFloor = Readonly<Record<string, number>>;

/** The floor of plain clocks: no retired origin. */
export const NO_FLOOR: ClockFloor = Object.prototype as ClockFloor;

/**
 * The floor of a node that delivered the retirements `retiring`: each retired origin at
 * the largest final seq among them (what `unfoldRetired` reads it as in a clock that
 * counts them all, as the node's own does).
 */
export function clockFloor(retiring: RetiringEvents): ClockFloor {
  if (retiring.size === 0) return NO_FLOOR;
  const floor: Record<string, number> = {};
  for (const [origin, list] of retiring) {
    let final = 0;
    for (const r of list) if (r.final > final) final = r.final;
    if (final > 0) floor[origin] = final;
  }
  return Object.keys(floor).length === 0 ? NO_FLOOR : floor;
}

/** The floor `vc` is on ({@link NO_FLOOR} for a plain clock). */
export function floorOf(vc: VectorClock): ClockFloor {
  return Object.getPrototypeOf(vc) as ClockFloor;
}

/** Whether `floor` retires `origin`. */
export function floorHas(floor: ClockFloor, origin: string): boolean {
  return floor !== NO_FLOOR && Object.hasOwn(floor, origin);
}

/** The entry of `origin` in `vc`, read whole (0 when missing). */
function entry(vc: VectorClock, origin: string): number {
  const n = vc[origin];
  return typeof n === 'number' ? n : 0;
}

/** The floor's final seq for `origin`, `undefined` if it does not retire it. */
function finalOn(floor: ClockFloor, origin: string): number | undefined {
  return floorHas(floor, origin) ? floor[origin] : undefined;
}

/**
 * A new clock on `floor` that reads as `vc` reads (whole): own entries only where they
 * differ from the floor.
 *
 * @example onFloor({ 'a~1': 9, 'a~2': 3 }, { 'a~1': 9 }) // own entries { 'a~2': 3 }, reads 'a~1' as 9
 */
export function onFloor(vc: VectorClock, floor: ClockFloor): VectorClock {
  const out = Object.create(floor) as Record<string, number>;
  for (const k in vc) {
    const n = entry(vc, k);
    if (finalOn(floor, k) !== n) out[k] = n;
  }
  // An origin `vc` lacks reads 0 there; the floor would read its final seq.
  if (floor !== NO_FLOOR) for (const k in floor) if (!(k in vc) && Object.hasOwn(floor, k)) out[k] = 0;
  return out;
}

/**
 * Moves `vc` onto `floor` in place (it keeps its identity: others may hold it), reading
 * as before: entries the new floor would read differently are written out first, and own
 * entries equal to the new floor are dropped.
 */
export function moveToFloor(vc: VectorClock, floor: ClockFloor): void {
  const old = floorOf(vc);
  if (old === floor) return tidyClock(vc);
  const own = vc as Record<string, number>;
  for (const k in floor) {
    if (!Object.hasOwn(floor, k) || Object.hasOwn(vc, k)) continue;
    own[k] = finalOn(old, k) ?? 0;
  }
  for (const k in old) {
    if (Object.hasOwn(old, k) && !Object.hasOwn(vc, k) && !floorHas(floor, k)) own[k] = old[k];
  }
  Object.setPrototypeOf(vc, floor);
  tidyClock(vc);
}

/** Whether `vc` reads every origin `floor` retires at its final seq or above: it takes fewer entries on it, never more. */
export function reachesFloor(vc: VectorClock, floor: ClockFloor): boolean {
  for (const k in floor) if (Object.hasOwn(floor, k) && entry(vc, k) < floor[k]) return false;
  return true;
}

/**
 * Moves `vc` onto `floor` in place if it reaches it ({@link reachesFloor}); tidies it if it
 * stands on it already. A clock behind the floor (a peer that has not caught up) stays
 * where it is: on the floor it would take an entry, even 0, per origin it lags on.
 */
export function settleOnFloor(vc: VectorClock, floor: ClockFloor): void {
  if (floorOf(vc) === floor) tidyClock(vc);
  else if (reachesFloor(vc, floor)) moveToFloor(vc, floor);
}

/** A copy of `vc` on `floor` if it reaches it, else on the floor it is on. */
export function floored(vc: VectorClock, floor: ClockFloor): VectorClock {
  return floorOf(vc) !== floor && reachesFloor(vc, floor) ? onFloor(vc, floor) : copyClock(vc);
}

/** Drops the own entries of `vc` that its floor reads the same. */
export function tidyClock(vc: VectorClock): void {
  const floor = floorOf(vc);
  if (floor === NO_FLOOR) return;
  const own = vc as Record<string, number>;
  for (const k of Object.keys(vc)) if (finalOn(floor, k) === own[k]) delete own[k];
}

/** A copy of `vc` on the same floor (a spread would drop what the floor reads). */
export function copyClock(vc: VectorClock): VectorClock {
  const floor = floorOf(vc);
  return floor === NO_FLOOR ? { ...vc } : Object.assign(Object.create(floor) as VectorClock, vc);
}

/** `vc` as a plain object with every entry it reads (what the wire and the store take). */
export function wholeClock(vc: VectorClock): VectorClock {
  if (floorOf(vc) === NO_FLOOR) return vc;
  const out: Record<string, number> = {};
  for (const k in vc) out[k] = entry(vc, k);
  return out;
}

/**
 * A {@link wholeClock} that gives its last result again while asked of the same clock
 * object: for a clock that is replaced, never changed, when it moves (the committed
 * clock), and read whole once per ack per peer. The result is shared: do not change it.
 */
export function wholeClockOfLast(): (vc: VectorClock) => VectorClock {
  let last: VectorClock | undefined;
  let whole: VectorClock = {};
  return (vc) => {
    if (vc !== last) {
      last = vc;
      whole = wholeClock(vc);
    }
    return whole;
  };
}

/** How many retired origins `vc` holds no entry for (its floor reads them). */
export function foldedCount(vc: VectorClock): number {
  const floor = floorOf(vc);
  if (floor === NO_FLOOR) return 0;
  let n = 0;
  for (const k in floor) if (Object.hasOwn(floor, k) && !Object.hasOwn(vc, k)) n++;
  return n;
}
