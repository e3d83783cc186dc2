/**
 * Which node stamped an event. An event's origin is its node's id and the incarnation it
 * stamped under (`n1~V1StGX`: a node takes a fresh one at each start), so one node's
 * events may carry several origins; the page shows one lane per node. The same rule as
 * `protocol/origin.ts` (`nodeOf`), which the page cannot import: it loads nothing from
 * the node's code.
 */

/** The node that stamped under `origin` (an origin without an incarnation is its node). */
export function nodeOf(origin: string): string {
  const at = origin.indexOf('~');
  return at < 0 ? origin : origin.slice(0, at);
}
