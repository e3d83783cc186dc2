/**
 * Plays one planned fault on a running chaos cluster and heals it: cuts and slows links
 * through the proxy mesh, kills, stops and restarts processes, wipes and rewinds data
 * dirs, starts an impostor with a live node's id. What it did and saw goes in a
 * {@link FaultRecord}; a disk loss also goes in the history, with what the other nodes
 * held at that moment (acknowledged events beyond it are lost with the disk, not by the
 * runtime). After a disk loss it measures how long the node takes to get back what the
 * cluster held when it came back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaosNode } from './chaos-node.js';
import type { PlannedFault } from './fault-schedule.js';
import type { History } from './history.js';
import { NodeAdmin, type Clock } from './node-admin.js';
import type { ProxyMesh } from './proxy-mesh.js';

/** How long recovery after a disk loss is measured before it counts as not recovered. */
const RECOVERY_DEADLINE_MS = 60_000;

/** What a fault did. */
export interface FaultRecord {
  readonly planned: PlannedFault;
  /** ms since the run started. */
  readonly startedAt: number;
  healedAt?: number;
  /** What happened, in words (a node that would not restart, an impostor's fate). */
  readonly notes: string[];
  /** `duplicate-id`: whether some node refused the impostor (`TROUPE_PEER_DUPLICATE_ID`). */
  refused?: boolean;
  /** After a disk loss: ms from the node's return (its restart, or the heal when restarted cut off) until it held what the cluster held then; `null` if it did not within a minute. */
  recoveryMs?: number | null;
}

/** The cluster a fault is played on. */
export interface FaultTarget {
  readonly nodes: ReadonlyMap<string, ChaosNode>;
  readonly mesh: ProxyMesh;
  readonly history: History;
  /** Where crash images and impostors' data dirs go. */
  readonly workDir: string;
  /** How an impostor with `id` is started: its spec, minus what the injector decides. */
  readonly impostor: (id: string, dataDir: string) => Promise<ChaosNode>;
  /** ms since the run started. */
  readonly now: () => number;
}

/** Every clock entry of `a` is at least `b`'s. */
function dominates(a: Clock, b: Clock): boolean {
  return Object.entries(b).every(([origin, n]) => (a[origin] ?? 0) >= n);
}

/** Plays faults and keeps the recoveries it measures in the background. */
export class FaultInjector {
  /** Recoveries still being measured. */
  private readonly measuring: Promise<void>[] = [];

  constructor(private readonly target: FaultTarget) {}

  /** Plays `fault` to its end, healed. */
  async play(fault: PlannedFault): Promise<FaultRecord> {
    const record: FaultRecord = { planned: fault, startedAt: this.target.now(), notes: [] };
    try {
      await this.inject(fault, record);
    } catch (err) {
      record.notes.push(`failed: ${(err as Error).message}`);
    } finally {
      await this.healAll(record);
      record.healedAt = this.target.now();
    }
    return record;
  }

  /** Waits for the recoveries being measured. */
  async settled(): Promise<void> {
    await Promise.all(this.measuring);
  }

  /** Heals every link, continues every stopped node, restarts every node that is down. */
  async healAll(record?: FaultRecord): Promise<void> {
    this.target.mesh.healAll();
    for (const node of this.target.nodes.values()) {
      if (node.paused) node.resume();
      if (!node.running) {
        try {
          await node.start();
        } catch (err) {
          record?.notes.push(`${node.id} did not restart: ${(err as Error).message}`);
        }
      }
    }
  }

  private node(id: string): ChaosNode {
    const node = this.target.nodes.get(id);
    if (node === undefined) throw new Error(`no node ${id}`);
    return node;
  }

