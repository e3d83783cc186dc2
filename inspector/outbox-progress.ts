/**
 * Catch-up progress of one link, derived from successive outbox depths. A node's status
 * says how many events a peer has not acknowledged; while a link catches up that number
 * falls, and the fall per second over the last few seconds is the rate. The page samples
 * every status it receives, so the estimate needs no help from the node.
 */

/** One outbox depth, as a status told it, and when the page received it (ms). */
export interface OutboxSample {
  readonly at: number;
  readonly outbox: number;
}

/** What the page says of a link's outbox. */
export interface OutboxProgress {
  /** Events the peer has not acknowledged. */
  readonly left: number;
  /** Events drained per second over the window; `undefined` while not draining. */
  readonly rate?: number;
  /** Time until empty at that rate (ms). */
  readonly etaMs?: number;
}

/** How far back the rate looks (ms): long enough to smooth bursts, short enough to follow a change. */
export const RATE_WINDOW_MS = 5_000;

/** Samples kept per link: a few statuses a second over the window, with room to spare. */
const MAX_SAMPLES = 64;

/**
 * Appends a sample and drops those older than the window; returns a new array.
 * @example recordSample([], { at: 0, outbox: 10 }) // [{ at: 0, outbox: 10 }]
 */
export function recordSample(samples: readonly OutboxSample[], sample: OutboxSample): OutboxSample[] {
  const kept = samples.filter((s) => s.at >= sample.at - RATE_WINDOW_MS && s.at <= sample.at);
  kept.push(sample);
  return kept.slice(-MAX_SAMPLES);
}

/**
 * The progress the samples show: the newest depth, and, when it fell over the window,
 * the rate and the time left at that rate.
 * @example outboxProgress([{ at: 0, outbox: 1000 }, { at: 1000, outbox: 600 }]) // { left: 600, rate: 400, etaMs: 1500 }
 */
export function outboxProgress(samples: readonly OutboxSample[]): OutboxProgress {
  const last = samples[samples.length - 1];
  if (last === undefined) return { left: 0 };
  const first = samples.find((s) => s.at >= last.at - RATE_WINDOW_MS) ?? last;
  const seconds = (last.at - first.at) / 1000;
  const drained = first.outbox - last.outbox;
  if (last.outbox === 0 || seconds <= 0 || drained <= 0) return { left: last.outbox };
  const rate = drained / seconds;
  return { left: last.outbox, rate, etaMs: (last.outbox / rate) * 1000 };
}
