/**
 * The benchmark app: one `sink` service on node `rx` that handles every benchmark event.
 * Its machine is the measuring instrument of the troupe runs — it keeps in its context
 * exactly what `DeliveryProbe` keeps for the ceiling and Moleculer receivers (count,
 * first and last handling time, publish-to-handler latency histogram), and the harness
 * reads it with `GET /actors`.
 *
 * Troupe machines take time from the event (`ts`), never from a clock, so that they are
 * deterministic. This one deliberately reads the wall clock: what it measures is when
 * the handler ran, which no event field can say. Its readings describe the run, not
 * business state, and the host restores snapshots rather than replaying events, so
 * nothing is ever re-measured.
 */
import { assign, setup } from 'xstate';
import { defineApp, type ServiceEvent } from '../../runtime/service.js';
import { recordLatency, type LatencyHistogram } from '../latency-histogram.js';
import { BENCH_EVENT_TYPE, type BenchData } from '../payload.js';
import { wallClockMs } from '../wall-clock.js';

/** The node that hosts the sink; every other node in a benchmark cluster only publishes and relays. */
export const SINK_NODE_ID = 'rx';

/** The sink's context: what its handler has seen. */
export interface SinkContext {
  readonly count: number;
  readonly firstAt: number | null;
  readonly lastAt: number | null;
  readonly latency: LatencyHistogram;
}

/** Counts each benchmark event and its publish-to-handler latency. */
export const sinkMachine = setup({
  types: { context: {} as SinkContext, events: {} as ServiceEvent },
  actions: {
    observe: assign(({ context, event }) => {
      const now = wallClockMs();
      // Updated in place: copying the histogram per event would make the instrument's
      // cost grow with its bucket count and weigh on the very figure it measures.
      recordLatency(context.latency, now - (event.data as BenchData).sentAt);
      return { count: context.count + 1, firstAt: context.firstAt ?? now, lastAt: now };
    }),
  },
}).createMachine({
  id: 'sink',
  context: { count: 0, firstAt: null, lastAt: null, latency: {} },
  on: { [BENCH_EVENT_TYPE]: { actions: 'observe' } },
});

/** The benchmark app. */
export default defineApp({
  name: 'bench',
  services: [{ name: 'sink', machine: sinkMachine, on: [BENCH_EVENT_TYPE] }],
  placement: { [SINK_NODE_ID]: ['sink'] },
});
