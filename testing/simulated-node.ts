/**
 * One node of a simulated cluster: the real kernel (`openKernel`: LevelDB store, host,
 * fabric) on a simulated clock, without a port. Crashing it drops everything in memory
 * (causal buffer, timers, acknowledged clocks not yet persisted) and keeps only what is
 * on disk, which is what starting it again reads back.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { NodeIdentity } from '../protocol/node-keys.js';
import { TroupeError } from '../protocol/troupe-error.js';
import type { FabricOptions } from '../runtime/fabric.js';
import { openKernel, type Kernel } from '../runtime/node-kernel.js';
import type { RetentionPolicy } from '../runtime/retention-policy.js';
import type { ServiceDefinition } from '../runtime/service.js';
import type { NewestVersions } from '../runtime/upcasters.js';
import { SIMULATED_CLUSTER } from './simulated-keys.js';
import type { NodeClock, SimulatedTime } from './simulated-time.js';

/** Options of {@link SimulatedNode}. */
export interface SimulatedNodeOptions {
  readonly id: string;
  /** Its LevelDB directory, kept across crashes. */
  readonly dataDir: string;
  readonly services: readonly ServiceDefinition[];
  /** The newest version of each event type the app knows, which actors' emits carry. [default from `services`] */
  readonly versions?: NewestVersions;
  readonly time: SimulatedTime;
  readonly log: Logger;
  readonly fabric?: FabricOptions;
  /** The run's seed: each start's incarnation is drawn from it. */
  readonly seed: number;
  /** Idle this long (simulated ms), an actor is dropped from memory. [default 5 minutes] */
  readonly passivateAfterMs?: number;
  /** What of its log it keeps (`--retain*`). [default everything] */
  readonly retention?: RetentionPolicy;
  /** Its key and the cluster's trust list (`simulated-keys.ts`): it signs and checks origin proofs. [default none] */
  readonly identity?: NodeIdentity;
  /** The event types it wants beside its services' (`--want`): it is then partial. [default everything] */
  readonly want?: readonly string[];
}

/** A node that can be started, crashed and started again from its disk. */
export class SimulatedNode {
  readonly id: string;
  private readonly options: SimulatedNodeOptions;
  private running: { readonly kernel: Kernel; readonly clock: NodeClock } | undefined;
  /** How often it started. */
  private starts = 0;

  constructor(options: SimulatedNodeOptions) {
    this.id = options.id;
    this.options = options;
  }

  /** Whether the node is running. */
  get up(): boolean {
    return this.running !== undefined;
  }

  /** The running node's store, host and fabric; throws `TROUPE_NODE_UNREACHABLE` when it is down. */
  get kernel(): Kernel {
    if (this.running === undefined) throw new TroupeError('TROUPE_NODE_UNREACHABLE', `node ${this.id} is down`);
    return this.running.kernel;
  }

  /** Opens its store and restores its clocks and actors from it, as a node process starting does. */
  async start(): Promise<Kernel> {
    if (this.running !== undefined) return this.running.kernel;
    const { id, dataDir, services, fabric, time, passivateAfterMs, retention } = this.options;
    const clock = time.forNode();
    const log = this.options.log.child({ node: id });
    // Relaxed: a simulated crash kills no operating system, so what LevelDB wrote survives it.
    // Each start a fresh origin, as a process gets, but drawn from the seed: a seed replays the run.
    const incarnation = createHash('sha256').update(`${this.options.seed}:${id}:${++this.starts}`).digest('base64url').slice(0, 6);
    const identity = this.options.identity && { identity: this.options.identity, cluster: SIMULATED_CLUSTER };
    const kernel = await openKernel({ id, dataDir, services, versions: this.options.versions, log, relaxed: true, fabric, clock, incarnation, passivateAfterMs, retention, identity, want: this.options.want });
    this.running = { kernel, clock };
    return kernel;
  }

  /**
   * Kills the node: its timers are dropped and nothing more is written (no clean stop:
   * acknowledged clocks not yet persisted are lost). The store is closed only so that a
   * restart in this process may open it, as the lock of a killed process is released.
   * Call it while the node is quiet (between simulation steps): what it committed is
   * then all on disk, as for a process killed between two commits.
   */
  async crash(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    running.clock.dispose();
    await running.kernel.store.close();
  }

  /** Stops the node cleanly, as on SIGTERM: the batch in progress finishes and acknowledged clocks are persisted. */
  async stop(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    await running.kernel.fabric.stop();
    running.kernel.host.stop();
    running.clock.dispose();
    await running.kernel.store.close();
  }
}
