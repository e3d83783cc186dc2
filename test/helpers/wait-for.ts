/**
 * Waiting on a condition with a deadline: the only way multi-process tests synchronise.
 *
 * `waitFor` polls a probe until its value satisfies a predicate, and fails with a message
 * that says what was awaited, for how long, the last value the probe returned and the last
 * error it threw — so a timeout in CI reads as a diagnosis, not as "timed out". The poll
 * interval only paces the probing; it is never what the test relies on for ordering.
 */
import { inspect } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';

/** How to wait. */
export interface WaitForOptions<T> {
  /** What is awaited, in words; a function is called only when the wait fails. */
  readonly message: string | (() => string);
  /** When the probed value is good enough. [default: the value is truthy] */
  readonly until?: (value: T) => boolean;
  /** Give up after this many ms. [default: 30000] */
  readonly timeout?: number;
  /** Pause between probes in ms. [default: 100] */
  readonly interval?: number;
  /** Checked before every probe: a reason to give up at once (a node crashed), or `undefined`. */
  readonly failFast?: () => string | undefined;
  /** Renders the last observed value for the failure message. [default: util.inspect] */
  readonly describe?: (value: T) => string;
}

/**
 * Thrown when a wait runs out of time. The message is one line; the last observation and
 * the context (node output tails) are separate fields, which tap prints as YAML blocks
 * under the failure.
 */
export class WaitTimeoutError extends Error {
  /** The last value the probe returned, rendered. */
  readonly observed: string | undefined;
  /** The last error the probe threw, if its last call threw. */
  readonly probeError: string | undefined;
  /** Everything after the first line of the wait's message: typically node output tails. */
  readonly context: string | undefined;

  constructor(message: string, fields: { observed?: string; probeError?: string; context?: string }) {
    super(message);
    this.name = 'WaitTimeoutError';
    this.observed = fields.observed;
    this.probeError = fields.probeError;
    this.context = fields.context;
  }
}

const NOTHING = Symbol('nothing observed');

/**
 * Polls `probe` until `until(value)` holds and returns that value. A probe that throws
 * (a node still starting, a refused connection) counts as "not yet".
 *
 * @example
 * const status = await waitFor(() => admin.status(), {
 *   until: (s) => s.peers.every((p) => p.connected),
 *   message: 'n1 connected to all its peers',
 * });
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  options: WaitForOptions<T>,
): Promise<T> {
  const timeout = options.timeout ?? 30_000;
  const interval = options.interval ?? 100;
  const until = options.until ?? ((value: T) => Boolean(value));
  const started = Date.now();
  const deadline = started + timeout;
  let lastValue: T | typeof NOTHING = NOTHING;
  let lastError: unknown = NOTHING;
  let probes = 0;
  let gaveUp: string | undefined;
  for (;;) {
    gaveUp = options.failFast?.();
    if (gaveUp !== undefined) break;
    probes++;
    try {
      const value = await probe();
      lastValue = value;
      lastError = NOTHING;
      if (until(value)) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() + interval > deadline) break;
    await delay(interval);
  }
  const what = typeof options.message === 'function' ? options.message() : options.message;
  const [headline, ...context] = what.split('\n');
  const elapsed = Date.now() - started;
  const message = gaveUp !== undefined
    ? `gave up after ${elapsed} ms (${gaveUp}) waiting for: ${headline}`
    : `timed out after ${elapsed} ms (${probes} probes) waiting for: ${headline}`;
  let observed: string | undefined;
  if (lastValue !== NOTHING) {
    observed = truncate(options.describe
      ? safeDescribe(options.describe, lastValue)
      : inspect(lastValue, { depth: 6, breakLength: 120, maxArrayLength: 50 }), 6000);
  }
  throw new WaitTimeoutError(message, {
    ...(observed !== undefined && { observed }),
    ...(lastError !== NOTHING && { probeError: describeError(lastError) }),
    ...(context.length > 0 && { context: context.join('\n') }),
  });
}

function safeDescribe<T>(describe: (value: T) => string, value: T): string {
  try {
    return describe(value);
  } catch (err) {
    return `(describe threw: ${describeError(err)})`;
  }
}

/** An error's message and, for fetch failures, its cause (ECONNREFUSED and the like). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return inspect(err);
  const cause = (err as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? ` (cause: ${cause.message})` : '';
  return `${err.name}: ${err.message}${causeText}`;
}

/** Cuts a long text to `max` characters, saying how much was left out. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more chars)`;
}
