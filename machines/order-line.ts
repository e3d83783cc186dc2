/**
 * The order line every event of the orders choreography carries: what is ordered, for how
 * much, and how long shipping prepares it. Plain types, shared by the machines.
 */

/** What `OrderPlaced` and `OrderCreated` are expected to carry; guards check it at runtime. */
export interface OrderLine {
  readonly orderId: string;
  readonly sku: string;
  readonly qty: number;
  readonly amount: number;
  /** How long shipping prepares the parcel; carried along by every later event. */
  readonly shipDelayMs?: number;
}
