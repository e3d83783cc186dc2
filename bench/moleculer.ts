/**
 * Moleculer 0.15 — what a Node user picks today for events between services: a broker
 * in this process emits the benchmark event with `broker.emit`, and a `sink` service on
 * a broker in a second process (`moleculer-receiver.ts`) handles it. Brokerless TCP
 * transporter, static `urls` on 127.0.0.1, no UDP discovery (see `moleculer-options.ts`;
 * the loopback guard enforces it in both processes). Fire-and-forget: nothing is stored,
 * acknowledged or ordered beyond what one TCP connection gives.
 */
import { ServiceBroker } from 'moleculer';
import { cpuMicrosPerEvent, describeCpu, startCpuMeter } from './cpu-meter.js';
import type { ProbeReport } from './delivery-probe.js';
import { fixedRateRuns, measureThroughput, measureWire, type ProbeTarget } from './delivery-runs.js';
import { FigureBook, type FigureSet } from './figure.js';
import { freePort } from './free-port.js';
import { moleculerBrokerOptions, type MoleculerEndpoint } from './moleculer-options.js';
import { localPacedRunner } from './paced-sender.js';
import { BENCH_EVENT_TYPE, benchData } from './payload.js';
import { formatCount, type Progress } from './progress.js';
import { ChildHandle, parseJsonLine } from './spawn-child.js';
import type { SuitePlan } from './suite-plan.js';
import { TcpProxy } from '../nodes/tcp-proxy.js';
import { createFrameCounter } from './frame-counter.js';
import { wallClockMs } from './wall-clock.js';
import { runWindowed } from './windowed-sender.js';

const RECEIVER_SCRIPT = new URL('./moleculer-receiver.js', import.meta.url).pathname;
const START_TIMEOUT_MS = 15_000;
const SENDER = 'tx';
const RECEIVER = 'rx';

/** Emits per throughput send unit; `window` units stay in flight. */
const EMITS_PER_UNIT = 100;

/** The receiver process and the sender broker. */
interface MoleculerPair {
  readonly receiver: ChildHandle;
  readonly broker: ServiceBroker;
  readonly coldStartMs: number;
}

/**
 * Starts the receiver process and the sender broker, each told the other's address as
 * `senderSees`/`receiverSees` (a proxy's port, for the wire run), and waits until the
 * sender sees the `sink` service.
 */
async function startPair(
  ports: { readonly tx: number; readonly rx: number },
  senderSees: number = ports.rx,
  receiverSees: number = ports.tx,
): Promise<MoleculerPair> {
  const endpointsArg = `${SENDER}:${receiverSees},${RECEIVER}:${ports.rx}`;
  const receiver = ChildHandle.start({
    name: 'moleculer-rx',
    script: RECEIVER_SCRIPT,
    args: [RECEIVER, String(ports.rx), endpointsArg],
    ipc: true,
  });
  const ready = await receiver.waitForLine((line) => parseJsonLine(line)?.msg === 'listening', START_TIMEOUT_MS);
  const senderEndpoints: MoleculerEndpoint[] = [
    { nodeID: SENDER, port: ports.tx },
    { nodeID: RECEIVER, port: senderSees },
  ];
  const broker = new ServiceBroker(moleculerBrokerOptions(SENDER, senderEndpoints));
  await broker.start();
  await broker.waitForServices('sink', START_TIMEOUT_MS);
  return { receiver, broker, coldStartMs: ready.at - receiver.startedAt };
}

async function stopPair(pair: MoleculerPair): Promise<void> {
  await pair.broker.stop();
  await pair.receiver.stop();
}

function probeOf(pair: MoleculerPair): ProbeTarget {
  return { pollMs: 10, report: () => pair.receiver.request<ProbeReport>({ cmd: 'report' }) };
}

/** Emits events `first … first + n − 1`; resolves when the transporter has written them all. */
async function emitEvents(broker: ServiceBroker, first: number, n: number): Promise<void> {
  const emits: Promise<void>[] = [];
  for (let i = first; i < first + n; i++) emits.push(broker.emit(BENCH_EVENT_TYPE, benchData(i, wallClockMs())));
  await Promise.all(emits);
}

/**
 * Runs the Moleculer benchmarks. Figure ids: `emit.throughput`, `emit.cpuPerEvent`,
 * `emit.latency.<rate>.p50|p99|offered`, `emit.wire.<rate>.bytes|messages`, `coldStart`.
 */
