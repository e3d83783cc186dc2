/**
 * Payment: one actor per order id, deciding once whether the reserved order is paid.
 *
 * On `InventoryReserved` it captures the amount (`PaymentCaptured`, which starts
 * shipping) or declines it (`PaymentDeclined`, which makes inventory release the stock
 * and the order cancel). Amounts above {@link paymentLimit} are declined, standing in for
 * a card that bounces; so is an amount that is not a usable number. Both outcomes are
 * final, so a repeated `InventoryReserved` cannot charge twice.
 *
 * ```
 * awaiting ─InventoryReserved─▶ captured   (amount ≤ limit)
 *                          └──▶ declined   (amount > limit, or malformed)
 * ```
 *
 * Pure XState: it imports nothing from troupe, takes time from `event.ts`, and publishes
 * with `emit`, so any XState tool can run or draw it.
 */
import { assertEvent, assign, emit, setup } from 'xstate';

/** The largest amount payment captures; anything above is declined. */
export const paymentLimit = 1000;

/** What `InventoryReserved` is expected to carry; guards check it at runtime. */
export interface InventoryReservedData {
  readonly orderId: string;
  readonly amount: number;
  readonly shipDelayMs?: number;
}

/** The one event payment reacts to. */
export type PaymentEvent = { readonly type: 'InventoryReserved'; readonly data: InventoryReservedData; readonly ts: number };

/** What payment publishes. */
export type PaymentEmitted =
  | { readonly type: 'PaymentCaptured'; readonly data: { readonly orderId: string; readonly amount: number; readonly shipDelayMs?: number } }
  | { readonly type: 'PaymentDeclined'; readonly data: { readonly orderId: string; readonly amount: unknown; readonly reason: string } };

/** The decision, as `GET /actors` shows it. Times are event times (`ts`, ms). */
export interface PaymentContext {
  readonly orderId: string | null;
  /** As received; kept even when it is not a number, so a decline shows what was sent. */
  readonly amount: unknown;
  /** Why payment was declined; `null` otherwise. */
  readonly reason: string | null;
  readonly decidedAt: number | null;
}

/** The input every actor gets: the order id it is keyed by. */
export interface PaymentInput {
  readonly key: string | undefined;
}

/** The fields of an event's `data`, or an empty record when it has none. */
function fieldsOf(data: unknown): Record<string, unknown> {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
}

/** Whether `amount` is something a payment could be taken for. */
function isUsableAmount(amount: unknown): amount is number {
  return typeof amount === 'number' && Number.isFinite(amount) && amount >= 0;
}

/** Why the payment is declined, or `undefined` when it is captured. */
function declineReason(data: unknown): string | undefined {
  const { amount } = fieldsOf(data);
  if (!isUsableAmount(amount)) return 'invalid amount: must be a non-negative number';
  if (amount > paymentLimit) return `amount ${amount} exceeds the limit of ${paymentLimit}`;
  return undefined;
}

/**
 * The payment service's machine (`id: 'payment'`). Create it with `input: { key: orderId }`.
 *
 * @example
 * const payment = createActor(paymentMachine, { input: { key: 'o-1' } });
 * payment.on('*', (e) => console.log(e.type, e.data));
 * payment.start();
 * payment.send({ type: 'InventoryReserved', data: { orderId: 'o-1', amount: 40 }, ts: Date.now() });
 */
export const paymentMachine = setup({
  types: {
    context: {} as PaymentContext,
    events: {} as PaymentEvent,
    input: {} as PaymentInput,
    emitted: {} as PaymentEmitted,
  },
  guards: {
    isPayable: ({ event }) => declineReason(event.data) === undefined,
  },
  actions: {
    recordDecision: assign(({ context, event }) => {
      assertEvent(event, 'InventoryReserved');
      const { orderId, amount } = fieldsOf(event.data);
      return {
        // The key is the order id; the event's own copy wins only if the key is missing.
        orderId: context.orderId ?? (typeof orderId === 'string' ? orderId : null),
        amount: amount ?? null,
        reason: declineReason(event.data) ?? null,
        decidedAt: event.ts,
      };
    }),
    announceCaptured: emit(({ context, event }) => {
      assertEvent(event, 'InventoryReserved');
      const { shipDelayMs } = event.data;
      // The delay is shipping's business; payment only carries it along.
      return {
        type: 'PaymentCaptured' as const,
        data: { orderId: context.orderId as string, amount: context.amount as number, ...(shipDelayMs === undefined ? {} : { shipDelayMs }) },
      };
    }),
    announceDeclined: emit(({ context }) => ({
      type: 'PaymentDeclined' as const,
      data: { orderId: context.orderId as string, amount: context.amount, reason: context.reason as string },
    })),
  },
}).createMachine({
  id: 'payment',
  context: ({ input }) => ({ orderId: input.key ?? null, amount: null, reason: null, decidedAt: null }),
  initial: 'awaiting',
  states: {
    awaiting: {
      on: {
        InventoryReserved: [
          { guard: 'isPayable', target: 'captured', actions: ['recordDecision', 'announceCaptured'] },
          { target: 'declined', actions: ['recordDecision', 'announceDeclined'] },
        ],
      },
    },
    captured: { type: 'final' },
    declined: { type: 'final' },
  },
});
