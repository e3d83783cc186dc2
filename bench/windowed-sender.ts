/**
 * The load loop for throughput runs: send as fast as the system accepts, keeping at most
 * `window` sends in flight — concurrency a batching system (group commit, frame
 * batching) needs to show its throughput, and the backpressure that keeps a
 * fire-and-forget system from buffering without bound. Bounded by count and by time.
 */
import { wallClockMs } from './wall-clock.js';

/** What to send and when to stop. */
export interface WindowedLoad {
  /** How many sends. */
  readonly count: number;
  /** Most sends in flight at once. */
  readonly window: number;
  /** Stop starting new sends this long after the first (ms). */
  readonly deadlineMs: number;
  /** Sends item `i`; resolves when the system accepted it. */
  readonly send: (i: number) => Promise<void>;
}

/** How a windowed load went. */
export interface WindowedRun {
  /** Sends that resolved. */
  readonly completed: number;
  /** `wallClockMs()` when the first send started. */
  readonly startedAt: number;
  /** `wallClockMs()` when the last send resolved. */
  readonly finishedAt: number;
  /** Whether the deadline stopped the loop before `count`. */
  readonly timedOut: boolean;
  /** The first failed send's error; the loop stops starting sends after it. */
  readonly error?: unknown;
}

/** Runs a windowed load to completion, deadline or first error. */
export function runWindowed(load: WindowedLoad): Promise<WindowedRun> {
  return new Promise((resolve) => {
    const startedAt = wallClockMs();
    let next = 0;
    let inFlight = 0;
    let completed = 0;
    let timedOut = false;
    let error: unknown;
    let finishedAt = startedAt;

    const startMore = (): void => {
      while (inFlight < load.window && next < load.count && error === undefined) {
        if (wallClockMs() - startedAt > load.deadlineMs) {
          timedOut = true;
          break;
        }
        inFlight++;
        load.send(next++).then(sendOnDone, sendOnError);
      }
      if (inFlight === 0) resolve({ completed, startedAt, finishedAt, timedOut, ...(error === undefined ? {} : { error }) });
    };
    function sendOnDone(): void {
      inFlight--;
      completed++;
      finishedAt = wallClockMs();
      startMore();
    }
    function sendOnError(err: unknown): void {
      inFlight--;
      error ??= err;
      startMore();
    }
    startMore();
  });
}

/**
 * One outcome for loads run in parallel by several senders (one per publishing node):
 * the sum of their sends over the span from the first start to the last finish.
 */
export function mergeWindowedRuns(runs: readonly WindowedRun[]): WindowedRun {
  const error = runs.find((run) => run.error !== undefined)?.error;
  return {
    completed: runs.reduce((sum, run) => sum + run.completed, 0),
    startedAt: Math.min(...runs.map((run) => run.startedAt)),
    finishedAt: Math.max(...runs.map((run) => run.finishedAt)),
    timedOut: runs.some((run) => run.timedOut),
    ...(error === undefined ? {} : { error }),
  };
}
