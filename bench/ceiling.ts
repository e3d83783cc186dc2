/**
 * The ceilings: what the stack troupe is built on can do at best, between this process
 * and a receiver process (`ceiling-receiver.ts`) that only decodes and counts.
 *
 * - `frame`: bare `ws` + msgpackr, one event per WebSocket message;
 * - `batch`: the same, up to `BATCH_SIZE` events per message;
 * - `post`: one `POST /events` (JSON) per event to a bare `node:http` server, with as
 *   many requests in flight as the troupe runs use — the cost of the publish API itself,
 *   before any storage or replication.
 *
 * Deliberate exception to STYLE.md §2 (only `protocol/codec.ts` imports msgpackr): this
 * measures bare msgpackr, outside the product. Objects are packed as plain msgpack maps
 * (`useRecords: false`), the portable encoding, not msgpackr's record extension.
 */
import { Packr } from 'msgpackr';
import { WebSocket } from 'ws';
import { AdminClient, PUBLISH_WINDOW } from './admin-client.js';
import { cpuMicrosPerEvent, describeCpu, startCpuMeter } from './cpu-meter.js';
import type { ClockReply, ProbeReport } from './delivery-probe.js';
import { fixedRateRuns, measureThroughput, measureWire, type ProbeTarget } from './delivery-runs.js';
import { FigureBook, type FigureSet } from './figure.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { localPacedRunner } from './paced-sender.js';
import { formatCount, type Progress } from './progress.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import type { SuitePlan } from './suite-plan.js';
import { TcpProxy } from '../nodes/tcp-proxy.js';
import { createFrameCounter } from './frame-counter.js';
import { estimateClockOffset, wallClockMs } from './wall-clock.js';
import { runWindowed } from './windowed-sender.js';

/** How events travel to the receiver. */
export type CeilingMode = 'frame' | 'batch' | 'post';

/** Events per message in the batched variant. */
export const BATCH_SIZE = 100;

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

/** A receiver process. */
class Receiver {
  private constructor(
    readonly child: ChildHandle,
    readonly port: number,
    /** Spawn to listening line (ms). */
    readonly coldStartMs: number,
  ) {}

  /** Spawns a receiver and waits until it listens. */
  static async spawn(): Promise<Receiver> {
    const child = ChildHandle.start({ name: 'ceiling-rx', script: RECEIVER_SCRIPT, ipc: true });
    const ready = await child.waitForLine((line) => parseJsonLine(line)?.msg === 'listening', START_TIMEOUT_MS);
    return new Receiver(child, Number(parseJsonLine(ready.line)?.port), ready.at - child.startedAt);
  }

  /** The receiver's delivery probe, read over IPC. */
  probe(): ProbeTarget {
    return { pollMs: 10, report: () => this.child.request<ProbeReport>({ cmd: 'report' }) };
  }
}

/** The sending side of one mode. */
interface CeilingSender {
  /** Events per throughput send unit, and units in flight. */
  readonly eventsPerUnit: number;
  readonly window: number;
  /** Sends events `first … first + n − 1`; resolves when written (ws) or answered (post). */
  send(first: number, n: number): Promise<void>;
  close(): void;
}

/** Opens a sender of `mode` to `127.0.0.1:port`. */
async function openSender(mode: CeilingMode, port: number): Promise<CeilingSender> {
  if (mode === 'post') {
    // The same publisher as the troupe runs use: the same window over the same connections.
    const client = new AdminClient(`http://127.0.0.1:${port}`);
    return {
      eventsPerUnit: 1,
      window: PUBLISH_WINDOW,
      async send(first, n) {
        const posts: Promise<void>[] = [];
        for (let i = first; i < first + n; i++) posts.push(client.publish(BENCH_EVENT_TYPE, benchData(i, wallClockMs())));
        await Promise.all(posts);
      },
      close: () => client.close(),
    };
  }
  const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, handshakeTimeout: START_TIMEOUT_MS });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return {
    // Enough frames per write callback to keep the pipe full without a promise per frame.
    eventsPerUnit: 1_000,
    window: 4,
    send: (first, n) => sendOverSocket(socket, mode, first, n),
    close: () => socket.close(),
  };
}

/**
 * Sends events `first … first + n − 1` over a WebSocket, one per message or batched,
 * each stamped as it is packed. Resolves when the last message has been written.
 */
