/**
 * The node-id half of a connection's handshake (`handshake-signature.ts`): what this
 * node signs for its peer, and whether the peer's signature proves the node id its hello
 * claims. A connection keeps the bytes of both hellos for it.
 */
import { signHandshake, verifyHandshake } from '../protocol/handshake-signature.js';
import type { HelloFrame } from '../protocol/frame.js';
import type { NodeIdentity } from '../protocol/node-keys.js';

/** Both sides of one handshake as this node saw them. */
export interface HandshakeSides {
  readonly cluster: string;
  /** This node's id, nonce and hello bytes as sent. */
  readonly me: { readonly id: string; readonly nonce: Uint8Array; readonly hello: Uint8Array };
  /** The peer's hello, and its bytes as received. */
  readonly peer: { readonly hello: HelloFrame; readonly bytes: Uint8Array };
}

/** This node's signature of the transcript, for its `auth`. */
export function signForPeer(identity: NodeIdentity, sides: HandshakeSides): Uint8Array {
  const { cluster, me, peer } = sides;
  return signHandshake(identity, {
    cluster, fromNode: me.id, toNode: peer.hello.node, fromNonce: me.nonce, toNonce: peer.hello.nonce, fromHello: me.hello, toHello: peer.bytes,
  });
}

/**
 * Why the peer's `auth` signature does not prove the node id its hello claims, or
 * undefined when it does.
 */
export function peerIdentityRefusal(identity: NodeIdentity, sides: HandshakeSides, signature: Uint8Array | undefined): string | undefined {
  const { cluster, me, peer } = sides;
  const node = peer.hello.node;
  if (identity.trust.keyOf(node) === undefined) return `${node} has no key in this node's trust list`;
  if (signature === undefined) return `${node} sent no node signature; this node requires one`;
  const args = { cluster, fromNode: node, toNode: me.id, fromNonce: peer.hello.nonce, toNonce: me.nonce, fromHello: peer.bytes, toHello: me.hello };
  return verifyHandshake(identity, args, signature) ? undefined : `${node}'s signature does not verify under its key in the trust list`;
}
