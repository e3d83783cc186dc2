/**
 * The fabric's tuning: what each knob bounds, and its default. The defaults suit a node
 * on a LAN with events of a few hundred bytes; the benchmarks run with them.
 */

/** Tuning of {@link Fabric}. */
export interface FabricOptions {
  /** Max events sent to one peer and not yet acknowledged. [default 8192] */
  readonly window?: number;
  /** Max events per `events` frame. [default 512] */
  readonly frameEvents?: number;
  /**
   * Byte budget of one `events` frame (one event may exceed it alone) and of what may
   * wait unsent in a peer's socket. [default 4 MiB]
   */
  readonly frameBytes?: number;
  /** Max events held waiting for delivery; more are dropped and fetched again. [default 100000] */
  readonly bufferLimit?: number;
  /**
   * Max bytes of events held in the causal buffer waiting for a dependency; more are not
   * kept (nor acknowledged) and are fetched again once it drains. [default 256 MiB]
   */
  readonly bufferBytes?: number;
  /**
   * Bytes of events from peers held decoded and ready for the next batch past which a link
   * is not read from until that batch takes them. [default 4 MiB]
   */
  readonly intakeBytes?: number;
  /** Byte budget of a `/log` page and a `/trace` answer (at least one event). [default 4 MiB] */
  readonly pageBytes?: number;
  /** Bytes of committed events kept in memory for live pushes and `/log`; older ones are read from disk. [default 64 MiB] */
  readonly recentBytes?: number;
  /**
   * Events from peers held decoded and ready for the next batch past which a link that
   * sends more is paused until that batch takes them (also past `intakeBytes` of them).
   * [default 1024]
   */
  readonly intakeEvents?: number;
  /** Committed events kept in memory for live pushes and `/log`. [default 10000] */
  readonly recent?: number;
  /** A peer with unacknowledged events and no ack for this long is re-sent from its ack. [default 5000] */
  readonly stallMs?: number;
  /** How long after a commit acks go out, so that one covers several commits. [default 25] */
  readonly ackDelayMs?: number;
  /**
   * A peer's event whose `ts` is more than this far ahead of the wall clock does not move
   * this node's hybrid time forward (it is kept and delivered as it is). [default 3600000]
   */
  readonly maxSkewMs?: number;
  /**
   * The longest this node's actors wait for events of its earlier starts that a peer says
   * it holds (`TROUPE_NODE_RECOVERING`) before it logs an error and rebuilds them from
   * what it has. [default 60000]
   */
  readonly recoveryMs?: number;
  /**
   * Free bytes to keep on the store's file system: below them nothing is written and
   * publishes answer `TROUPE_DISK_FULL` (507) until space is freed. [default 16 MiB]
   */
  readonly diskReserveBytes?: number;
}

/** The defaults of {@link FabricOptions}. */
export const FABRIC_DEFAULTS: Required<FabricOptions> = {
  window: 8192,
  frameEvents: 512,
  frameBytes: 4 * 1024 * 1024,
  bufferLimit: 100_000,
  bufferBytes: 256 * 1024 * 1024,
  intakeBytes: 4 * 1024 * 1024,
  pageBytes: 4 * 1024 * 1024,
  recentBytes: 64 * 1024 * 1024,
  intakeEvents: 1024,
  recent: 10_000,
  stallMs: 5000,
  ackDelayMs: 25,
  maxSkewMs: 60 * 60 * 1000,
  recoveryMs: 60_000,
  diskReserveBytes: 16 * 1024 * 1024,
};

/** `options` with every knob it leaves out set to its default. */
export function withDefaults(options: FabricOptions = {}): Required<FabricOptions> {
  const out = { ...FABRIC_DEFAULTS };
  for (const key of Object.keys(out) as (keyof FabricOptions)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