function sendOverSocket(socket: WebSocket, mode: 'frame' | 'batch', first: number, n: number): Promise<void> {
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

/**
 * Runs the ceiling benchmarks. Figure ids: `<mode>.throughput`, `<mode>.cpuPerEvent`,
 * `<mode>.latency.<rate>.p50|p99|offered`, `<mode>.wire.<rate>.bytes|messages` (WebSocket
 * modes), and `coldStart`, `clockOffset`, `eventBytes`.
 */
export async function runCeilingSuite(plan: SuitePlan, progress: Progress): Promise<FigureSet> {
  const book = new FigureBook();
  book.add('eventBytes', 'B', encodedEventBytes());

  for (let i = 0; i < plan.coldStarts; i++) {
    const receiver = await Receiver.spawn();
    book.add('coldStart', 'ms', receiver.coldStartMs);
    if (i === 0) {
      const offset = await estimateClockOffset(() =>
        receiver.child.request<ClockReply>({ cmd: 'clock' }).then((reply) => reply.now),
      );
      const bound = `±${(offset.rttMs * 500).toFixed(0)} µs`;
      book.add('clockOffset', 'µs', Math.abs(offset.offsetMs) * 1000, bound);
      progress(`ceiling: cross-process clock offset ${(offset.offsetMs * 1000).toFixed(1)} µs (${bound})`);
    }
    await receiver.child.stop();
  }

  for (const mode of ['frame', 'batch', 'post'] as const) {
    const receiver = await Receiver.spawn();
    const probe = receiver.probe();
    const sender = await openSender(mode, receiver.port);
    const events = mode === 'post' ? plan.throughputEvents.http : plan.throughputEvents.ceiling;
    const throughputRun = (count: number) =>
      measureThroughput(probe, {
        events: count,
        eventsPerUnit: sender.eventsPerUnit,
        run: () =>
          runWindowed({
            count: Math.ceil(count / sender.eventsPerUnit),
            window: sender.window,
            deadlineMs: plan.deliveryDeadlineMs,
            send: (u) => sender.send(u * sender.eventsPerUnit, Math.min(sender.eventsPerUnit, count - u * sender.eventsPerUnit)),
          }),
        deadlineMs: plan.deliveryDeadlineMs,
      });
    // Unmeasured: JIT, connections and buffers warm before the first figure, as for every system.
    await throughputRun(Math.ceil(events / 10));
    for (let r = 1; r <= plan.repeats; r++) {
      const meter = startCpuMeter([receiver.child.pid]);
      const result = await throughputRun(events);
      const cpu = meter();
      book.add(`${mode}.throughput`, 'events/s', result.eventsPerSec, result.problem);
      book.add(`${mode}.cpuPerEvent`, 'µs/event', cpuMicrosPerEvent(cpu, result.delivered));
      progress(
        `ceiling ${mode}: throughput run ${r}/${plan.repeats}: ${formatCount(result.eventsPerSec ?? 0)} events/s ` +
          `(CPU ${describeCpu(cpu, ['receiver'])})${result.problem ? ` (${result.problem})` : ''}`,
      );
    }
    await fixedRateRuns(plan, progress, book, {
      label: `ceiling ${mode}`,
      prefix: mode,
      target: probe,
      runner: localPacedRunner(mode === 'post' ? 2_048 : Number.MAX_SAFE_INTEGER, (first, n) => sender.send(first, n)),
    });
    sender.close();

    // HTTP requests are the publish API, not a link between nodes: no wire figure for `post`.
    if (mode !== 'post') {
      for (const rate of plan.wireRates) {
        const proxy = await TcpProxy.start(receiver.port, { messages: () => createFrameCounter('websocket') });
        const proxied = await openSender(mode, proxy.port);
        const wire = await measureWire(probe, { reset: () => proxy.resetCounters(), read: () => proxy.traffic() }, {
          rate,
          seconds: plan.wireSeconds,
          run: localPacedRunner(Number.MAX_SAFE_INTEGER, (first, n) => proxied.send(first, n)),
          deadlineMs: plan.deliveryDeadlineMs,
        });
        book.add(`${mode}.wire.${rate}.bytes`, 'B/event', wire.bytesPerEvent, wire.problem);
        book.add(`${mode}.wire.${rate}.messages`, 'messages/event', wire.messagesPerEvent, wire.problem);
        progress(`ceiling ${mode}: wire at ${formatCount(rate)}/s: ${wire.bytesPerEvent.toFixed(1)} B/event, ${wire.messagesPerEvent.toFixed(3)} messages/event`);
        proxied.close();
        await proxy.close();
      }
    }
    await receiver.child.stop();
  }
  return book.figures();
}
