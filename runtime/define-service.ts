/**
 * Typed services: {@link defineService} reads the event types a machine declares with
 * XState's `setup({ types: { events, emitted } })` and checks a service against them at
 * compile time. An `on` list naming a type the machine does not accept, or a `key`
 * function reading a field those events lack, does not compile. What the machine emits
 * is typed too ({@link EmittedBy}). Upcasters (`versions`) may name only types in `on`,
 * and a type's newest upcaster must return the data its machine's event declares. At
 * run time it is an identity function: the host still delivers whatever arrives off the
 * wire, so machines keep reading data defensively.
 */
import type { AnyStateMachine, EmittedFrom, EventFromLogic } from 'xstate';
import type { ServiceDefinition } from './service.js';
import type { SnapshotMigrations } from './snapshot-migration.js';
import type { EventVersions, Upcaster } from './upcasters.js';

/** The event types `machine` accepts, as its `setup({ types: { events } })` declares them. */
export type AcceptedType<TMachine extends AnyStateMachine> = EventFromLogic<TMachine>['type'];

/** The events of `machine` whose type is one of `TType`: what a service's `key` is given. */
export type AcceptedEvent<TMachine extends AnyStateMachine, TType extends string> = Extract<EventFromLogic<TMachine>, { readonly type: TType }>;

/** The data of the events of type `TType` as `machine` declares them. */
export type AcceptedData<TMachine extends AnyStateMachine, TType extends string> = AcceptedEvent<TMachine, TType> extends { readonly data: infer D } ? D : unknown;

/** The highest of the version numbers `K` (2 to 64 are looked for), or 1. */
type Highest<K, Seen extends unknown[] = [unknown, unknown], Found extends number = 1> = Seen['length'] extends 65
  ? Found
  : Highest<K, [...Seen, unknown], Seen['length'] extends K ? Seen['length'] : Found>;

/**
 * Upcasters checked against the machine: keyed by types in `on` only, and each type's
 * newest upcaster returning the data the machine's event of that type declares.
 */
export type TypedVersions<TMachine extends AnyStateMachine, TType extends string, TVersions> = {
  readonly [T in keyof TVersions]: T extends TType
    ? { readonly [V in keyof TVersions[T]]: V extends Highest<keyof TVersions[T]> ? (previous: any) => AcceptedData<TMachine, T> : Upcaster }
    : never;
};

/** What a typed service is declared with: {@link ServiceDefinition}, checked against its machine. */
export interface TypedServiceSpec<TMachine extends AnyStateMachine, TType extends AcceptedType<TMachine>, TVersions extends EventVersions = {}> {
  readonly name: string;
  readonly machine: TMachine;
  /** Event types delivered to this service: each must be one the machine accepts. */
  readonly on: readonly TType[];
  /** Picks the entity an event belongs to, from the events named in `on` as the machine types them. */
  readonly key?: (event: AcceptedEvent<TMachine, TType>) => string | undefined;
  /** Upcasters by event type and the version each produces: `{ OrderPlaced: { 2: (v1) => v2 } }` (`runtime/upcasters.ts`). */
  readonly versions?: TVersions & TypedVersions<TMachine, TType, TVersions>;
  /** Migrations of persisted snapshots by the machine version each produces (`runtime/snapshot-migration.ts`). */
  readonly migrations?: SnapshotMigrations;
}

/**
 * A service whose machine and subscriptions are known to the type system. It is a
 * {@link ServiceDefinition}, so `defineApp` takes it as it is; {@link ConsumedBy} and
 * {@link EmittedBy} read its event types back.
 */
export interface TypedService<TMachine extends AnyStateMachine, TType extends AcceptedType<TMachine>> extends ServiceDefinition {
  readonly machine: TMachine;
  readonly on: readonly TType[];
}

/** The events a typed service is delivered. */
export type ConsumedBy<TService> = TService extends TypedService<infer TMachine, infer TType> ? AcceptedEvent<TMachine, TType> : never;

/** The events a typed service's machine publishes with `emit(...)`. */
export type EmittedBy<TService> = TService extends TypedService<infer TMachine, infer _TType> ? EmittedFrom<TMachine> : never;

/**
 * Declares a service of an XState machine, checked against the event types the machine
 * declares: `on` may name only types it accepts, and `key` gets those events as typed.
 *
 * @example
 * const payment = defineService({
 *   name: 'payment',
 *   machine: paymentMachine,
 *   on: ['InventoryReserved'],
 *   key: (event) => event.data.orderId,
 * });
 * // on: ['InventoryReserve'] or key: (event) => event.data.customerId do not compile.
 *
 * @example
 * // OrderPlaced v1 had `sku`; the packer's machine takes `lines`. Old events are upcast.
 * const packer = defineService({
 *   name: 'packer',
 *   machine: packerMachine,
 *   on: ['OrderPlaced'],
 *   versions: { OrderPlaced: { 2: (v1: { orderId: string; sku: string }) => ({ orderId: v1.orderId, lines: [{ sku: v1.sku, qty: 1 }] }) } },
 * });
 */
export function defineService<TMachine extends AnyStateMachine, const TType extends AcceptedType<TMachine>, const TVersions extends EventVersions = {}>(
  spec: TypedServiceSpec<TMachine, TType, TVersions>,
): TypedService<TMachine, TType> {
  // The host delivers a service only the types in `on`, so the key function sees only
  // those; it is typed as a plain ServiceDefinition's key for the host, which does not
  // know machines' types.
  return spec as TypedService<TMachine, TType>;
}
