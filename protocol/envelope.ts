/**
 * The event envelope: what one event is, everywhere in troupe.
 *
 * `origin` and `seq` identify an event (its `id` is derived as `origin:seq` and never
 * travels on the wire). `vc[origin] === seq`, and `vc[k]` for every other origin k is how
 * many of k's events the origin had delivered when it published, so the event causally
 * follows everything its origin had seen.
 */
import { isOrigin } from './origin.js';

/** A vector clock: origin (`origin.ts`) → count of that origin's events. A missing entry is 0. */
export type VectorClock = Record<string, number>;

/** The schema version of the envelope written by this code. */
export const ENVELOPE_SCHEMA = 1;

/** One event as the fabric, the store and the admin API see it. */
export interface Envelope {
  /** `origin:seq`; unique across the cluster, derived, not on the wire. */
  readonly id: string;
  readonly type: string;
  readonly data: unknown;
  /** Who stamped the event: its node and that node's incarnation, `n1~V1StGX` (see `origin.ts`). */
  readonly origin: string;
  /** 1, 2, 3 … per origin. */
  readonly seq: number;
  readonly vc: VectorClock;
  /** Shared by every event of one workflow: the id of the event that started it, unless the publisher names it. */
  readonly correlationId: string;
  /** Id of the event whose handling published this one; null for an external publish. */
  readonly causationId: string | null;
  /** Hybrid logical time in ms since the epoch: never behind any event it follows causally. */
  readonly ts: number;
  /** Envelope schema version. */
  readonly schema: number;
  /**
   * The version of the event's type, the shape of its `data` (see `runtime/upcasters.ts`):
   * absent for version 1, which is also what every event written before versions were.
   */
  readonly version?: number;
}

/**
 * An event as msgpack bytes (see `protocol/event-codec.ts`). The runtime stores and forwards
 * these without re-encoding them; it never looks inside.
 */
export type EncodedEvent = Uint8Array;

/** The id of the event `seq` of `origin`. */
export function eventId(origin: string, seq: number): string {
  return `${origin}:${seq}`;
}

/** Canonical decimal for a positive seq: no sign, no leading zero, no exponent. */
const SEQ_DIGITS = /^[1-9][0-9]{0,15}$/;

/** The origin and seq an event id names, or `undefined` if `id` is not one (`origin:seq`, seq ≥ 1, no leading zero). */
export function parseEventId(id: string): { origin: string; seq: number } | undefined {
  const colon = id.lastIndexOf(':');
  const origin = id.slice(0, colon);
  const digits = id.slice(colon + 1);
  if (colon < 0 || !isOrigin(origin) || !SEQ_DIGITS.test(digits)) return undefined;
  const seq = Number(digits);
  return Number.isSafeInteger(seq) ? { origin, seq } : undefined;
}

/**
 * Node ids: short, printable, no `:` (ids are `origin:seq`), no `/` and not `.` or `..`
 * (store keys, data directories), and none of `Object.prototype`'s names, since clocks
 * are plain objects keyed by node id.
 */
export const NODE_ID_PATTERN =
  /^(?!(?:\.|\.\.|__proto__|constructor|hasOwnProperty|isPrototypeOf|propertyIsEnumerable|toLocaleString|toString|valueOf|__defineGetter__|__defineSetter__|__lookupGetter__|__lookupSetter__)$)[A-Za-z0-9_.-]{1,64}$/;
