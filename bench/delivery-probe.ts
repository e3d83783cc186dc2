/**
 * The measuring end of the ceiling and Moleculer runs, in the receiving process: what the
 * troupe sink machine (`apps/sink.ts`) keeps in its context, kept here in a plain object —
 * how many events the handler saw, when it saw the first and the last, and the
 * publish-to-handler latency of each. The harness reads it over the child's IPC channel.
 */
import { recordLatency, type LatencyHistogram } from './latency-histogram.js';
import { wallClockMs } from './wall-clock.js';

/** What a receiver has seen since it started; the harness diffs two reports to get one run's share. */
export interface ProbeReport {
  readonly count: number;
  /** `wallClockMs()` at the first and the latest handled event; `null` before any. */
  readonly firstAt: number | null;
  readonly lastAt: number | null;
  readonly latency: LatencyHistogram;
}

/** What a receiver reports before it has handled anything. */
export const NO_DELIVERIES: ProbeReport = { count: 0, firstAt: null, lastAt: null, latency: {} };

/** Counts handled events and their latencies. */
export class DeliveryProbe {
  private count = 0;
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private latency: LatencyHistogram = {};

  /** Called by the handler for each event, with the publisher's send time. */
  observe(sentAt: number): void {
    const now = wallClockMs();
    this.count++;
    this.firstAt ??= now;
    this.lastAt = now;
    recordLatency(this.latency, now - sentAt);
  }

  /** A copy of what was seen so far. */
  report(): ProbeReport {
    return { count: this.count, firstAt: this.firstAt, lastAt: this.lastAt, latency: { ...this.latency } };
  }
}

/** A request from the harness to a receiver process. */
export type ProbeRequest =
  | { readonly id: number; readonly cmd: 'report' }
  | { readonly id: number; readonly cmd: 'clock' };

/** The reply to `clock`: the receiver's `wallClockMs()`. */
export interface ClockReply {
  readonly now: number;
}

/**
 * Answers the harness's requests on this process's IPC channel: `report` → a
 * `ProbeReport`, `clock` → a `ClockReply`. Each reply echoes the request id.
 */
export function serveProbe(probe: DeliveryProbe): void {
  process.on('message', function probeOnRequest(message: ProbeRequest) {
    process.send?.(probeReply(probe, message));
  });
}

/** The reply to one `ProbeRequest`, echoing its id. */
export function probeReply(probe: DeliveryProbe, message: ProbeRequest): (ProbeReport | ClockReply) & { readonly id: number } {
  const reply = message.cmd === 'report' ? probe.report() : { now: wallClockMs() };
  return { ...reply, id: message.id };
}
