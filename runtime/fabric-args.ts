/**
 * What a fabric is made from: the node's id and origin, its store and host, what the store
 * loaded at start (`StoredState`, whole), and the node's policies. `node-kernel.ts` fills
 * it from the flags and the store; tests build the parts they need.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { FreeSpace } from './disk-guard.js';
import type { FabricOptions } from './fabric-options.js';
import type { Host } from './host.js';
import type { Interest } from './interest.js';
import type { OriginProofs } from './origin-proofs.js';
import type { RetentionPolicy } from './retention-policy.js';
import type { Store, StoredState } from './store.js';

/** The arguments of `new Fabric(...)`. */
export interface FabricArgs {
  readonly id: string;
  /** The origin to stamp under (`originOf(id, incarnation)`), fresh at each start. [default `id`: a fixed origin, for tests] */
  readonly origin?: string;
  readonly store: Store;
  readonly host: Host;
  readonly log: Logger;
  /**
   * What `store.load()` read: the committed clock, the peers' acknowledged clocks (and
   * whether each was durable), the newest `ts` (stamping never goes behind it), whether
   * the actors wait for a rebuild, the interest kept and the retirements. [default an
   * empty store's]
   */
  readonly state?: StoredState;
  readonly options?: FabricOptions;
  /** Wall-clock time and timers (`clock` is the vector clock). [default the system clock] */
  readonly time?: Clock;
  /** The store's directory, whose free space is watched (`disk-guard.ts`), and how to measure it. */
  readonly disk?: { readonly dir: string; readonly freeSpace?: FreeSpace };
  /** What this node wants (`interest.ts`). [default everything] */
  readonly want?: Interest;
  /** Signs, checks and forwards origin checkpoints (`origin-proofs.ts`). [default none: a node without a key] */
  readonly proofs?: OriginProofs;
  /** What of its log this node keeps (`retention-policy.ts`). [default everything] */
  readonly retention?: RetentionPolicy;
}
