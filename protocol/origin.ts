/**
 * Origins: who stamped an event. A node stamps under a new origin at every start, its
 * node id and an incarnation (`n1~V1StGX`), because after a lost, rewound or copied disk
 * it cannot know which of its old sequence numbers the cluster already holds; a fresh
 * origin makes every (origin, seq) one event, forever. The node is what peers, keys and
 * the inspector care about; the origin is what clocks count.
 */
import { NODE_ID_PATTERN } from './envelope.js';

/** Between a node id and its incarnation; never part of a node id. */
export const INCARNATION_SEPARATOR = '~';

/** The origin a node stamps under in one incarnation. */
export function originOf(node: string, incarnation: string): string {
  return `${node}${INCARNATION_SEPARATOR}${incarnation}`;
}

/** The node that stamps under `origin` (an origin without an incarnation is its node). */
export function nodeOf(origin: string): string {
  const at = origin.indexOf(INCARNATION_SEPARATOR);
  return at < 0 ? origin : origin.slice(0, at);
}

/** Whether `origin` is well formed: a node id, optionally with an incarnation. */
export function isOrigin(origin: string): boolean {
  const at = origin.indexOf(INCARNATION_SEPARATOR);
  if (at < 0) return NODE_ID_PATTERN.test(origin);
  return NODE_ID_PATTERN.test(origin.slice(0, at)) && /^[A-Za-z0-9_-]{1,16}$/.test(origin.slice(at + 1));
}
