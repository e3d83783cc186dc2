/**
 * The stamper: this node's own events, publishes and what its actors emit, stamped
 * (`stamp.ts`) under the origin of this start, after the clock delivered here, and never
 * behind the newest `ts` delivered or stamped here. A retirement's clock folds like any
 * other but for the origins it retires: it must name them through their final seqs
 * (`Retirements.learn` takes an origin only then).
 */
import type { Logger } from 'pino';
import type { VectorClock } from '../protocol/envelope.js';
import { wholeClock } from '../protocol/clock-floor.js';
import { RETIRED_TYPE, type RetirementData } from '../protocol/retirement.js';
import type { Clock } from './clock.js';
import type { Emission } from './host.js';
import type { PublishInput } from './publish-input.js';
import type { Retirements } from './retirements.js';
import { stamp, type Stamped } from './stamp.js';

/** Stamps this node's events and keeps the newest `ts` seen. */
export class Stamper {
  private readonly origin: string;
  private readonly delivered: VectorClock;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly retirements: Retirements;
  /**
   * The newest `ts` delivered or stamped here, across restarts (it is committed with each
   * batch): stamping never goes behind it. A peer's `ts` beyond `maxSkewMs` ahead of the
   * wall clock does not move it, so one wild clock cannot drag every later event along.
   */
  private newest: number;
  private readonly maxSkewMs: number;

  constructor(args: {
    /** The origin this node stamps under now. */
    origin: string;
    /** The clock delivered here, read and advanced live (it is the batch preparation's). */
    delivered: VectorClock;
    /** The newest `ts` on disk at start. */
    lastTs: number;
    /** How far ahead of the wall clock a peer's `ts` may be and still be adopted. */
    maxSkewMs: number;
    clock: Clock;
    log: Logger;
    /** The retirements delivered here: their final seqs are folded out of stamps. */
    retirements: Retirements;
  }) {
    this.origin = args.origin;
    this.delivered = args.delivered;
    this.newest = args.lastTs;
    this.maxSkewMs = args.maxSkewMs;
    this.clock = args.clock;
    this.log = args.log;
    this.retirements = args.retirements;
  }

  /** The newest `ts` delivered or stamped here. */
  get lastTs(): number {
    return this.newest;
  }

  /** An event with time `ts` was delivered: later stamps do not go behind it, unless it is too far ahead of the wall clock. */
  delivering(ts: number): void {
    if (ts > this.newest && ts <= this.clock.now() + this.maxSkewMs) this.newest = ts;
  }

  /** Stamps what an actor emitted as this node's next event; `undefined` (logged) when it cannot be one. */
  stampEmission({ emitted, cause }: Emission): Stamped | undefined {
    if (typeof emitted.type !== 'string' || emitted.type === '') {
      this.log.error({ emitted, cause: cause?.id, correlationId: cause?.correlationId }, 'an actor emitted an event without a type; dropped');
      return undefined;
    }
    try {
      return this.stampOwn({ type: emitted.type, data: emitted.data, correlationId: cause?.correlationId, version: emitted.version }, cause?.id ?? null);
    } catch (err) {
      this.log.error({ err, type: emitted.type, cause: cause?.id, correlationId: cause?.correlationId }, 'an actor emitted an event that cannot be encoded; dropped');
      return undefined;
    }
  }

  /**
   * Stamps the next event of this node and counts it as delivered; a retirement's clock
   * names the origins it retires in full.
   * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` if the event cannot be encoded (see `stamp`).
   */
  stampOwn(input: PublishInput, causationId: string | null): Stamped {
    const retiring = input.type === RETIRED_TYPE ? (input.data as RetirementData).origins : undefined;
    const own =
      retiring === undefined
        ? stamp(this.origin, this.delivered, this.newest, this.clock.now(), input, causationId, this.retirements.finals)
        : stamp(this.origin, wholeClock(this.delivered), this.newest, this.clock.now(), input, causationId, finalsExcept(this.retirements.finals, retiring));
    this.delivered[this.origin] = own.envelope.seq;
    this.newest = own.envelope.ts;
    return own;
  }
}

/** `finals` without the origins in `retiring`: what a retirement of those folds out of its clock. */
function finalsExcept(finals: ReadonlyMap<string, number>, retiring: Readonly<Record<string, number>>): ReadonlyMap<string, number> {
  const out = new Map(finals);
  for (const origin in retiring) out.delete(origin);
  return out;
}
