/**
 * Origins: who stamped an event. A node stamps under a new origin at every start, its
 * node id and an incarnation (`n1~V1StGX`), because after a lost, rewound or copied disk
 * it cannot know which of its old sequence numbers the cluster already holds; a fresh
 * origin makes every (origin, seq) one event, forever. The node is what peers, keys and
 * the inspector care about; the origin is what clocks count.
 *
 * The price is one clock entry per start of a node; folding the entries of incarnations
 * that will stamp nothing more into one is the retirement of issue 17.
 */
import { customAlphabet, urlAlphabet } from 'nanoid';
import { NODE_ID_PATTERN } from './envelope.js';

/** Between a node id and its incarnation; never part of a node id. */
export const INCARNATION_SEPARATOR = '~';

/** The longest origin: a 64-character node id, the separator and a 16-character incarnation. */
export const MAX_ORIGIN_LENGTH = 64 + 1 + 16;

/**
 * Six random characters of nanoid's 64-letter URL alphabet (6.9·10¹⁰ values): two of one
 * node's starts share one with odds of about k²/1.4·10¹¹ after k starts (7·10⁻⁶ after
 * a thousand starts).
 */
const drawIncarnation = customAlphabet(urlAlphabet, 6);

/**
 * A fresh incarnation for one start of node `node`, none of the origins in `known` (the
 * ones its disk still remembers, if it does).
 */
export function newIncarnation(node: string, known: Iterable<string> = []): string {
  const taken = new Set(known);
  for (;;) {
    const incarnation = drawIncarnation();
    if (!taken.has(originOf(node, incarnation))) return incarnation;
  }
}

/** The incarnation in `origin` (`''` for an origin without one). */
export function incarnationOf(origin: string): string {
  const at = origin.indexOf(INCARNATION_SEPARATOR);
  return at < 0 ? '' : origin.slice(at + 1);
}

/** The origin a node stamps under in one incarnation. */
export function originOf(node: string, incarnation: string): string {
  return `${node}${INCARNATION_SEPARATOR}${incarnation}`;
}

/** The node that stamps under `origin` (an origin without an incarnation is its node). */
export function nodeOf(origin: string): string {
  const at = origin.indexOf(INCARNATION_SEPARATOR);
  return at < 0 ? origin : origin.slice(0, at);
}

/**
 * Whether `origin` is one of node `node`'s: `nodeOf(origin) === node` without building a
 * string, for checks made per event (a sender asks it of every event for every peer).
 */
export function isOfNode(origin: string, node: string): boolean {
  return origin.startsWith(node) && (origin.length === node.length || origin[node.length] === INCARNATION_SEPARATOR);
}

/** Whether `origin` is well formed: a node id, optionally with an incarnation. */
export function isOrigin(origin: string): boolean {
  const at = origin.indexOf(INCARNATION_SEPARATOR);
  if (at < 0) return NODE_ID_PATTERN.test(origin);
  return NODE_ID_PATTERN.test(origin.slice(0, at)) && /^[A-Za-z0-9_-]{1,16}$/.test(origin.slice(at + 1));
}