  private async inject(fault: PlannedFault, record: FaultRecord): Promise<void> {
    const { mesh } = this.target;
    const [id] = fault.nodes as [string];
    switch (fault.kind) {
      case 'isolate':
      case 'minority':
      case 'split':
      case 'ring':
        for (const [a, b] of fault.cuts) mesh.cut(a, b);
        await sleep(fault.holdMs);
        return;
      case 'one-way':
        mesh.dropOneWay(fault.oneWay!.from, fault.oneWay!.to);
        await sleep(fault.holdMs);
        return;
      case 'blackhole':
        mesh.blackhole(id);
        await sleep(fault.holdMs);
        return;
      case 'latency':
        mesh.setLatency(id, fault.latencyMs!);
        await sleep(fault.holdMs);
        return;
      case 'pause':
        this.node(id).pause();
        await sleep(fault.holdMs);
        this.node(id).resume();
        return;
      case 'kill':
        await this.node(id).stop('SIGKILL');
        await sleep(fault.holdMs);
        await this.node(id).start();
        return;
      case 'wipe':
        await this.loseDisk(fault, 'wipe', undefined);
        await sleep(fault.holdMs);
        await this.node(id).start();
        this.measureRecovery(id, record);
        return;
      case 'rewind': {
        const image = await this.crashImage(id);
        await sleep(fault.holdMs);
        await this.loseDisk(fault, 'rewind', image);
        await this.node(id).start();
        this.measureRecovery(id, record);
        return;
      }
      case 'isolated-restart': {
        const image = fault.disk === 'rewind' ? await this.crashImage(id) : undefined;
        if (image !== undefined) await sleep(1500);
        for (const [a, b] of fault.cuts) mesh.cut(a, b);
        await this.loseDisk(fault, fault.disk!, image);
        await this.node(id).start();
        await sleep(fault.holdMs);
        mesh.healAll();
        this.measureRecovery(id, record);
        return;
      }
      case 'duplicate-id':
        await this.duplicate(id, fault, record);
        return;
    }
  }

  /** A crash image of the node's data dir, copied while it is stopped. */
  private async crashImage(id: string): Promise<string> {
    const image = await mkdtemp(join(this.target.workDir, `image-${id}-`));
    await this.node(id).crashImage(image);
    return image;
  }

  /** SIGKILL, note what the others hold, then wipe the data dir or put the image back. */
  private async loseDisk(fault: PlannedFault, how: 'wipe' | 'rewind', image: string | undefined): Promise<void> {
    const node = this.node(fault.nodes[0]!);
    const at = this.target.now();
    await node.stop('SIGKILL');
    const held: Record<string, number> = {};
    for (const other of this.target.nodes.values()) {
      if (other === node || !other.ready) continue;
      try {
        const { vc } = await new NodeAdmin(other.url, 5000).status();
        for (const [origin, n] of Object.entries(vc)) held[origin] = Math.max(held[origin] ?? 0, n);
      } catch {
        // unreachable now: it holds nothing we can count on
      }
    }
    this.target.history.diskLosses.push({ node: node.id, fault: fault.n, at, held });
    if (how === 'rewind' && image !== undefined) {
      await node.restoreImage(image);
      await rm(image, { recursive: true, force: true });
    } else await node.wipe();
  }

  /** Measures, in the background, how long `id` takes to hold what the others hold now and to have rebuilt its actors. */
  private measureRecovery(id: string, record: FaultRecord): void {
    const node = this.node(id);
    const measure = async (): Promise<void> => {
      const from = this.target.now();
      const target: Record<string, number> = {};
      for (const other of this.target.nodes.values()) {
        if (other === node) continue;
        try {
          for (const [origin, n] of Object.entries((await new NodeAdmin(other.url, 5000).status()).vc)) target[origin] = Math.max(target[origin] ?? 0, n);
        } catch {
          // a node that does not answer adds nothing to wait for
        }
      }
      while (this.target.now() - from < RECOVERY_DEADLINE_MS) {
        try {
          const status = await new NodeAdmin(node.url, 2000).status();
          if (dominates(status.vc, target) && status.recovering !== true) {
            record.recoveryMs = this.target.now() - from;
            return;
          }
        } catch {
          // down or stopped by a later fault: keep asking until the deadline
        }
        await sleep(200);
      }
      record.recoveryMs = null;
    };
    this.measuring.push(measure());
  }

  /** Starts a second process with `id`'s id beside the live one, waits for a refusal, stops it. */
  private async duplicate(id: string, fault: PlannedFault, record: FaultRecord): Promise<void> {
    const refusals = (): number => [...this.target.nodes.values()].reduce((sum, node) => sum + node.duplicateRefusals, 0);
    const before = refusals();
    const dataDir = await mkdtemp(join(this.target.workDir, `impostor-${id}-`));
    const impostor = await this.target.impostor(id, dataDir);
    try {
      await impostor.start();
      const deadline = this.target.now() + fault.holdMs;
      while (this.target.now() < deadline && refusals() === before && impostor.duplicateRefusals === 0) await sleep(100);
      record.refused = refusals() > before || impostor.duplicateRefusals > 0;
      record.notes.push(record.refused ? 'the impostor was refused' : `no node refused the impostor within ${fault.holdMs} ms`);
    } finally {
      await impostor.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    }
  }
}
