/**
 * A vector clock by node: what each node stamped across all its starts. Clocks count
 * origins (`n1~V1StGX`, a fresh one at every start of a node); a test that asks how many
 * events a node published sums its origins' entries.
 */
import { nodeOf } from '../../protocol/origin.js';

/** `vc` with each node's origins summed into one entry under its node id. */
export function nodeClock(vc: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [origin, n] of Object.entries(vc)) out[nodeOf(origin)] = (out[nodeOf(origin)] ?? 0) + n;
  return out;
}
