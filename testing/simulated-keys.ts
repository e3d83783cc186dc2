/**
 * Node keys of a simulated cluster: each node an Ed25519 key pair and the cluster a trust
 * list naming them all, so that its nodes sign their checkpoints and check their peers'
 * (`runtime/origin-proofs.ts`) exactly as a keyed cluster of processes does. A service's
 * tests then run through the same checks as production.
 *
 * The keys are drawn from the run's seed: Ed25519 signs deterministically, so a seed
 * replays the same bytes on every link.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { NodeIdentity, publicKeyText, TrustList, type NodeKey } from '../protocol/node-keys.js';

/** The PKCS#8 DER header of an Ed25519 private key; its 32-byte seed follows. */
const ED25519_PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The cluster id a simulated cluster's nodes sign under (as `--cluster` would name it). */
export const SIMULATED_CLUSTER = 'troupe';

/** A key pair for node `id`, drawn from `seed`. */
function keyOf(seed: number, id: string): NodeKey {
  const secret = createHash('sha256').update(`troupe-simulation:${seed}:${id}`).digest();
  const privateKey = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_HEADER, secret]), format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: publicKeyText(createPublicKey(privateKey)) };
}

/** Each node's identity, under one trust list that names every node of `ids`. */
export function simulatedIdentities(seed: number, ids: readonly string[]): Map<string, NodeIdentity> {
  const keys = new Map(ids.map((id) => [id, keyOf(seed, id)]));
  const trust = TrustList.parse(TrustList.format([...keys].map(([id, key]) => [id, key.publicKey])), 'simulated cluster');
  return new Map([...keys].map(([id, key]) => [id, new NodeIdentity(id, key, trust)]));
}
