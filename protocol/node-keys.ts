/**
 * Node keys: which node may speak for which node id.
 *
 * Each node holds an Ed25519 key pair. The cluster decides which public key speaks for
 * which node id with a **trust list**, one `nodeId publicKey` line per node (`--trust
 * FILE`), the same file on every node. An allow-list rather than certificates signed by a
 * cluster key: every node can then verify an event of any origin, even one it never
 * linked to, with nothing carried beside the event but its origin's signature, and
 * adding or retiring a node is editing one file. A node's key signs its handshake
 * (`handshake-signature.ts`) and the checkpoints of its own events (`origin-proof.ts`).
 *
 * A private key is a PKCS#8 PEM file (what `openssl genpkey -algorithm ed25519` writes);
 * a public key is written as the 43-character base64url of its 32 raw bytes (the `x` of
 * its JWK).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { NODE_ID_PATTERN } from './envelope.js';
import { TroupeError } from './troupe-error.js';

/** Bytes in an Ed25519 signature. */
export const SIGNATURE_BYTES = 64;

/** A node's own key pair, as loaded from its key file. */
export interface NodeKey {
  readonly privateKey: KeyObject;
  /** The public key as the trust list writes it. */
  readonly publicKey: string;
}

/** A fresh key pair, and its private key as PEM for the key file. */
export function newNodeKey(): { readonly key: NodeKey; readonly pem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { key: { privateKey, publicKey: publicKeyText(publicKey) }, pem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
}

/**
 * Reads a private key from PEM.
 * @throws TroupeError `TROUPE_KEY_INVALID` unless it is an Ed25519 private key
 */
export function readNodeKey(pem: string | Buffer, source: string): NodeKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (cause) {
    throw new TroupeError('TROUPE_KEY_INVALID', `${source}: not a private key in PEM: ${(cause as Error).message}`, { cause });
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') {
    throw new TroupeError('TROUPE_KEY_INVALID', `${source}: a ${privateKey.asymmetricKeyType ?? 'unknown'} key; troupe node keys are Ed25519`);
  }
  return { privateKey, publicKey: publicKeyText(createPublicKey(privateKey)) };
}

/** A public key as the trust list writes it: base64url of its 32 raw bytes. */
export function publicKeyText(key: KeyObject): string {
  return String(key.export({ format: 'jwk' }).x);
}

/** The public key a trust list line names, or undefined if the text is not one. */
function parsePublicKey(text: string): KeyObject | undefined {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined;
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: text }, format: 'jwk' });
  } catch {
    return undefined;
  }
}

/** Which public key speaks for which node id: the cluster's allow-list. */
export class TrustList {
  private readonly keys: ReadonlyMap<string, { readonly text: string; readonly key: KeyObject }>;

  private constructor(keys: ReadonlyMap<string, { readonly text: string; readonly key: KeyObject }>) {
    this.keys = keys;
  }

  /**
   * Reads a trust list: one `nodeId publicKey` per line; blank lines and lines starting
   * with `#` are skipped.
   * @throws TroupeError `TROUPE_TRUST_INVALID` naming the first bad line (a bad node id or
   *   key, a node id listed twice)
   */
  static parse(text: string, source: string): TrustList {
    const keys = new Map<string, { text: string; key: KeyObject }>();
    text.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      const bad = (why: string): TroupeError => new TroupeError('TROUPE_TRUST_INVALID', `${source} line ${i + 1}: ${why}`);
      const [node, publicKey, ...rest] = line.split(/\s+/);
      if (rest.length > 0 || publicKey === undefined) throw bad('expected "nodeId publicKey"');
      if (!NODE_ID_PATTERN.test(node) || node === '__proto__') throw bad(`${node} is not a node id`);
      if (keys.has(node)) throw bad(`${node} is listed twice`);
      const key = parsePublicKey(publicKey);
      if (key === undefined) throw bad(`the key of ${node} is not a base64url Ed25519 public key (43 characters)`);
      keys.set(node, { text: publicKey, key });
    });
    return new TrustList(keys);
  }

  /** The trust list text for `entries`, one line each. */
  static format(entries: Iterable<readonly [node: string, publicKey: string]>): string {
    return [...entries].map(([node, key]) => `${node} ${key}\n`).join('');
  }

  /** The public key that speaks for `node`, if it has one here. */
  keyOf(node: string): KeyObject | undefined {
    return this.keys.get(node)?.key;
  }

  /** The public key of `node` as the list writes it. */
  textOf(node: string): string | undefined {
    return this.keys.get(node)?.text;
  }
}

/**
 * A node's identity: its id, its key, and the cluster's trust list. Signs as this node
 * and verifies what any node signed.
 */
export class NodeIdentity {
  readonly node: string;
  readonly trust: TrustList;
  private readonly key: NodeKey;

  /**
   * @throws TroupeError `TROUPE_KEY_UNTRUSTED` unless the trust list gives `node` this key
   */
  constructor(node: string, key: NodeKey, trust: TrustList) {
    const listed = trust.textOf(node);
    if (listed !== key.publicKey) {
      throw new TroupeError(
        'TROUPE_KEY_UNTRUSTED',
        listed === undefined ? `the trust list has no key for ${node}: add "${node} ${key.publicKey}"` : `the trust list gives ${node} another key than this node's (${key.publicKey})`,
      );
    }
    this.node = node;
    this.key = key;
    this.trust = trust;
  }

  /** This node's Ed25519 signature of `message`. */
  sign(message: Uint8Array): Uint8Array {
    return sign(null, message, this.key.privateKey);
  }

  /** Whether `signature` is `node`'s signature of `message`; false for a node the trust list does not name. */
  verify(node: string, message: Uint8Array, signature: Uint8Array): boolean {
    const key = this.trust.keyOf(node);
    if (key === undefined || signature.length !== SIGNATURE_BYTES) return false;
    return verify(null, message, key, signature);
  }
}
