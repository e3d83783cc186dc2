/**
 * Node key and trust list files: where a node's private key lives, and loading it with
 * the cluster's trust list into a `NodeIdentity`.
 *
 * The key file defaults to `<data dir>.key`, beside the data directory rather than in it:
 * a node whose data directory is wiped (a lost disk, `--fresh`, a chaos test) keeps its
 * identity, and recovers its history from peers under the same key.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { NodeIdentity, newNodeKey, readNodeKey, TrustList, type NodeKey } from '../protocol/node-keys.js';
import { TroupeError } from '../protocol/troupe-error.js';

/** Where a node keeps its private key when `--key` is not given: beside its data directory. */
export function defaultKeyFile(dataDir: string): string {
  return `${dataDir.replace(/[/\\]+$/, '')}.key`;
}

/**
 * Reads the private key in `file`.
 * @throws TroupeError `TROUPE_KEY_INVALID` when it is missing or not an Ed25519 key
 */
export function readKeyFile(file: string, id: string): NodeKey {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (cause) {
    throw new TroupeError(
      'TROUPE_KEY_INVALID',
      `cannot read the node key ${file} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}): create one with \`troupe keys new --id ${id} --key ${file}\``,
      { cause },
    );
  }
  return readNodeKey(pem, file);
}

/**
 * Creates a key file (owner-only) and returns its key.
 * @throws TroupeError `TROUPE_BAD_FLAGS` when `file` exists already: a key is never overwritten
 */
export function createKeyFile(file: string): NodeKey {
  if (existsSync(file)) throw new TroupeError('TROUPE_BAD_FLAGS', `${file} exists already; a node key is never overwritten`);
  const { key, pem } = newNodeKey();
  try {
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (cause) {
    throw new TroupeError('TROUPE_KEY_INVALID', `cannot write the node key ${file}: ${(cause as Error).message}`, { cause });
  }
  return key;
}

/** The key in `file`, created first if there is none (for local clusters). */
export function ensureKeyFile(file: string): NodeKey {
  return existsSync(file) ? readNodeKey(readFileSync(file), file) : createKeyFile(file);
}

/**
 * Reads a trust list file.
 * @throws TroupeError `TROUPE_TRUST_INVALID` when it cannot be read or has a bad line
 */
export function readTrustFile(file: string): TrustList {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new TroupeError('TROUPE_TRUST_INVALID', `cannot read the trust list ${file}: ${(cause as Error).message}`, { cause });
  }
  return TrustList.parse(text, file);
}

/**
 * Node `id`'s identity from its key file and the trust list file.
 * @throws TroupeError `TROUPE_KEY_INVALID`, `TROUPE_TRUST_INVALID`, or `TROUPE_KEY_UNTRUSTED`
 *   when the list does not give `id` this key
 */
export function loadIdentity(id: string, keyFile: string, trustFile: string): NodeIdentity {
  return new NodeIdentity(id, readKeyFile(keyFile, id), readTrustFile(trustFile));
}
