/**
 * The three measurements every system goes through, written once against a probe — the
 * receiving handler's running tally (`ProbeReport`), however a system exposes it (over
 * IPC for the ceiling and Moleculer, through the sink actor's context for troupe):
 *
 * - throughput: send N events as fast as the system accepts them; events/s is N over the
 *   time from the first send to the handler seeing the N-th;
 * - latency: offer a fixed rate; p50/p99 of handler time minus send time;
 * - wire: offer a fixed rate through counting proxies; bytes and messages per event.
 *
 * A run's share of the tally is the difference between a report taken before it and one
 * taken after, so nothing ever has to be reset.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { histogramCount, histogramSince, quantile } from './latency-histogram.js';
import type { ProbeReport } from './delivery-probe.js';
import type { FigureBook } from './figure.js';
import type { PacedRunner } from './paced-sender.js';
import { formatCount, type Progress } from './progress.js';
import type { SuitePlan } from './suite-plan.js';
import type { ProxyTraffic } from '../nodes/tcp-proxy.js';
import type { WindowedRun } from './windowed-sender.js';
import { wallClockMs } from './wall-clock.js';

/** Where the handler's tally can be read. */
export interface ProbeTarget {
  /** The tally so far. */
  report(): Promise<ProbeReport>;
  /** How often to poll `report()` while waiting for delivery (ms). */
  readonly pollMs: number;
}

/** The probe's state once `count` events beyond `base` have been handled, or at the deadline. */
export async function waitForDelivery(
  target: ProbeTarget,
  base: ProbeReport,
  count: number,
  deadlineMs: number,
): Promise<{ readonly report: ProbeReport; readonly delivered: number }> {
  const until = wallClockMs() + deadlineMs;
  for (;;) {
    const report = await target.report();
    const delivered = report.count - base.count;
    if (delivered >= count || wallClockMs() >= until) return { report, delivered };
    await sleep(target.pollMs);
  }
}

/** A throughput run's outcome. */
export interface ThroughputResult {
  /** Events handled per second, first send to last handling; `null` if nothing arrived. */
  readonly eventsPerSec: number | null;
  /** Events the system accepted per second (acks, write callbacks), first send to last acceptance. */
  readonly acceptedPerSec: number | null;
  readonly sent: number;
  readonly delivered: number;
  /** What went wrong, if anything (a send failed, a deadline passed, events were lost). */
  readonly problem?: string;
}

/** What a throughput run sends, and how. */
export interface ThroughputLoad {
  readonly events: number;
  /** Events one completed send stands for: 1 for a publish call, a chunk of frames for the ceiling. */
  readonly eventsPerUnit: number;
  /** Sends the load (here, or in the publishing processes) as fast as the system accepts it. */
  readonly run: () => Promise<WindowedRun>;
  readonly deadlineMs: number;
}

