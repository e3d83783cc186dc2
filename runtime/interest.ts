/**
 * Interest: the events a node wants to receive and hold. A node that wants everything
 * (`*`, a gateway or a service node) is a full replica; a partial node (an edge device)
 * wants the types its services consume and the patterns it is given (`--want`), and
 * always its own events. Peers send a partial node only its interest and tell it, by skip
 * notices (`skips.ts`), which events they left out, so it still delivers what it gets in
 * causal order (see `protocol/PROTOCOL.md`, "Interest").
 *
 * A pattern is an event type (`alert.dev-1`), or a prefix ending in `*` (`alert.*`), or
 * `*` alone. A node without any `--want` wants everything, whatever its services: a
 * cluster of service nodes stays a cluster of full replicas, each able to relay for the
 * others; a node becomes partial only when told what it wants.
 */
import { isPattern } from '../protocol/interest-pattern.js';
import { RETIRED_TYPE } from '../protocol/retirement.js';
import { TroupeError } from '../protocol/troupe-error.js';

export { isPattern };

/** An interest as peers exchange it: sorted, distinct patterns; `['*']` for everything. */
export type Interest = readonly string[];

/** The interest of a full replica. */
export const EVERYTHING: Interest = ['*'];

/**
 * The interest of a node hosting `services` and given `want` (`undefined`: no `--want` at
 * all, so everything).
 * @throws TroupeError `TROUPE_BAD_FLAGS` for a pattern that is not one.
 */
export function interestOf(services: readonly { readonly on: readonly string[] }[], want: readonly string[] | undefined): Interest {
  if (want === undefined) return EVERYTHING;
  for (const p of want) {
    if (!isPattern(p)) throw new TroupeError('TROUPE_BAD_FLAGS', `--want ${JSON.stringify(p)}: an event type, a prefix ending in '*', or '*'`);
  }
  if (want.includes('*')) return EVERYTHING;
  return [...new Set([...want, ...services.flatMap((s) => s.on)])].sort();
}

/** Whether `interest` is everything. */
export function isEverything(interest: Interest): boolean {
  return interest.includes('*');
}

/** Whether `next` wants something `previous` did not (so skipped events may now be wanted). */
export function widens(previous: Interest, next: Interest): boolean {
  const before = new InterestFilter(previous);
  return next.some((p) => !before.covers(p));
}

/** Answers whether an event type is in one interest, remembering answers for the types it has seen. */
export class InterestFilter {
  readonly interest: Interest;
  readonly everything: boolean;
  private readonly exact: Set<string>;
  private readonly prefixes: string[];
  private readonly seen = new Map<string, boolean>();

  constructor(interest: Interest) {
    this.interest = interest;
    this.everything = isEverything(interest);
    this.exact = new Set(interest.filter((p) => !p.endsWith('*')));
    this.prefixes = interest.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  }

  /** Whether events of `type` are wanted; a retirement always is (`protocol/retirement.ts`). */
  wants(type: string): boolean {
    if (this.everything || type === RETIRED_TYPE) return true;
    let answer = this.seen.get(type);
    if (answer === undefined) {
      answer = this.exact.has(type) || this.prefixes.some((p) => type.startsWith(p));
      // Types are few in practice; a peer inventing millions cannot grow this without bound.
      if (this.seen.size >= 4096) this.seen.clear();
      this.seen.set(type, answer);
    }
    return answer;
  }

  /** Whether every type `pattern` matches is wanted. */
  covers(pattern: string): boolean {
    if (this.everything) return true;
    if (!pattern.endsWith('*')) return this.wants(pattern);
    const prefix = pattern.slice(0, -1);
    return this.prefixes.some((p) => prefix.startsWith(p));
  }
}
