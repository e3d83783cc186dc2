/**
 * A node's kernel: its store, host and fabric, wired as every node wires them. The real
 * node (`node.ts`) serves it on a port with links, the admin API and the inspector;
 * `troupe/testing` runs several in one process over a simulated network and clock. Both
 * build it here, so a simulated node is the real one, not a copy.
 */
import type { Logger } from 'pino';
import type { NodeIdentity } from '../protocol/node-keys.js';
import type { ActorInspector } from './actor-inspection.js';
import { newIncarnation, originOf } from '../protocol/origin.js';
import type { Clock } from './clock.js';
import { Fabric, type FabricOptions } from './fabric.js';
import { indexOf } from './actor-index.js';
import { Host } from './host.js';
import { interestOf } from './interest.js';
import { OriginProofs } from './origin-proofs.js';
import type { ServiceDefinition } from './service.js';
import type { RetentionPolicy } from './retention-policy.js';
import { Store } from './store.js';
import type { NewestVersions } from './upcasters.js';

/** Options of {@link openKernel}. */
export interface KernelOptions {
  readonly id: string;
  /** The LevelDB directory. */
  readonly dataDir: string;
  readonly services: readonly ServiceDefinition[];
  /** The newest version of each event type the app knows (`newestVersions(app.services)`), which actors' emits carry. [default from `services`] */
  readonly versions?: NewestVersions;
  readonly log: Logger;
  /** Skip fsync on commit. [default false] */
  readonly relaxed?: boolean;
  readonly fabric?: FabricOptions;
  /** Given every actor's inspection events. */
  readonly inspect?: ActorInspector;
  /** Time and timers of the fabric and the actors. [default the system's] */
  readonly clock?: Clock;
  /**
   * This node's key and the cluster's trust list: its events are signed and its peers'
   * checked (`origin-proofs.ts`), in cluster `cluster`. [default none: no origin proofs]
   */
  readonly identity?: { readonly identity: NodeIdentity; readonly cluster: string };
  /**
   * The incarnation of this start, unless the store's clock knows it already (a
   * simulation derives it from its seed, so that a seed replays the same run).
   * [default a fresh random one]
   */
  readonly incarnation?: string;
  /** Idle this long (ms), an actor is dropped from memory until needed (`--passivate-after`). [default 5 minutes] */
  readonly passivateAfterMs?: number;
  /** The event types this node wants beside its services' (`--want`); absent: everything (`interest.ts`). */
  readonly want?: readonly string[];
  /** What of its log this node keeps (`--retain`, `--retain-events`, `--retain-bytes`, `--retain-cap`). [default everything] */
  readonly retention?: RetentionPolicy;
}

/** A node's store, host and fabric. */
export interface Kernel {
  readonly store: Store;
  readonly host: Host;
  readonly fabric: Fabric;
}

/**
 * Opens the store, restores the fabric's clocks from it, and brings back the actors whose
 * timers are due soon (the others stay on disk until an event needs them). The node
 * stamps under a fresh origin in this start (`protocol/origin.ts`), never one its clock
 * already counts.
 */
export async function openKernel(options: KernelOptions): Promise<Kernel> {
  const { id, log, clock } = options;
  const store = await Store.open(options.dataDir, id, { sync: !options.relaxed });
  const state = await store.load();
  const counts = await store.actors.counts(indexOf);
  let fabric: Fabric | undefined;
  const host = new Host({
    services: options.services,
    schedule: (task) => fabric?.schedule(task),
    inspect: options.inspect,
    clock,
    versions: options.versions,
    passivation: {
      store: store.actors,
      counts,
      afterMs: options.passivateAfterMs,
      writing: () => fabric?.busy ?? false,
      failed: (err) => log.error({ err }, 'cannot read the due index of passivated actors; trying again shortly'),
    },
  });
  const known = Object.keys(state.vc);
  const asked = options.incarnation === undefined ? undefined : originOf(id, options.incarnation);
  const origin = asked !== undefined && !known.includes(asked) ? asked : originOf(id, newIncarnation(id, known));
  log.info({ origin }, 'stamping under a fresh origin');
  const want = interestOf(options.services, options.want);
  const proofs = options.identity && new OriginProofs({ ...options.identity, store, origin });
  fabric = new Fabric({
    id,
    origin,
    store,
    host,
    log,
    state,
    options: options.fabric,
    time: clock,
    disk: { dir: options.dataDir },
    want,
    proofs,
    retention: options.retention,
  });
  await host.start();
  return { store, host, fabric };
}
