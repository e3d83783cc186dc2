/**
 * Time as an interface, so that heartbeats, backoff and handshake deadlines can be driven
 * by a test without sleeping (the way XState's system takes a `Clock`).
 */

/** A timer handle of a {@link Clock}. */
export type TimerHandle = unknown;

/** Wall-clock time and timers. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock. Its timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
