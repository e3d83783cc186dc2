/**
 * The load loop for latency runs: offer a fixed rate. Every tick it sends what is due by
 * now — the events whose scheduled time `start + k / rate` has passed — as one burst,
 * then sleeps until the next one is due. Node's timers tick at ~1 ms, so at 10k/s events
 * leave in bursts of about ten; they are stamped when actually sent, and the run reports
 * the rate it achieved and how far it fell behind schedule, so a sender that could not
 * keep up (or a system that held it back through `maxInFlight`) shows in the figures
 * rather than hiding in them. Bounded by count and by time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { wallClockMs } from './wall-clock.js';

/** What to offer and when to stop. */
export interface PacedLoad {
  /** Offered events per second. */
  readonly rate: number;
  /** How many events. */
  readonly count: number;
  /** Stop sending this long after the start (ms); in-flight sends get as long again to settle. */
  readonly deadlineMs: number;
  /** Most events in flight; past it the loop waits and falls behind schedule. */
  readonly maxInFlight: number;
  /**
   * Sends events `first … first + n − 1`, which are due now; resolves when the system
   * accepted them (return nothing for a fire-and-forget send).
   */
  readonly send: (first: number, n: number) => Promise<void> | void;
}

/** How a paced load went. */
export interface PacedRun {
  readonly sent: number;
  /** Sends that were accepted (resolved). */
  readonly accepted: number;
  readonly startedAt: number;
  /** `wallClockMs()` of the last send. */
  readonly lastSentAt: number;
  /** Events per second actually offered: `sent` over the span of the sends. */
  readonly achievedRate: number;
  /** Worst delay of a send behind its scheduled time (ms). */
  readonly maxLagMs: number;
  readonly timedOut: boolean;
  readonly error?: unknown;
}

/** Runs a paced load to completion, deadline or first error. */
export async function runPaced(load: PacedLoad): Promise<PacedRun> {
  const msPerEvent = 1000 / load.rate;
  const startedAt = wallClockMs();
  let sent = 0;
  let accepted = 0;
  let inFlight = 0;
  let lastSentAt = startedAt;
  let maxLagMs = 0;
  let timedOut = false;
  let error: unknown;
  let wake: (() => void) | null = null;

  const settle = (n: number): void => {
    inFlight -= n;
    wake?.();
  };
  const waitForSettle = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(woken, ms);
      wake = woken;
      function woken(): void {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
    });

  while (sent < load.count && error === undefined) {
    const now = wallClockMs();
    if (now - startedAt > load.deadlineMs) {
      timedOut = true;
      break;
    }
    const due = Math.min(load.count, Math.floor((now - startedAt) / msPerEvent) + 1) - sent;
    const n = Math.min(due, load.maxInFlight - inFlight);
    if (n > 0) {
      maxLagMs = Math.max(maxLagMs, now - (startedAt + sent * msPerEvent));
      const first = sent;
      sent += n;
      inFlight += n;
      lastSentAt = now;
      const result = load.send(first, n);
      if (result) {
        result.then(
          () => {
            accepted += n;
            settle(n);
          },
          (err: unknown) => {
            error ??= err;
            settle(n);
          },
        );
      } else {
        accepted += n;
        inFlight -= n;
      }
      continue;
    }
    if (due > 0) {
      // At the in-flight cap: wait for a send to settle (or the deadline).
      await waitForSettle(Math.max(1, load.deadlineMs - (now - startedAt)));
    } else {
      await sleep(Math.max(0, startedAt + sent * msPerEvent - wallClockMs()));
    }
  }
  const drainUntil = wallClockMs() + load.deadlineMs;
  while (inFlight > 0 && wallClockMs() < drainUntil) await waitForSettle(drainUntil - wallClockMs());
  const span = lastSentAt - startedAt;
  return {
    sent,
    accepted,
    startedAt,
    lastSentAt,
    achievedRate: sent > 1 && span > 0 ? ((sent - 1) * 1000) / span : load.rate,
    maxLagMs,
    timedOut,
    ...(error === undefined ? {} : { error }),
  };
}

/** A fixed-rate load to run: the part of `PacedLoad` that says how much, not how to send. */
export interface PacedPlan {
  readonly rate: number;
  readonly count: number;
  readonly deadlineMs: number;
}

/** Runs a paced load, here or in another process. */
export type PacedRunner = (plan: PacedPlan) => Promise<PacedRun>;

/** A runner that sends from this process with `send`, at most `maxInFlight` events in flight. */
export function localPacedRunner(maxInFlight: number, send: PacedLoad['send']): PacedRunner {
  return (plan) => runPaced({ ...plan, maxInFlight, send });
}

/**
 * One outcome for loads run in parallel by several senders, each offering a share of
 * the rate: sends and rates add up, the worst lag and the earliest start count.
 */
export function mergePacedRuns(runs: readonly PacedRun[]): PacedRun {
  const error = runs.find((run) => run.error !== undefined)?.error;
  return {
    sent: runs.reduce((sum, run) => sum + run.sent, 0),
    accepted: runs.reduce((sum, run) => sum + run.accepted, 0),
    startedAt: Math.min(...runs.map((run) => run.startedAt)),
    lastSentAt: Math.max(...runs.map((run) => run.lastSentAt)),
    achievedRate: runs.reduce((sum, run) => sum + run.achievedRate, 0),
    maxLagMs: Math.max(...runs.map((run) => run.maxLagMs)),
    timedOut: runs.some((run) => run.timedOut),
    ...(error === undefined ? {} : { error }),
  };
}
