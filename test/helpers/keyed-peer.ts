/**
 * Node keys for tests, and a fake peer that holds one (`authenticated-peer.ts` with a
 * key): it completes the handshake with a real node (cluster secret and node signature),
 * then sends whatever frames a test gives it. It relays nothing on its own, so a test
 * decides every event and checkpoint the node sees.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeIdentity, newNodeKey, TrustList, type NodeKey } from '../../protocol/node-keys.js';
import { connectAuthenticated, type AuthenticatedPeer } from './authenticated-peer.js';
import type { Teardownable } from './node-process.js';

/** Key files for a set of node ids and one trust list naming them all. */
export interface TestKeys {
  readonly dir: string;
  readonly trustFile: string;
  /** The key of each node id. */
  readonly keys: ReadonlyMap<string, NodeKey>;
  /** `--trust FILE --key FILE` for node `id`. */
  args(id: string): string[];
  /** Node `id`'s identity: its key and the trust list. */
  identity(id: string): NodeIdentity;
}

/** Writes a key file per id and a trust list of them all into a temp dir, removed in teardown. */
export async function testKeys(t: Teardownable, ids: readonly string[]): Promise<TestKeys> {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-keys-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const keys = new Map<string, NodeKey>();
  for (const id of ids) {
    const { key, pem } = newNodeKey();
    keys.set(id, key);
    await writeFile(join(dir, `${id}.key`), pem, { mode: 0o600 });
  }
  const trustFile = join(dir, 'trust');
  const text = TrustList.format([...keys].map(([id, key]) => [id, key.publicKey] as const));
  await writeFile(trustFile, text);
  const trust = TrustList.parse(text, trustFile);
  return {
    dir,
    trustFile,
    keys,
    args: (id) => ['--trust', trustFile, '--key', join(dir, `${id}.key`)],
    identity: (id) => new NodeIdentity(id, keys.get(id)!, trust),
  };
}

/** An identity with a fresh key that no test trust list names: it signs, and nobody believes it. */
export function strangerIdentity(id: string): NodeIdentity {
  const { key } = newNodeKey();
  return new NodeIdentity(id, key, TrustList.parse(TrustList.format([[id, key.publicKey]]), 'stranger'));
}

/** What a keyed fake peer does in its handshake; by default what an honest node does. */
export interface KeyedPeerOptions {
  readonly secret: string;
  /** Signs the transcript with this identity's key, whatever node id it claims. */
  readonly identity: NodeIdentity;
  /** The node id its hello claims. [default identity.node] */
  readonly node?: string;
  /** Sends this signature in `auth` instead of its own (`null`: none). */
  readonly signature?: Uint8Array | null;
}

/** A fake peer of cluster `troupe` that signs its handshake with a node key; closed in teardown. */
export async function keyedPeer(t: Teardownable, url: string, options: KeyedPeerOptions): Promise<AuthenticatedPeer> {
  const { secret, identity, signature } = options;
  const peer = await connectAuthenticated(url, { cluster: 'troupe', secret, node: options.node ?? identity.node, key: identity, signature });
  t.teardown(async function closeKeyedPeer() {
    await peer.close();
  });
  return peer;
}
