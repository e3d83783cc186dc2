/**
 * What a fabric is made from: the node's id and origin, its store and host, what the store
 * loaded at start (`StoredState`), and the node's policies. `node-kernel.ts` fills it from
 * the flags and the store; tests build the parts they need.
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import type { Clock } from './clock.js';
import type { FreeSpace } from './disk-guard.js';
import type { FabricOptions } from './fabric-options.js';
import type { Host } from './host.js';
import type { Interest } from './interest.js';
import type { StoredInterest } from './interest-sync.js';
import type { OriginProofs } from './origin-proofs.js';
import type { RetentionPolicy } from './retention-policy.js';
import type { StoredRetirements } from './retirements.js';
import type { Store } from './store.js';

/** The arguments of `new Fabric(...)`. */
export interface FabricArgs {
  readonly id: string;
  /** The origin to stamp under (`originOf(id, incarnation)`), fresh at each start. [default `id`: a fixed origin, for tests] */
  readonly origin?: string;
  readonly store: Store;
  readonly host: Host;
  readonly log: Logger;
  /** The committed clock on disk. */
  readonly vc: VectorClock;
  /** Each peer's acknowledged clock on disk. */
  readonly acks: ReadonlyMap<string, VectorClock>;
  /** Per peer of `acks`, whether it acknowledged durably, as stored (`StoredState.durability`). [default none: each waits for its hello] */
  readonly durability?: ReadonlyMap<string, boolean>;
  /** The newest `ts` on disk (`StoredState.lastTs`): stamping never goes behind it. [default 0] */
  readonly lastTs?: number;
  /** The store says the log holds events the actors were not handed (`StoredState.held`): rebuild them. [default false] */
  readonly held?: boolean;
  readonly options?: FabricOptions;
  /** Wall-clock time and timers (`clock` is the vector clock). [default the system clock] */
  readonly time?: Clock;
  /** The store's directory, whose free space is watched (`disk-guard.ts`), and how to measure it. */
  readonly disk?: { readonly dir: string; readonly freeSpace?: FreeSpace };
  /** What this node wants (`interest.ts`). [default everything] */
  readonly want?: Interest;
  /** What the store kept of its interest: the last one, skipped and to-refill seqs (`StoredState.interest`). [default nothing] */
  readonly interest?: StoredInterest;
  /** Signs, checks and forwards origin checkpoints (`origin-proofs.ts`). [default none: a node without a key] */
  readonly proofs?: OriginProofs;
  /** What of its log this node keeps (`retention-policy.ts`). [default everything] */
  readonly retention?: RetentionPolicy;
  /** The retirements on disk (`StoredState.retired`). [default none] */
  readonly retired?: StoredRetirements;
}
