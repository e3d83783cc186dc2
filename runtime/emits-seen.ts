/**
 * Which event types each service's actors were seen to emit on this node since it
 * started: the inspector draws the choreography from it (what a service sends, beside
 * what it is subscribed to). A machine that mints types from data must not grow memory,
 * so each service remembers a bounded number of distinct types.
 */
import type { EmittedEvent } from './service.js';

/** Distinct emitted types remembered per service. */
export const MAX_EMITTED_TYPES = 256;

/** Service → the event types its actors have emitted. */
export class EmitsSeen {
  private readonly types = new Map<string, Set<string>>();

  /** Notes what one of `service`'s actors emitted; a type that is not a string (a machine's mistake) is ignored. */
  note(service: string, emitted: readonly EmittedEvent[]): void {
    if (emitted.length === 0) return;
    let types = this.types.get(service);
    if (types === undefined) {
      types = new Set();
      this.types.set(service, types);
    }
    for (const e of emitted) if (typeof e.type === 'string' && types.size < MAX_EMITTED_TYPES) types.add(e.type);
  }

  /** Service → the types seen, sorted. */
  all(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [service, types] of this.types) out[service] = [...types].sort();
    return out;
  }
}
