/**
 * The ceiling: bare `ws` + msgpackr between this process and a receiver process
 * (`ceiling-receiver.ts`), no storage and no ordering — the limit of the stack troupe is
 * built on. Two variants: one event per WebSocket message (`frame`), and up to
 * `BATCH_SIZE` events per message (`batch`).
 *
 * Deliberate exception to STYLE.md §2 (only `protocol/codec.ts` imports msgpackr): this
 * measures bare msgpackr, outside the product. Objects are packed as plain msgpack maps
 * (`useRecords: false`), the portable encoding, not msgpackr's record extension.
 */
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import type { ClockReply, ProbeReport } from './delivery-probe.js';
import { measureLatency, measureThroughput, measureWire, type ProbeTarget } from './delivery-runs.js';
import { FigureBook, type FigureSet } from './figure.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { formatCount, type Progress } from './progress.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import type { SuitePlan } from './suite-plan.js';
import { CountingProxy } from './tcp-proxy.js';
import { estimateClockOffset, wallClockMs } from './wall-clock.js';

/** How events are put into WebSocket messages. */
export type CeilingMode = 'frame' | 'batch';

/** Events per message in the batched variant. */
export const BATCH_SIZE = 100;

/** Events per send unit of a throughput run: enough frames per write callback to keep the pipe full. */
const EVENTS_PER_UNIT = 1_000;

const packr = new Packr({ useRecords: false });
const RECEIVER_SCRIPT = new URL('./ceiling-receiver.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 10_000;

/**
 * Size in bytes of one benchmark event's `type` and `data` as a msgpack map — the
 * payload every system carries; the wire figures are compared against it.
 */
export function encodedEventBytes(): number {
  return packr.pack({ type: BENCH_EVENT_TYPE, data: benchData(12_345, wallClockMs()) }).length;
}

/** A receiver process and a WebSocket to it (possibly through a proxy). */
class CeilingLink {
  private constructor(
    readonly receiver: ChildHandle,
    readonly port: number,
    /** Spawn to listening line (ms). */
    readonly coldStartMs: number,
  ) {}

  /** Spawns a receiver and waits until it listens. */
  static async spawn(): Promise<CeilingLink> {
    const receiver = ChildHandle.start({ name: 'ceiling-rx', script: RECEIVER_SCRIPT, ipc: true });
    const ready = await receiver.waitForLine((line) => parseJsonLine(line)?.msg === 'listening', START_TIMEOUT_MS);
    const port = Number(parseJsonLine(ready.line)?.port);
    return new CeilingLink(receiver, port, ready.at - receiver.startedAt);
  }

  /** The receiver's delivery probe, read over IPC. */
  target(): ProbeTarget {
    return {
      pollMs: 10,
      report: () => this.receiver.request<ProbeReport>({ cmd: 'report' }),
    };
  }

  async stop(): Promise<void> {
    await this.receiver.stop();
  }
}

/** Opens a WebSocket to `127.0.0.1:port`. */
async function connect(port: number): Promise<WebSocket> {
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/**
 * Sends events `first … first + n − 1` in the given mode, each stamped as it is packed.
 * Resolves when the last message has been written to the socket.
 */
function sendEvents(socket: WebSocket, mode: CeilingMode, first: number, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const written = (err?: Error): void => (err ? reject(err) : resolve());
    const end = first + n;
    if (mode === 'frame') {
      for (let i = first; i < end; i++) {
        const bytes = packr.pack({ type: BENCH_EVENT_TYPE, data: benchData(i, wallClockMs()) });
        socket.send(bytes, { binary: true }, i === end - 1 ? written : undefined);
      }
      return;
    }
    for (let start = first; start < end; start += BATCH_SIZE) {
      const stop = Math.min(end, start + BATCH_SIZE);
      const events = [];
      for (let i = start; i < stop; i++) events.push({ type: BENCH_EVENT_TYPE, data: benchData(i, wallClockMs()) });
      socket.send(packr.pack(events), { binary: true }, stop === end ? written : undefined);
    }
  });
}

