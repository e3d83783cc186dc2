/**
 * Simulated time: one clock for a whole simulated cluster, which moves only when the
 * simulation fires its next timer. Every node gets a {@link NodeClock} over it, so a
 * node's timers (heartbeats, delayed acks, the actors' `after` delays) can all be
 * dropped at once when the node crashes, as a killed process drops them.
 *
 * Timers fire in due order, and timers due at the same time in the order they were set,
 * so a run is the same every time.
 */
import type { Clock, TimerHandle } from '../runtime/clock.js';

/** A pending timer. */
interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** The clock of a simulated cluster. */
export class SimulatedTime implements Clock {
  private current: number;
  private nextId = 1;
  /** Pending timers by id; ids grow, so ties on `due` break by the order they were set. */
  private readonly timers = new Map<number, Timer>();

  /** Starts at `start` ms since the epoch. */
  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    // Like Node: a delay that is not a positive number fires on the next turn.
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.timers.set(id, { id, due: this.current + delay, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** When the earliest pending timer is due, or `undefined` when none is pending. */
  get nextDue(): number | undefined {
    return this.earliest()?.due;
  }

  /** How many timers are pending. */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time to the earliest pending timer (never back) and runs it; false when none is pending. */
  fireNext(): boolean {
    const timer = this.earliest();
    if (timer === undefined) return false;
    this.timers.delete(timer.id);
    this.moveTo(timer.due);
    timer.fn();
    return true;
  }

  /** Moves time forward to `at`; a time in the past changes nothing. */
  moveTo(at: number): void {
    if (at > this.current) this.current = at;
  }

  /** A clock over this one whose timers can all be dropped at once (see {@link NodeClock.dispose}). */
  forNode(): NodeClock {
    return new NodeClock(this);
  }

  private earliest(): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.timers.values()) {
      if (first === undefined || timer.due < first.due) first = timer;
    }
    return first;
  }
}

/** One node's view of the simulated clock. */
export class NodeClock implements Clock {
  private readonly time: SimulatedTime;
  private readonly own = new Set<TimerHandle>();
  private disposed = false;

  constructor(time: SimulatedTime) {
    this.time = time;
  }

  now(): number {
    return this.time.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (this.disposed) return undefined;
    const own = this.own;
    const handle: TimerHandle = this.time.setTimeout(function nodeTimerFired() {
      own.delete(handle);
      fn();
    }, ms);
    own.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.own.delete(handle);
    this.time.clearTimeout(handle);
  }

  /** Drops every pending timer of this node, and sets none from now on: the node is gone. */
  dispose(): void {
    this.disposed = true;
    for (const handle of this.own) this.time.clearTimeout(handle);
    this.own.clear();
  }
}
