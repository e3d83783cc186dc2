/**
 * What an app gives troupe: services (XState machines subscribed to event types), where
 * they live, and optionally a cluster layout and a demo. Apps import only these types;
 * machines import nothing from troupe.
 */
import type { AnyStateMachine } from 'xstate';
import type { SnapshotMigrations } from './snapshot-migration.js';
import type { EventVersions } from './upcasters.js';

/** The event a machine receives: the envelope's `type` and `data`, and its time. */
export interface ServiceEvent {
  readonly type: string;
  readonly data: any;
  /** The event's hybrid logical time (ms since the epoch). Machines use it, not `Date.now()`. */
  readonly ts: number;
}

/**
 * What a machine publishes with XState's `emit(...)`: `emit({ type: 'OrderCreated', data })`.
 * The host stamps it into an envelope carrying the triggering event's correlation id.
 */
export interface EmittedEvent {
  readonly type: string;
  readonly data?: unknown;
  /** The version of the type its data has. [default the newest any service of the app declares (`versions`), else 1] */
  readonly version?: number;
}

/** Input every actor is created with. */
export interface ServiceInput {
  /** The entity key for a keyed service; `undefined` for a singleton. */
  readonly key: string | undefined;
}

/**
 * A service: one XState machine subscribed to event types. With `key`, the host keeps
 * one actor per entity (one per order); without it, one singleton actor.
 */
export interface ServiceDefinition {
  readonly name: string;
  readonly machine: AnyStateMachine;
  /**
   * Event types delivered to this service. `{node}` in a type stands for the id of the node
   * hosting it, so one service placed on many devices takes each device's own events
   * (`on: ['alert.{node}']`).
   */
  readonly on: readonly string[];
  /** Picks the entity an event belongs to; an event with no key goes to the DLQ. */
  readonly key?: (event: ServiceEvent) => string | undefined;
  /**
   * Upcasters by event type and the version each produces (`{ OrderPlaced: { 2: (v1) => v2 } }`):
   * the machine always receives the newest shape (`runtime/upcasters.ts`).
   */
  readonly versions?: EventVersions;
  /**
   * Migrations of persisted snapshots by the machine version each produces (`{ 2: (v1) => v2 }`):
   * actors persisted by an older machine are migrated on restore (`runtime/snapshot-migration.ts`).
   */
  readonly migrations?: SnapshotMigrations;
}

/** What a demo (run by `troupe cluster`) may use. */
export interface DemoContext {
  /** The cluster's nodes and their admin API base URLs (`http://127.0.0.1:PORT`). */
  readonly nodes: readonly { readonly id: string; readonly url: string }[];
  /** Prints one line of progress. */
  readonly log: (line: string) => void;
  /** Aborted when the cluster stops. */
  readonly signal: AbortSignal;
  /** The cluster's admin token, to send as `Authorization: Bearer <token>` on every admin call; absent when the nodes ask for none. */
  readonly adminToken?: string;
  /**
   * Restarts node `id`: stops it (SIGTERM, SIGKILL after a grace period), empties its data
   * directory when `wipe` (its key, beside it, stays), and starts it again with the same
   * arguments, so its URL in `nodes` stays true. Resolves once it serves its admin API
   * again and its links to the peers it had are up.
   * @throws TroupeError `TROUPE_NOT_FOUND` for an id not in the cluster;
   *   `TROUPE_NODE_UNREACHABLE` when it is not back and linked within 15 s;
   *   `TROUPE_NODE_STOPPING` when the cluster stops meanwhile.
   */
  readonly restart: (id: string, options?: RestartOptions) => Promise<void>;
}

/** How `DemoContext.restart` restarts a node. */
export interface RestartOptions {
  /** Empty its data directory before it starts again, as a lost disk would. [default false] */
  readonly wipe?: boolean;
}

/** An app module's default export. */
export interface AppDefinition {
  readonly name: string;
  readonly services: readonly ServiceDefinition[];
  /** Node id → names of the services it hosts. A node not listed hosts none and only relays. */
  readonly placement: Readonly<Record<string, readonly string[]>>;
  /**
   * Node id → the event types it wants beside its services' (`--want`): such a node is
   * partial (an edge device). A node not listed wants everything. [default none listed]
   */
  readonly interest?: Readonly<Record<string, readonly string[]>>;
  /** The nodes `troupe cluster` starts for this app. */
  readonly cluster?: {
    readonly nodes: readonly string[];
    /** A gateway every other node links to, and to nothing else (an edge fleet). [default: every pair linked] */
    readonly hub?: string;
  };
  /** Run by `troupe cluster` once every node is up. */
  readonly demo?: (ctx: DemoContext) => Promise<void>;
}

/** The machine version of `service`: its highest migration's, or 1 (see `snapshot-migration.ts`). */
export function machineVersion(service: ServiceDefinition): number {
  return service.migrations === undefined ? 1 : 1 + Object.keys(service.migrations).length;
}

/** Declares an app; an identity function that gives the app its type. */
export function defineApp(app: AppDefinition): AppDefinition {
  return app;
}
