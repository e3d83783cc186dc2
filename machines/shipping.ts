/**
 * Shipping: one actor per order id, the last step of the orders choreography.
 *
 * On `PaymentCaptured` it prepares the parcel for `shipDelayMs` (carried along from
 * `OrderPlaced`, else {@link defaultShipDelayMs}) and then publishes `OrderShipped`.
 *
 * ```
 * idle ─PaymentCaptured─▶ preparing ─after shipDelay─▶ shipped
 * ```
 *
 * The wait is an XState `after` transition with the named delay `shipDelay`. XState does
 * not re-arm such timers when an actor is restored from a persisted snapshot; the troupe
 * host persists and re-arms them, so a node killed while an order is `preparing` ships it
 * after it restarts. `shipAt` in the context records when the parcel is due.
 *
 * Pure XState: it imports nothing from troupe, takes time from `event.ts`, and publishes
 * with `emit`, so any XState tool can run or draw it.
 */
import { assertEvent, assign, emit, setup } from 'xstate';

/** How long a parcel is prepared when the order asked for no particular delay (ms). */
export const defaultShipDelayMs = 200;

/** The longest delay a timer can hold; Node fires longer ones at once (2^31 − 1 ms). */
const maxShipDelayMs = 2_147_483_647;

/** What `PaymentCaptured` is expected to carry; actions check it at runtime. */
export interface PaymentCapturedData {
  readonly orderId: string;
  readonly amount?: number;
  readonly shipDelayMs?: number;
}

/** The one event shipping reacts to. */
export type ShippingEvent = { readonly type: 'PaymentCaptured'; readonly data: PaymentCapturedData; readonly ts: number };

/** What shipping publishes. */
export type ShippingEmitted = { readonly type: 'OrderShipped'; readonly data: { readonly orderId: string } };

/** The parcel, as `GET /actors` shows it. Times are event times (`ts`, ms). */
export interface ShippingContext {
  readonly orderId: string | null;
  /** How long the parcel is prepared; what the `shipDelay` delay reads. */
  readonly shipDelayMs: number;
  readonly capturedAt: number | null;
  /** When the parcel is due to ship: `capturedAt + shipDelayMs`. */
  readonly shipAt: number | null;
}

/** The input every actor gets: the order id it is keyed by. */
export interface ShippingInput {
  readonly key: string | undefined;
}

/** The requested delay when it is one a timer can hold, else the default. */
function shipDelayOf(data: unknown): number {
  const value = typeof data === 'object' && data !== null ? (data as { shipDelayMs?: unknown }).shipDelayMs : undefined;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= maxShipDelayMs ? value : defaultShipDelayMs;
}

/**
 * The shipping service's machine (`id: 'shipping'`). Create it with `input: { key: orderId }`.
 *
 * @example
 * const shipping = createActor(shippingMachine, { input: { key: 'o-1' } });
 * shipping.on('OrderShipped', (e) => console.log('shipped', e.data.orderId));
 * shipping.start();
 * shipping.send({ type: 'PaymentCaptured', data: { orderId: 'o-1', shipDelayMs: 50 }, ts: Date.now() });
 */
export const shippingMachine = setup({
  types: {
    context: {} as ShippingContext,
    events: {} as ShippingEvent,
    input: {} as ShippingInput,
    emitted: {} as ShippingEmitted,
  },
  delays: {
    shipDelay: ({ context }) => context.shipDelayMs,
  },
  actions: {
    recordCapture: assign(({ context, event }) => {
      assertEvent(event, 'PaymentCaptured');
      const { orderId } = event.data ?? {};
      const shipDelayMs = shipDelayOf(event.data);
      return {
        // The key is the order id; the event's own copy is used only if the key is missing.
        orderId: context.orderId ?? (typeof orderId === 'string' ? orderId : null),
        shipDelayMs,
        capturedAt: event.ts,
        shipAt: event.ts + shipDelayMs,
      };
    }),
    announceShipped: emit(({ context }) => ({
      type: 'OrderShipped' as const,
      data: { orderId: context.orderId as string },
    })),
  },
}).createMachine({
  id: 'shipping',
  context: ({ input }) => ({ orderId: input.key ?? null, shipDelayMs: defaultShipDelayMs, capturedAt: null, shipAt: null }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        PaymentCaptured: { target: 'preparing', actions: 'recordCapture' },
      },
    },
    preparing: {
      after: {
        shipDelay: { target: 'shipped', actions: 'announceShipped' },
      },
    },
    shipped: { type: 'final' },
  },
});
