/**
 * Why an event waits in the causal buffer: the events it depends on that this node has
 * not delivered. For an event from origin i with clock vc, a node at clock VC lacks, of
 * i, everything from VC[i] + 1 to seq − 1 (the direct predecessor is i:seq−1), and of
 * every other node k, everything from VC[k] + 1 to vc[k] (the newest needed is k:vc[k]).
 */
import { eventId, type VectorClock } from '../protocol/envelope.js';

/**
 * The newest missing dependency of each origin, as event ids (`n1:12`), sorted by node;
 * empty when the event is deliverable (or a duplicate).
 * @example waitingFor({ origin: 'n2', seq: 5, vc: { n1: 12, n2: 5 } }, { n1: 10, n2: 4 }) // ['n1:12']
 */
export function waitingFor(event: { readonly origin: string; readonly seq: number; readonly vc: VectorClock }, clock: VectorClock): string[] {
  const missing: string[] = [];
  for (const node of Object.keys(event.vc).sort()) {
    const needed = node === event.origin ? event.seq - 1 : event.vc[node];
    if (needed > (clock[node] ?? 0)) missing.push(eventId(node, needed));
  }
  return missing;
}
