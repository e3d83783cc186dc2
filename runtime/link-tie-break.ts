/**
 * The tie-break between two connections that link the same two nodes. Two nodes that
 * dial each other at the same moment meet twice, and each side finds out on its own, in
 * its own order, that it has two. Keeping "the older" or "the newer" lets the sides judge
 * differently, close each other's choice and end with no link at all. So the rule uses
 * only what both sides know alike: the connection dialed by the node with the smaller id
 * (by code units) stays, the other is closed with `duplicateLink`. Two connections dialed
 * by the same node (a second URL for one peer, a redial while a stale link lingers) keep
 * the one already up.
 */

/** Which end opened a connection, as seen from this node. */
export type Direction = 'dialed' | 'accepted';

/**
 * Whether a connection between `self` and `peer` that just authenticated (`fresh`)
 * replaces the link already up between them (`held`).
 */
export function replacesLink(self: string, peer: string, fresh: Direction, held: Direction): boolean {
  const dialer = (direction: Direction): string => (direction === 'dialed' ? self : peer);
  const freshDialer = dialer(fresh);
  const heldDialer = dialer(held);
  return freshDialer !== heldDialer && freshDialer < heldDialer;
}
