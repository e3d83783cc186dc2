/**
 * The alert sensor: the singleton on a device that reacts to the alerts meant for it
 * (`alert.<its device>`, which the app subscribes it to with `alert.{node}`). It counts
 * them, keeps the last, and acknowledges each with `alert.ack`.
 *
 * ```
 * quiet ─alert.*─▶ alarmed (each alert: emit alert.ack)
 * ```
 *
 * Pure XState: it imports nothing from troupe and publishes with `emit`.
 */
import { assign, emit, setup } from 'xstate';

/** An alert, as the gateway's aggregator publishes it. */
export interface AlertData {
  readonly device: string;
  readonly value: number;
  readonly reading: number;
}

/** What the sensor takes: any `alert.<device>`. */
export type SensorEvent = { readonly type: `alert.${string}`; readonly data: AlertData; readonly ts: number };

/** The sensor's state, as `GET /actors` shows it. */
export interface SensorContext {
  readonly alerts: number;
  readonly last: AlertData | null;
}

/** The sensor machine. */
export const alertSensorMachine = setup({
  types: {
    context: {} as SensorContext,
    events: {} as SensorEvent,
    emitted: {} as { readonly type: 'alert.ack'; readonly data: { readonly device: string; readonly reading: number } },
  },
  actions: {
    note: assign(({ context, event }) => ({ alerts: context.alerts + 1, last: event.data })),
    acknowledge: emit(({ event }) => ({
      type: 'alert.ack' as const,
      data: { device: String((event.data as Partial<AlertData> | null)?.device ?? ''), reading: Number((event.data as Partial<AlertData> | null)?.reading ?? 0) },
    })),
  },
}).createMachine({
  id: 'alertSensor',
  context: { alerts: 0, last: null },
  initial: 'quiet',
  on: { 'alert.*': { target: '.alarmed', actions: ['note', 'acknowledge'] } },
  states: { quiet: {}, alarmed: {} },
});
