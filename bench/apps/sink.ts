/**
 * The benchmark app: one `sink` service on node `rx` that handles every benchmark event.
 * Its handler hands each event to the same instrument the ceiling and Moleculer
 * receivers use, a `DeliveryProbe` (count, first and last handling time,
 * publish-to-handler latency histogram), which the harness reads over the IPC channel
 * of the sink's process (`troupe-publisher.ts`). The machine itself keeps a count in
 * its context, like a small business state that is persisted with every commit; the
 * instrument stays outside it, so that its histogram is not persisted with every batch.
 *
 * Troupe machines take time from the event (`ts`), never from a clock, so that they are
 * deterministic. This one deliberately reads the wall clock: what it measures is when
 * the handler ran, which no event field can say. Its readings describe the run, not
 * business state, and the host restores snapshots rather than replaying events, so
 * nothing is ever re-measured.
 */
import { assign, setup } from 'xstate';
import { defineApp, type ServiceEvent } from '../../runtime/service.js';
import { DeliveryProbe } from '../delivery-probe.js';
import { BENCH_EVENT_TYPE, type BenchData } from '../payload.js';

/** The node that hosts the sink; every other node in a benchmark cluster only publishes and relays. */
export const SINK_NODE_ID = 'rx';

/** The deliveries the sink has handled in this process. */
export const sinkProbe = new DeliveryProbe();

/** The sink's context: how many events it has handled, ever. */
export interface SinkContext {
  readonly count: number;
}

/** Counts each benchmark event and hands it to the probe. */
export const sinkMachine = setup({
  types: { context: {} as SinkContext, events: {} as ServiceEvent },
  actions: {
    observe: ({ event }) => sinkProbe.observe((event.data as BenchData).sentAt),
    count: assign(({ context }) => ({ count: context.count + 1 })),
  },
}).createMachine({
  id: 'sink',
  context: { count: 0 },
  on: { [BENCH_EVENT_TYPE]: { actions: ['observe', 'count'] } },
});

/** The benchmark app. */
export default defineApp({
  name: 'bench',
  services: [{ name: 'sink', machine: sinkMachine, on: [BENCH_EVENT_TYPE] }],
  placement: { [SINK_NODE_ID]: ['sink'] },
});
