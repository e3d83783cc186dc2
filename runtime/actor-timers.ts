/**
 * The timers of the host's XState actors: the clock each actor is given, and the
 * recording and re-arming of its delayed events across restarts.
 *
 * XState does not re-arm `after` delays when a persisted snapshot is restored, so each
 * actor's scheduled events are recorded with its snapshot (`pendingTimers`) and scheduled
 * again on restart (`rearm`) with what is left of their delay. Every actor gets a clock
 * (`clockFor`) whose timers do not run XState's callback themselves: they hand it to the
 * host, which runs it inside the fabric's commit loop, so what a timer makes an actor emit
 * is committed (or fails) like any other transition.
 */
import type { Actor, AnyStateMachine } from 'xstate';
import type { Clock, TimerHandle } from './clock.js';
import type { PendingTimer } from './store.js';

/** A timer that fired: which of the actor's scheduled events it was for, if known. */
export interface FiredTimer {
  /** The id of the scheduled event it fires (XState's `_scheduledEvents` entry). */
  readonly eventId: string | undefined;
  /** The delayed event itself (`{ type: 'xstate.after.…' }` for an `after`), so a failed one can be sent again. */
  readonly event: unknown;
}

/** A timer handle given to XState through an actor's clock. */
interface ActorTimer extends FiredTimer {
  handle: TimerHandle | undefined;
  /** When it is due, on this clock. */
  readonly due: number;
  /** Where its actor is found. */
  readonly slot: TimerSlot<TimedActor>;
  /** What its firing does (also when fired early by `fireNow`). */
  readonly run: () => void;
}

/** Whatever owns an actor whose timers are kept here (the host's hosted actor). */
export interface TimedActor {
  readonly actor: Actor<AnyStateMachine>;
}

/** Where an actor's clock finds its owner, set once the actor is created. */
export interface TimerSlot<T extends TimedActor> {
  owner?: T;
}

/** Told of a fired timer: runs XState's `callback` on `owner` (not after `stop`). */
export type TimerFired<T extends TimedActor> = (owner: T, callback: (...args: unknown[]) => void, timer: FiredTimer) => void;