/** Sends a throughput load and waits for the handler to see all of it. */
export async function measureThroughput(target: ProbeTarget, load: ThroughputLoad): Promise<ThroughputResult> {
  const base = await target.report();
  const run = await load.run();
  const sent = Math.min(load.events, run.completed * load.eventsPerUnit);
  const { report, delivered } = await waitForDelivery(target, base, sent, load.deadlineMs);
  const problems: string[] = [];
  if (run.error !== undefined) problems.push(`send failed: ${String(run.error)}`);
  if (run.timedOut) problems.push(`sending stopped at the ${load.deadlineMs} ms deadline`);
  if (delivered < sent) problems.push(`${sent - delivered} of ${sent} events not handled in time`);
  const span = report.lastAt === null ? 0 : report.lastAt - run.startedAt;
  return {
    eventsPerSec: delivered > 0 && span > 0 ? (delivered * 1000) / span : null,
    acceptedPerSec: sent > 0 ? (sent * 1000) / (run.finishedAt - run.startedAt) : null,
    sent,
    delivered,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

/** A latency run's outcome. */
export interface LatencyResult {
  readonly p50: number | null;
  readonly p99: number | null;
  /** The rate actually offered (events/s) and the sender's worst lag behind schedule (ms). */
  readonly achievedRate: number;
  readonly maxLagMs: number;
  readonly sent: number;
  readonly delivered: number;
  /** `wallClockMs()` of the first and the last send, and of the handler's last handling. */
  readonly startedAt: number;
  readonly lastSentAt: number;
  readonly lastHandledAt: number | null;
  readonly problem?: string;
}

/** What a latency run offers, and how. */
export interface LatencyLoad {
  readonly rate: number;
  readonly seconds: number;
  /** Runs the paced load (here, or in the publishing processes). */
  readonly run: PacedRunner;
  /** Extra time allowed for delivery after the last send (ms). */
  readonly deadlineMs: number;
}

/** Offers a fixed rate and reads the handler's latency histogram for exactly those events. */
export async function measureLatency(target: ProbeTarget, load: LatencyLoad): Promise<LatencyResult> {
  const base = await target.report();
  const count = Math.round(load.rate * load.seconds);
  const run = await load.run({ rate: load.rate, count, deadlineMs: load.seconds * 1000 * 2 });
  const { report, delivered } = await waitForDelivery(target, base, run.sent, load.deadlineMs);
  const latency = histogramSince(report.latency, base.latency);
  const problems: string[] = [];
  if (run.error !== undefined) problems.push(`send failed: ${String(run.error)}`);
  if (run.timedOut) problems.push(`sent ${run.sent} of ${count} in time`);
  if (delivered < run.sent) problems.push(`${run.sent - delivered} of ${run.sent} events not handled in time`);
  if (histogramCount(latency) !== delivered) problems.push('latency samples do not match deliveries');
  return {
    p50: quantile(latency, 0.5),
    p99: quantile(latency, 0.99),
    achievedRate: run.achievedRate,
    maxLagMs: run.maxLagMs,
    sent: run.sent,
    delivered,
    startedAt: run.startedAt,
    lastSentAt: run.lastSentAt,
    lastHandledAt: report.lastAt,
    ...(problems.length > 0 ? { problem: problems.join('; ') } : {}),
  };
}

/**
 * A system's fixed-rate runs, the same for every system: at each of the plan's rates one
 * unmeasured run, then `plan.repeats` measured ones recorded as
 * `<prefix>.latency.<rate>.{p50,p99,offered}`. The unmeasured run is there because a
 * paced load takes other paths than a throughput run (one event per commit and per
 * frame), which V8 compiles during its first seconds at that rate.
 */
export async function fixedRateRuns(
  plan: SuitePlan,
  progress: Progress,
  book: FigureBook,
  system: { readonly label: string; readonly prefix: string; readonly target: ProbeTarget; readonly runner: PacedRunner },
): Promise<void> {
  for (const rate of plan.latencyRates) {
    const run = (): Promise<LatencyResult> =>
      measureLatency(system.target, { rate, seconds: plan.latencySeconds, run: system.runner, deadlineMs: plan.deliveryDeadlineMs });
    await run();
    for (let r = 1; r <= plan.repeats; r++) {
      const result = await run();
      const id = `${system.prefix}.latency.${rate}`;
      book.add(`${id}.p50`, 'ms', result.p50, result.problem);
      book.add(`${id}.p99`, 'ms', result.p99, result.problem);
      book.add(`${id}.offered`, 'events/s', result.achievedRate);
      progress(
        `${system.label}: ${formatCount(rate)}/s run ${r}/${plan.repeats}: p50 ${result.p50?.toFixed(3)} ms, p99 ${result.p99?.toFixed(3)} ms ` +
          `(offered ${formatCount(result.achievedRate)}/s, sender lag ≤ ${result.maxLagMs.toFixed(1)} ms)${result.problem ? ` (${result.problem})` : ''}`,
      );
    }
  }
}

/** Counted traffic, summed over however many proxies a system's links go through. */
export interface TrafficMeter {
  reset(): void;
  read(): ProxyTraffic;
}

/** A wire run's outcome, per event published. */
export interface WireResult {
  /** Bytes in both directions on every counted link, per event published. */
  readonly bytesPerEvent: number;
  /** Messages in both directions on every counted link, per event published. */
  readonly messagesPerEvent: number;
  readonly sent: number;
  readonly delivered: number;
  readonly traffic: ProxyTraffic;
  readonly problem?: string;
}

/**
 * Offers a fixed rate through the meter's proxies and divides what they counted by the
 * events sent. `settle` runs before the counters are read: it waits for what follows
 * delivery on the wire (acknowledgements, replication to nodes other than the probe's).
 */
export async function measureWire(
  target: ProbeTarget,
  meter: TrafficMeter,
  load: LatencyLoad,
  settle: () => Promise<void> = async () => {},
): Promise<WireResult> {
  meter.reset();
  const latency = await measureLatency(target, load);
  await settle();
  const traffic = meter.read();
  const sent = Math.max(1, latency.sent);
  return {
    bytesPerEvent: (traffic.bytesUp + traffic.bytesDown) / sent,
    messagesPerEvent: (traffic.messagesUp + traffic.messagesDown) / sent,
    sent: latency.sent,
    delivered: latency.delivered,
    traffic,
    ...(latency.problem ? { problem: latency.problem } : {}),
  };
}
