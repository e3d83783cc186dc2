/**
 * The handshake signature: how a peer proves its node id, not only its membership.
 *
 * The cluster secret's proof (`handshake.ts`) shows that a peer belongs to the cluster;
 * any member could send it under any node id. A node that has a key (`node-keys.ts`)
 * therefore adds to its `auth` an Ed25519 signature, with its node key, of the handshake
 * transcript: a domain tag, the cluster id, both node ids (signer first), both nonces
 * (signer's first) and both `hello` frames exactly as they went over the wire (signer's
 * first), each preceded by its length as a 32-bit big-endian integer. The verifier checks
 * it against the key the trust list gives the node id the peer's hello claims.
 *
 * The verifier's nonce is fresh, so a recorded signature is useless on a new connection;
 * the transcript names the direction, so a signature reflected at its signer or replayed
 * the other way does not verify; and a key valid for one node id does not verify for
 * another, because the verifier looks the key up by the claimed id.
 */
import type { ProofArgs } from './handshake.js';
import type { NodeIdentity } from './node-keys.js';

/** Separates these signatures from any other use of a node key. */
const DOMAIN = 'troupe/handshake-signature/v1';

/** What one handshake signature covers: a proof's arguments and both hellos' bytes. */
export interface SignatureArgs extends ProofArgs {
  /** The signer's hello frame, as sent. */
  readonly fromHello: Uint8Array;
  /** The verifier's hello frame, as the signer received it. */
  readonly toHello: Uint8Array;
}

/** The bytes a handshake signature signs. */
export function handshakeTranscript(args: SignatureArgs): Uint8Array {
  return lengthPrefixed([DOMAIN, args.cluster, args.fromNode, args.toNode, args.fromNonce, args.toNonce, args.fromHello, args.toHello]);
}

/** This node's signature of the transcript it owes `args.toNode`. */
export function signHandshake(identity: NodeIdentity, args: SignatureArgs): Uint8Array {
  return identity.sign(handshakeTranscript(args));
}

/** Whether `signature` is `args.fromNode`'s signature of the transcript, under the key the trust list gives it. */
export function verifyHandshake(identity: NodeIdentity, args: SignatureArgs, signature: Uint8Array): boolean {
  return identity.verify(args.fromNode, handshakeTranscript(args), signature);
}

/**
 * `parts` as one byte string, each preceded by its byte length (32-bit big-endian), so
 * that no two different lists give the same bytes. Strings are UTF-8.
 */
export function lengthPrefixed(parts: readonly (string | Uint8Array)[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    chunks.push(length, bytes);
  }
  return Buffer.concat(chunks);
}
