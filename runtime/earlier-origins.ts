/**
 * This node's earlier origins: the starts before this one (`protocol/origin.ts`). Once
 * the clock delivered here counts one of them beyond what is retired of it (at start,
 * after a recovery, or after a late copy of an earlier start's event arrived), a
 * retirement of them is due (`protocol/retirement.ts`): its entries then leave the
 * clocks of new events. Every delivered retirement is learned here too (`retirements.ts`).
 */
import type { Logger } from 'pino';
import type { Envelope, VectorClock } from '../protocol/envelope.js';
import { originOf } from '../protocol/origin.js';
import type { Retirements } from './retirements.js';

/** Watches for events of this node's earlier origins and says which are to be retired. */
export class EarlierOrigins {
  private readonly id: string;
  private readonly origin: string;
  private readonly log: Logger;
  private readonly retirements: Retirements;
  private readonly forgotten: (node: string) => void;
  /** Whether an earlier origin of this node may be counted beyond what is retired of it. */
  private endedMoved = true;
  /** How this node's origins begin (`n1~`). */
  private readonly ownPrefix: string;

  constructor(args: {
    /** This node's id. */
    id: string;
    /** The origin this node stamps under now. */
    origin: string;
    log: Logger;
    /** The retirements delivered here, learned on delivery. */
    retirements: Retirements;
    /** A delivered retirement retired node id `node` for good. */
    forgotten: (node: string) => void;
  }) {
    this.id = args.id;
    this.origin = args.origin;
    this.log = args.log;
    this.retirements = args.retirements;
    this.forgotten = args.forgotten;
    this.ownPrefix = originOf(args.id, '');
  }

  /** Whether `delivered` counts an earlier origin beyond what is retired of it; once it does not, false until another such event is learned. */
  due(delivered: VectorClock): boolean {
    if (!this.endedMoved) return false;
    if (Object.keys(this.retirements.ended(this.id, this.origin, delivered)).length > 0) return true;
    this.endedMoved = false;
    return false;
  }

  /** Learns a delivered retirement; notes an event of an earlier origin of this node. */
  learn(envelope: Envelope): void {
    const o = envelope.origin;
    if (o !== this.origin && (o.startsWith(this.ownPrefix) || o === this.id)) this.endedMoved = true;
    const node = this.retirements.learn(envelope, this.log);
    if (node !== undefined) this.forgotten(node);
  }

  /** The earlier origins to retire with their entries in `delivered`, if it counts any beyond what is retired of them (logged); taken once. */
  takeEnded(delivered: VectorClock): Record<string, number> | undefined {
    if (!this.endedMoved) return undefined;
    this.endedMoved = false;
    const origins = this.retirements.ended(this.id, this.origin, delivered);
    if (Object.keys(origins).length === 0) return undefined;
    this.log.info({ code: 'TROUPE_ORIGINS_RETIRED', origins }, 'retiring the origins of earlier starts of this node: their clock entries leave new events');
    return origins;
  }
}