/** Runs the ceiling benchmarks; figure ids are `<mode>.<figure>` plus `coldStart`, `clockOffset`, `eventBytes`. */
export async function runCeilingSuite(plan: SuitePlan, progress: Progress): Promise<FigureSet> {
  const book = new FigureBook();
  book.add('eventBytes', 'B', encodedEventBytes());

  for (let i = 0; i < plan.coldStarts; i++) {
    const link = await CeilingLink.spawn();
    book.add('coldStart', 'ms', link.coldStartMs);
    if (i === 0) {
      const offset = await estimateClockOffset(() =>
        link.receiver.request<ClockReply>({ cmd: 'clock' }).then((reply) => reply.now),
      );
      book.add('clockOffset', 'µs', Math.abs(offset.offsetMs) * 1000, `±${(offset.rttMs * 500).toFixed(0)} µs`);
      progress(`ceiling: cross-process clock offset ${(offset.offsetMs * 1000).toFixed(1)} µs (±${(offset.rttMs * 500).toFixed(0)} µs)`);
    }
    await link.stop();
  }

  for (const mode of ['frame', 'batch'] as const) {
    const link = await CeilingLink.spawn();
    const socket = await connect(link.port);
    const target = link.target();
    const events = plan.throughputEvents.ceiling;
    for (let r = 1; r <= plan.repeats; r++) {
      const result = await measureThroughput(target, {
        events,
        eventsPerUnit: EVENTS_PER_UNIT,
        window: 4,
        sendUnit: (u) => sendEvents(socket, mode, u * EVENTS_PER_UNIT, Math.min(EVENTS_PER_UNIT, events - u * EVENTS_PER_UNIT)),
        deadlineMs: plan.deliveryDeadlineMs,
      });
      book.add(`${mode}.throughput`, 'events/s', result.eventsPerSec, result.problem);
      progress(`ceiling ${mode}: throughput run ${r}/${plan.repeats}: ${formatCount(result.eventsPerSec ?? 0)} events/s${result.problem ? ` (${result.problem})` : ''}`);
    }
    for (const rate of plan.latencyRates) {
      for (let r = 1; r <= plan.repeats; r++) {
        const result = await measureLatency(target, {
          rate,
          seconds: plan.latencySeconds,
          maxInFlight: Number.MAX_SAFE_INTEGER,
          send: (first, n) => sendEvents(socket, mode, first, n),
          deadlineMs: plan.deliveryDeadlineMs,
        });
        book.add(`${mode}.latency.${rate}.p50`, 'ms', result.p50, result.problem);
        book.add(`${mode}.latency.${rate}.p99`, 'ms', result.p99, result.problem);
        book.add(`${mode}.latency.${rate}.offered`, 'events/s', result.achievedRate);
        progress(`ceiling ${mode}: ${formatCount(rate)}/s run ${r}/${plan.repeats}: p50 ${result.p50?.toFixed(3)} ms, p99 ${result.p99?.toFixed(3)} ms (offered ${formatCount(result.achievedRate)}/s)`);
      }
    }
    socket.close();

    const proxy = await CountingProxy.start(link.port, 'websocket');
    const proxied = await connect(proxy.port);
    const wire = await measureWire(target, { reset: () => proxy.resetCounters(), read: () => proxy.traffic() }, {
      rate: plan.wireRate,
      seconds: plan.wireSeconds,
      maxInFlight: Number.MAX_SAFE_INTEGER,
      send: (first, n) => sendEvents(proxied, mode, first, n),
      deadlineMs: plan.deliveryDeadlineMs,
    });
    book.add(`${mode}.wire.bytes`, 'B/event', wire.bytesPerEvent, wire.problem);
    book.add(`${mode}.wire.messages`, 'messages/event', wire.messagesPerEvent, wire.problem);
    progress(`ceiling ${mode}: wire at ${formatCount(plan.wireRate)}/s: ${wire.bytesPerEvent.toFixed(1)} B/event, ${wire.messagesPerEvent.toFixed(3)} messages/event`);
    proxied.close();
    await proxy.close();
    await link.stop();
  }
  return book.figures();
}
