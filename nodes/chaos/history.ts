/**
 * The operation history of a chaos run: every publish the workload made, to which node,
 * with what, and how it ended (`ok` with its ack, `failed`, `unknown`). It is what the
 * checker holds the nodes' logs against.
 */
import { nodeOf } from '../../protocol/origin.js';
import type { Ack } from './node-admin.js';

/** What a publish was for: an order of the orders example, or a plain event of a client session. */
export type OperationKind = 'order' | 'session';

/** One publish and its outcome. */
export interface Operation {
  /** Its number in the run, from 1. */
  readonly n: number;
  readonly kind: OperationKind;
  /** The client session it belongs to (each session publishes one event at a time). */
  readonly session: string;
  /** The node it was sent to. */
  readonly node: string;
  readonly type: string;
  readonly data: unknown;
  readonly correlationId: string;
  /** ms since the run started. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: 'ok' | 'failed' | 'unknown';
  /** The node's acknowledgement, for `ok`. */
  readonly ack?: Ack;
  /** Why it failed or is unknown. */
  readonly error?: string;
  /** The session's previous acknowledged operation, acknowledged before this one was sent. */
  readonly after?: number;
}

/**
 * A node's disk lost: the acknowledged events its processes published before `at` and no
 * other node held then (beyond `held`) are gone with it, through no fault of the runtime.
 */
export interface DiskLoss {
  readonly node: string;
  /** The fault that lost it. */
  readonly fault: number;
  /** When the node was killed, ms since the run started. */
  readonly at: number;
  /** The other nodes' clocks merged, read once the node was down. */
  readonly held: Readonly<Record<string, number>>;
}

/** The record of a run's publishes. */
export class History {
  readonly operations: Operation[] = [];
  readonly diskLosses: DiskLoss[] = [];

  /** Records a finished publish; returns it. */
  record(operation: Omit<Operation, 'n'>): Operation {
    const recorded = { ...operation, n: this.operations.length + 1 };
    this.operations.push(recorded);
    return recorded;
  }

  /** `origin:seq` of acknowledged events lost with a disk: a node cannot keep what it lost before it was replicated. */
  lostIds(): Set<string> {
    const lost = new Set<string>();
    for (const loss of this.diskLosses) {
      for (const op of this.operations) {
        const ack = op.ack;
        if (ack === undefined || op.startedAt >= loss.at || nodeOf(ack.origin) !== loss.node) continue;
        if (ack.seq > (loss.held[ack.origin] ?? 0)) lost.add(`${ack.origin}:${ack.seq}`);
      }
    }
    return lost;
  }
}