export async function runMoleculerSuite(plan: SuitePlan, progress: Progress): Promise<FigureSet> {
  const book = new FigureBook();
  const ports = { tx: await freePort(), rx: await freePort() };
  const pair = await startPair(ports);
  book.add('coldStart', 'ms', pair.coldStartMs);
  const target = probeOf(pair);
  const events = plan.throughputEvents.moleculer;
  const throughputRun = (count: number) =>
    measureThroughput(target, {
      events: count,
      eventsPerUnit: EMITS_PER_UNIT,
      run: () =>
        runWindowed({
          count: Math.ceil(count / EMITS_PER_UNIT),
          window: 10,
          deadlineMs: plan.deliveryDeadlineMs,
          send: (u) => emitEvents(pair.broker, u * EMITS_PER_UNIT, Math.min(EMITS_PER_UNIT, count - u * EMITS_PER_UNIT)),
        }),
      deadlineMs: plan.deliveryDeadlineMs,
    });
  // Unmeasured: JIT, connections and buffers warm before the first figure, as for every system.
  await throughputRun(Math.ceil(events / 10));
  for (let r = 1; r <= plan.repeats; r++) {
    const meter = startCpuMeter([pair.receiver.pid]);
    const result = await throughputRun(events);
    const cpu = meter();
    book.add('emit.throughput', 'events/s', result.eventsPerSec, result.problem);
    book.add('emit.cpuPerEvent', 'µs/event', cpuMicrosPerEvent(cpu, result.delivered));
    progress(
      `moleculer: throughput run ${r}/${plan.repeats}: ${formatCount(result.eventsPerSec ?? 0)} events/s ` +
        `(CPU ${describeCpu(cpu, ['receiver'])})${result.problem ? ` (${result.problem})` : ''}`,
    );
  }
  await fixedRateRuns(plan, progress, book, {
    label: 'moleculer',
    prefix: 'emit',
    target,
    runner: localPacedRunner(10_000, (first, n) => emitEvents(pair.broker, first, n)),
  });
  await stopPair(pair);

  for (let i = 1; i < plan.coldStarts; i++) {
    const again = await startPair({ tx: await freePort(), rx: await freePort() });
    book.add('coldStart', 'ms', again.coldStartMs);
    await stopPair(again);
  }

  // Wire: a fresh pair whose every link runs through a counting proxy — the sender's
  // socket to the receiver (events) and the receiver's socket to the sender (gossip).
  const wirePorts = { tx: await freePort(), rx: await freePort() };
  const toReceiver = await TcpProxy.start(wirePorts.rx, { messages: () => createFrameCounter('moleculer') });
  const toSender = await TcpProxy.start(wirePorts.tx, { messages: () => createFrameCounter('moleculer') });
  const wirePair = await startPair(wirePorts, toReceiver.port, toSender.port);
  const proxies = [toReceiver, toSender];
  const meter = {
    reset: () => proxies.forEach((proxy) => proxy.resetCounters()),
    read: () => {
      const [a, b] = proxies.map((proxy) => proxy.traffic());
      return {
        bytesUp: a.bytesUp + b.bytesUp,
        bytesDown: a.bytesDown + b.bytesDown,
        messagesUp: a.messagesUp + b.messagesUp,
        messagesDown: a.messagesDown + b.messagesDown,
      };
    },
  };
  for (const rate of plan.wireRates) {
    const wire = await measureWire(probeOf(wirePair), meter, {
      rate,
      seconds: plan.wireSeconds,
      run: localPacedRunner(10_000, (first, n) => emitEvents(wirePair.broker, first, n)),
      deadlineMs: plan.deliveryDeadlineMs,
    });
    // Guards against the transporter reconnecting straight to the announced port.
    const eventsThroughProxy = toReceiver.traffic().messagesUp;
    const bypassed = eventsThroughProxy < wire.sent ? `only ${eventsThroughProxy} of ${wire.sent} events crossed the proxy` : undefined;
    book.add(`emit.wire.${rate}.bytes`, 'B/event', wire.bytesPerEvent, bypassed ?? wire.problem);
    book.add(`emit.wire.${rate}.messages`, 'messages/event', wire.messagesPerEvent, bypassed ?? wire.problem);
    progress(
      `moleculer: wire at ${formatCount(rate)}/s: ${wire.bytesPerEvent.toFixed(1)} B/event, ` +
        `${wire.messagesPerEvent.toFixed(3)} messages/event${bypassed ? ` (${bypassed})` : ''}`,
    );
  }
  await stopPair(wirePair);
  await Promise.all(proxies.map((proxy) => proxy.close()));
  return book.figures();
}
