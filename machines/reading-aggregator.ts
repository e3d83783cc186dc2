/**
 * The reading aggregator: one actor per device, on a gateway. It keeps a device's count,
 * mean and last reading, and when a reading crosses `threshold` (carried in the reading,
 * else {@link defaultThreshold}) it publishes an alert meant for that device alone,
 * `alert.<device>`; a reading back under the threshold re-arms it. A device acknowledges
 * an alert with `alert.ack`.
 *
 * ```
 * normal ─reading over threshold / emit alert.<device>─▶ alerting ─reading under─▶ normal
 * ```
 *
 * Pure XState: it imports nothing from troupe and publishes with `emit`.
 */
import { assign, emit, setup } from 'xstate';

/** The threshold when a reading names none. */
export const defaultThreshold = 80;

/** A reading, as a device publishes it. */
export interface ReadingData {
  readonly device: string;
  readonly value: number;
  readonly threshold?: number;
}

/** What the aggregator takes. */
export type AggregatorEvent =
  | { readonly type: 'reading'; readonly data: ReadingData; readonly ts: number }
  | { readonly type: 'alert.ack'; readonly data: { readonly device: string }; readonly ts: number };

/** One device's aggregate, as `GET /actors` shows it. */
export interface AggregatorContext {
  readonly device: string | null;
  readonly count: number;
  readonly sum: number;
  readonly last: number | null;
  readonly alerts: number;
  readonly acknowledged: number;
}

function valueOf(data: unknown): number {
  const value = typeof data === 'object' && data !== null ? (data as { value?: unknown }).value : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function thresholdOf(data: unknown): number {
  const t = typeof data === 'object' && data !== null ? (data as { threshold?: unknown }).threshold : undefined;
  return typeof t === 'number' && Number.isFinite(t) ? t : defaultThreshold;
}

function deviceOf(data: unknown): string {
  const d = typeof data === 'object' && data !== null ? (data as { device?: unknown }).device : undefined;
  return typeof d === 'string' ? d : '';
}

/** The aggregator machine. */
export const readingAggregatorMachine = setup({
  types: {
    context: {} as AggregatorContext,
    events: {} as AggregatorEvent,
    emitted: {} as { readonly type: `alert.${string}`; readonly data: { readonly device: string; readonly value: number; readonly reading: number } },
  },
  guards: {
    over: ({ event }) => event.type === 'reading' && valueOf(event.data) > thresholdOf(event.data),
  },
  actions: {
    record: assign(({ context, event }) => {
      const value = valueOf(event.data);
      return { device: deviceOf(event.data), count: context.count + 1, sum: context.sum + value, last: value };
    }),
    alert: emit(({ context }) => ({
      type: `alert.${context.device ?? ''}` as const,
      data: { device: context.device ?? '', value: context.last ?? 0, reading: context.count },
    })),
    countAlert: assign(({ context }) => ({ alerts: context.alerts + 1 })),
    countAck: assign(({ context }) => ({ acknowledged: context.acknowledged + 1 })),
  },
}).createMachine({
  id: 'readingAggregator',
  context: { device: null, count: 0, sum: 0, last: null, alerts: 0, acknowledged: 0 },
  initial: 'normal',
  on: { 'alert.ack': { actions: 'countAck' } },
  states: {
    normal: {
      on: {
        reading: [
          { guard: 'over', target: 'alerting', actions: ['record', 'alert', 'countAlert'] },
          { actions: 'record' },
        ],
      },
    },
    alerting: {
      on: {
        reading: [{ guard: 'over', actions: 'record' }, { target: 'normal', actions: 'record' }],
      },
    },
  },
});
