/**
 * The handshake: how two nodes that share a cluster secret recognise each other.
 *
 * 1. As soon as the WebSocket is open, both sides send `hello { cluster, node, protocol,
 *    nonce }`, each with a fresh random nonce. Neither waits for the other.
 * 2. On the peer's hello, each side checks the protocol version (else close
 *    `versionMismatch`), the cluster id (`wrongCluster`), the node id (`selfLink` if it is
 *    its own; `protocolError` if malformed), then sends `auth { proof }` with
 *      proof(secret, { cluster, fromNode: me, toNode: peer, fromNonce: myNonce, toNonce: peerNonce })
 *    — a proof over the PEER's fresh nonce, which the peer just chose, so a recorded
 *    proof is useless on any later connection.
 * 3. On the peer's auth, each side checks it with
 *      verifyProof(secret, { cluster, fromNode: peer, toNode: me, fromNonce: peerNonce, toNonce: myNonce }, proof)
 *    and closes with `authFailed` if it does not verify, `duplicateId` if another
 *    process with that node id (another instance id) is linked already, or
 *    `duplicateLink` if it is already linked to that node. A side that has not finished within
 *    `HANDSHAKE_TIMEOUT_MS` closes with `timeout`.
 * 4. Once the peer's proof verifies, each side sends `links { links }` (so the peer knows
 *    what not to relay before it starts sending), then `want { vc }`, and the link
 *    carries events (see PROTOCOL.md).
 *
 * The MAC covers a domain tag and every field, each length-prefixed so no two different
 * argument lists hash the same bytes, and names the direction (`fromNode` → `toNode`):
 * a proof reflected back at its sender, or replayed in the other direction, names the
 * wrong pair and fails. The handshake authenticates the peer, not later frames: against
 * an attacker who can rewrite traffic on the path, run links over `wss://`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Bytes in a hello nonce. */
export const NONCE_BYTES = 32;

/** Bytes in an auth proof (HMAC-SHA256). */
export const PROOF_BYTES = 32;

/** How long a connection may take from open to verified proof before it is closed. [10000 ms] */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * WebSocket close codes troupe sends, by reason. The 4xxx codes are troupe's own (the
 * range RFC 6455 leaves to applications), echoing the nearest HTTP status; the close
 * reason carries a human-readable message. 1001 and 1009 are the standard codes.
 */
export const CLOSE_CODES = {
  /** The node is shutting down (standard "going away"). */
  goingAway: 1001,
  /** A frame over the size limit; `ws` sends it itself when `maxPayload` is exceeded. */
  frameTooLarge: 1009,
  /** Undecodable or invalid frame, bad event, or a frame out of turn. */
  protocolError: 4400,
  /** The peer's proof of the cluster secret did not verify. */
  authFailed: 4401,
  /**
   * The peer did not prove its node id: its auth carries no signature, or one that does
   * not verify under the key the trust list gives that id (or the list gives it none).
   */
  keyRejected: 4406,
  /** The peer belongs to another cluster. */
  wrongCluster: 4403,
  /** The handshake did not complete within the deadline. */
  timeout: 4408,
  /** There is already a link to that node. */
  duplicateLink: 4409,
  /**
   * Another process with the peer's node id is linked here already (its hello carried
   * another instance id): two live processes under one id are refused, never merged.
   */
  duplicateId: 4423,
  /**
   * The peer sent an event or a checkpoint its origin did not sign: a checkpoint whose
   * signature does not verify, an event no checkpoint lists, or one whose bytes differ from
   * what its checkpoint lists (see `origin-proof.ts`).
   */
  forgedEvent: 4422,
  /** The peer speaks another protocol version. */
  versionMismatch: 4426,
  /** This node cut its link to the peer on purpose (`--chaos`); it refuses the peer until healed. */
  linkCut: 4503,
  /**
   * The peer's node id was retired for good (`troupe forget`, as HTTP 410 Gone): a node
   * that delivered the retirement refuses it at every redial.
   */
  nodeRetired: 4410,
  /** The peer is this node itself (a loop, as HTTP 508). */
  selfLink: 4508,
} as const;

/** What one proof is about: which cluster, who proves to whom, over which nonces. */
export interface ProofArgs {
  readonly cluster: string;
  /** The node that proves (sends the auth frame). */
  readonly fromNode: string;
  /** The node it proves to. */
  readonly toNode: string;
  /** The prover's own nonce, from its hello. */
  readonly fromNonce: Uint8Array;
  /** The verifier's nonce, from its hello: fresh, so the proof cannot be replayed. */
  readonly toNonce: Uint8Array;
}

/** A fresh random id for this process, told in every hello (see `HelloFrame.instance`). */
export function newInstanceId(): string {
  return randomBytes(12).toString('base64url');
}

/** A fresh random nonce for a hello frame. */
export function newNonce(): Uint8Array {
  return randomBytes(NONCE_BYTES);
}

/** Separates these MACs from any other use of the same secret. */
const DOMAIN = 'troupe/handshake/v1';

/**
 * The proof that `fromNode` knows the cluster secret: HMAC-SHA256, keyed with the secret,
 * over the domain tag and then cluster, fromNode, toNode, fromNonce and toNonce, each
 * preceded by its length as a 32-bit big-endian integer.
 */
export function proof(secret: string, args: ProofArgs): Uint8Array {
  const mac = createHmac('sha256', secret);
  for (const part of [DOMAIN, args.cluster, args.fromNode, args.toNode, args.fromNonce, args.toNonce]) {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    mac.update(length);
    mac.update(bytes);
  }
  return mac.digest();
}

/**
 * Whether `received` is the proof `args.fromNode` owes for `args`; compared in constant
 * time. A proof of the wrong length is simply false.
 */
export function verifyProof(secret: string, args: ProofArgs, received: Uint8Array): boolean {
  const expected = proof(secret, args);
  return received.length === expected.length && timingSafeEqual(expected, received);
}