/** The clock XState's `createActor` takes. */
export interface ActorClock {
  setTimeout(fn: (...args: unknown[]) => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

/** Options of {@link ActorTimers}. */
export interface ActorTimersOptions<T extends TimedActor> {
  /** Wall-clock now; due times are wall-clock so they survive restarts. [default `clock.now`] */
  readonly now?: () => number;
  /** Where timers are set; a test's simulated clock drives `after` delays. [default Node's timers] */
  readonly clock?: Clock;
  readonly fired: TimerFired<T>;
}

/** Node's own timers, which (unlike `systemClock`'s) keep the process alive while pending. */
const nodeTimers: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Every timer of the host's actors. */
export class ActorTimers<T extends TimedActor> {
  private readonly now: () => number;
  private readonly clock: Clock;
  private readonly fired: TimerFired<T>;
  private stopped = false;
  /**
   * When each scheduled event claimed by a timer is due, on this clock. XState stamps its
   * entries with `Date.now()`, which is not the injected clock's time.
   */
  private readonly dueAt = new WeakMap<object, number>();
  /** XState's scheduled-event entries already matched to a timer (see `claimScheduled`). */
  private readonly claimed = new WeakSet<object>();
  /**
   * Every timer set and not yet fired or cleared. XState loses the handle of a timer whose
   * id it schedules again while pending, so only this can still clear it on stop.
   */
  private readonly armed = new Set<ActorTimer>();

  constructor(options: ActorTimersOptions<T>) {
    this.clock = options.clock ?? nodeTimers;
    this.now = options.now ?? (() => this.clock.now());
    this.fired = options.fired;
  }

  /**
   * A clock for XState whose timers hand their callback to `fired` with the actor in
   * `slot`, so a delayed transition runs where the host says.
   */
  clockFor(slot: TimerSlot<T>): ActorClock {
    const timers = this;
    return {
      setTimeout(fn: (...args: unknown[]) => void, ms: number): ActorTimer {
        const scheduled = slot.owner === undefined ? undefined : timers.claimScheduled(slot.owner.actor, ms);
        const timer: ActorTimer = {
          handle: undefined,
          eventId: scheduled?.id,
          event: scheduled?.event,
          due: timers.now() + ms,
          slot,
          run: function actorTimerFired() {
            timer.handle = undefined;
            timers.armed.delete(timer);
            const owner = slot.owner;
            if (!timers.stopped && owner !== undefined) timers.fired(owner, fn, timer);
          },
        };
        timer.handle = timers.clock.setTimeout(timer.run, ms);
        timers.armed.add(timer);
        return timer;
      },
      clearTimeout(timer: unknown): void {
        const t = timer as ActorTimer;
        if (t.handle !== undefined) timers.clock.clearTimeout(t.handle);
        t.handle = undefined;
        timers.armed.delete(t);
      },
    };
  }

  /** Schedules persisted timers again on a freshly restored actor; returns its pending timers now. */
  rearm(actor: Actor<AnyStateMachine>, pending: readonly PendingTimer[]): PendingTimer[] {
    const now = this.now();
    // XState internals, verified on 5.33.3 (package.json pins ~5.33): `system.scheduler` is
    // typed on ActorSystem but undocumented, and a restored actor's delays are lost because
    // `getPersistedSnapshot()` leaves out scheduled events (`createSystem` only re-arms
    // `options.snapshot.scheduler`, which no persisted snapshot carries, and with the full
    // delay). This goes once XState persists scheduled events with the snapshot and re-arms
    // them on restore with their remaining time (or offers a public way to schedule them).
    for (const timer of pending) {
      actor.system.scheduler.schedule(actor, actor, timer.event as never, Math.max(0, timer.due - now), timer.id);
    }
    return this.pending(actor);
  }

  /** The delayed events `actor` has scheduled on itself, due when this clock says. */
  pending(actor: Actor<AnyStateMachine>): PendingTimer[] {
    return pendingTimers(actor, (entry) => this.dueAt.get(entry));
  }

  /**
   * Fires `owner`'s earliest pending timer now, as if it were due (a rebuild replays a
   * timer where the log shows it fired: `actor-rebuild.ts`). Returns whether it had one.
   */
  fireNow(owner: T): boolean {
    let first: ActorTimer | undefined;
    for (const timer of this.armed) {
      if (timer.slot.owner === owner && (first === undefined || timer.due < first.due)) first = timer;
    }
    if (first === undefined) return false;
    this.clock.clearTimeout(first.handle);
    first.run();
    return true;
  }

  /** Clears every timer; none fires after this. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.armed) this.clock.clearTimeout(timer.handle);
    this.armed.clear();
  }

  /**
   * The delayed event a timer being set belongs to (its id and event). XState records the event
   * it schedules just before it asks the clock for the timer, so it is the newest entry
   * not yet claimed — not simply the newest: an id scheduled again while still pending
   * is reassigned in place and keeps its old position.
   */
  private claimScheduled(actor: Actor<AnyStateMachine>, ms: number): { id: string; event: unknown } | undefined {
    // XState internal, verified on 5.33.3: `system.getSnapshot()._scheduledEvents` (insertion
    // ordered, an entry added by `scheduler.schedule` right before it calls `clock.setTimeout`).
    // This goes once the clock's `setTimeout` is told which scheduled event it is for, or a
    // public API lists scheduled events.
    const entries = Object.values(actor.system.getSnapshot()._scheduledEvents);
    for (let i = entries.length - 1; i >= 0; i--) {
      if (this.claimed.has(entries[i])) continue;
      this.claimed.add(entries[i]);
      this.dueAt.set(entries[i], this.now() + ms);
      return { id: entries[i].id, event: entries[i].event };
    }
    return undefined;
  }
}

/**
 * The delayed events an actor has scheduled on itself, with wall-clock due times:
 * `dueOf(entry)` where it knows one, else XState's own `startedAt + delay`.
 */
export function pendingTimers(actor: Actor<AnyStateMachine>, dueOf: (entry: object) => number | undefined = () => undefined): PendingTimer[] {
  // XState internal, verified on 5.33.3: `_scheduledEvents` entries carry `startedAt` from
  // `Date.now()` (not the system clock) and `delay`. This goes once a persisted snapshot
  // carries its scheduled events (a public API for them), so the host need not record them.
  const scheduled = actor.system.getSnapshot()._scheduledEvents;
  const out: PendingTimer[] = [];
  for (const id in scheduled) {
    const s = scheduled[id];
    if (s.source !== actor) continue;
    out.push({ id: s.id, event: s.event, due: dueOf(s) ?? s.startedAt + s.delay });
  }
  return out;
}
