/**
 * The retirements this node has delivered (`protocol/retirement.ts`): per retired origin
 * the largest final seq named, and the node ids retired for good. It is learned only by
 * delivering `troupe.retired` events, so the delivered clock always counts every
 * retirement it holds: the condition under which `foldClock` may leave an entry out. It
 * is written with the batch that delivered the retirement (`meta/retired`), so it never
 * runs ahead of the clock on disk.
 */
import type { Logger } from 'pino';
import { NODE_ID_PATTERN, type Envelope, type VectorClock } from '../protocol/envelope.js';
import type { Retiring, RetiringEvents } from '../protocol/clock-folding.js';
import { clockFloor, NO_FLOOR, type ClockFloor } from '../protocol/clock-floor.js';
import { nodeOf } from '../protocol/origin.js';
import { parseRetirement, RETIRED_TYPE } from '../protocol/retirement.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** The retirements as the store keeps them (`meta/retired`). */
export interface StoredRetirements {
  /** Retired origin → the largest final seq a delivered retirement named. */
  readonly origins: Readonly<Record<string, number>>;
  /** Node ids retired for good. */
  readonly nodes: readonly string[];
  /**
   * Retired origin → the retirements of it delivered, each `[origin, seq, final]`: what
   * reads a folded clock back (`protocol/clock-folding.ts`). Absent in a record written
   * before clocks were folded: those origins stay in every clock.
   */
  readonly by?: Readonly<Record<string, readonly (readonly [string, number, number])[]>>;
}

/** What `/status` shows of the retirements. */
export interface RetirementsView {
  readonly nodes: readonly string[];
  readonly origins: readonly { readonly origin: string; readonly final: number }[];
}

/** The retired origins and node ids this node has delivered. */
export class Retirements {
  private readonly byOrigin = new Map<string, number>();
  private readonly nodeIds = new Set<string>();
  private readonly events: Map<string, Retiring[]>;
  private changed = false;
  /** The floor of the in-memory clocks (`clock-floor.ts`), made again when a retirement is learned. */
  private currentFloor: ClockFloor = NO_FLOOR;
  private floorMoved = false;

  constructor(stored?: StoredRetirements) {
    this.events = retiringOf(stored);
    if (stored === undefined) return;
    for (const [origin, final] of Object.entries(stored.origins)) this.byOrigin.set(origin, final);
    for (const node of stored.nodes) this.nodeIds.add(node);
    this.currentFloor = clockFloor(this.events);
  }

  /**
   * The floor the node's in-memory clocks stand on (`protocol/clock-floor.ts`): each
   * origin retired by a retirement delivered here, at the largest final seq named. A new
   * object whenever a delivered retirement changes it.
   */
  get floor(): ClockFloor {
    return this.currentFloor;
  }

  /** Per retired origin, the retirements of it delivered here: what folds and unfolds clocks (`clock-folding.ts`). */
  get retiring(): RetiringEvents {
    return this.events;
  }

  /** Retired origin → its final seq: what stamping folds (`foldClock`). */
  get finals(): ReadonlyMap<string, number> {
    return this.byOrigin;
  }

  /** Whether `node` was retired for good (`troupe forget`): it is refused when it links. */
  isRetiredNode(node: string): boolean {
    return this.nodeIds.has(node);
  }

  /**
   * Learns what a delivered event retires, if it is a retirement; returns the node id it
   * retires for good, if any. An origin whose final seq the event's own clock does not
   * count is not taken (the fold would then not be implied by delivering it); bad data is
   * logged and changes nothing.
   */
  learn(envelope: Envelope, log: Logger): string | undefined {
    if (envelope.type !== RETIRED_TYPE) return undefined;
    let data;
    try {
      data = parseRetirement(envelope.data);
    } catch (err) {
      log.warn({ err, event: envelope.id }, 'a retirement that cannot be read: nothing retired');
      return undefined;
    }
    for (const [origin, final] of Object.entries(data.origins)) {
      if (origin === envelope.origin || (envelope.vc[origin] ?? 0) < final) continue;
      this.remember(origin, { origin: envelope.origin, seq: envelope.seq, final });
      if ((this.byOrigin.get(origin) ?? -1) >= final) continue;
      this.byOrigin.set(origin, final);
      this.changed = true;
    }
    if (this.floorMoved) {
      this.floorMoved = false;
      this.currentFloor = clockFloor(this.events);
    }
    if (data.node !== undefined && !this.nodeIds.has(data.node)) {
      this.nodeIds.add(data.node);
      this.changed = true;
    }
    return data.node;
  }

  /** Keeps `r` among the retirements of `origin` (a retirement delivered again is kept once). */
  private remember(origin: string, r: Retiring): void {
    const list = this.events.get(origin);
    if (list === undefined) this.events.set(origin, [r]);
    else if (list.some((x) => x.origin === r.origin && x.seq === r.seq)) return;
    else list.push(r);
    this.changed = true;
    this.floorMoved = true;
  }

  /**
   * The earlier origins of `node` that `delivered` counts beyond what is retired of them,
   * with their entries there: what a retirement stamped under `current` would retire
   * (empty when nothing is left to retire).
   */
  ended(node: string, current: string, delivered: VectorClock): Record<string, number> {
    const out: Record<string, number> = {};
    for (const origin in delivered) {
      if (origin === current || nodeOf(origin) !== node) continue;
      const n = delivered[origin];
      if (n > (this.byOrigin.get(origin) ?? 0)) out[origin] = n;
    }
    return out;
  }

  /** The whole record to write with the batch, if a retirement changed it since last taken. */
  takeChanges(): StoredRetirements | undefined {
    if (!this.changed) return undefined;
    this.changed = false;
    const by: Record<string, (readonly [string, number, number])[]> = {};
    for (const [origin, list] of this.events) by[origin] = list.map((r) => [r.origin, r.seq, r.final] as const);
    return { origins: Object.fromEntries(this.byOrigin), nodes: [...this.nodeIds], by };
  }

  /** The retired node ids and origins, sorted; for `/status`. */
  view(): RetirementsView {
    return {
      nodes: [...this.nodeIds].sort(),
      origins: [...this.byOrigin].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([origin, final]) => ({ origin, final })),
    };
  }
}

/** Per retired origin, the retirements of it that `stored` records (`by`): what its stored clocks are folded with. */
export function retiringOf(stored: StoredRetirements | undefined): Map<string, Retiring[]> {
  return new Map(Object.entries(stored?.by ?? {}).map(([origin, list]) => [origin, list.map(([by, seq, final]) => ({ origin: by, seq, final }))]));
}

/**
 * The data of the retirement `troupe forget` asks node `self` to stamp for node `node`:
 * every origin of it that `committed` counts, at its entry now, and the node id.
 * @throws TroupeError `TROUPE_BAD_REQUEST` for an invalid id, `self`, or a node in `linked`.
 */
export function forgetting(node: string, self: string, linked: readonly string[], committed: VectorClock): { origins: Record<string, number>; node: string } {
  if (!NODE_ID_PATTERN.test(node)) throw new TroupeError('TROUPE_BAD_REQUEST', `${JSON.stringify(node)} is not a node id`);
  if (node === self) throw new TroupeError('TROUPE_BAD_REQUEST', 'a node cannot retire itself');
  if (linked.includes(node)) throw new TroupeError('TROUPE_BAD_REQUEST', `${node} is linked to this node now: stop it before retiring it`);
  const origins: Record<string, number> = {};
  for (const o in committed) if (nodeOf(o) === node) origins[o] = committed[o];
  return { origins, node };
}
