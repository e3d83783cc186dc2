/**
 * Reconnect delays: exponential growth with "equal jitter" (half fixed, half random), so
 * that nodes that lost a peer together do not all knock on its door at the same instant.
 */

/** Options of {@link backoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. [default 100] */
  readonly initialMs?: number;
  /** Upper bound of any delay, in ms. [default 5000] */
  readonly maxMs?: number;
}

/** The delay before retry number `attempt` (0-based); `random` is in [0, 1). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
