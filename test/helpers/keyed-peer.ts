/**
 * Node keys for tests, and a fake peer that holds one: it completes the handshake with a
 * real node (cluster secret and node signature), then sends whatever frames a test gives
 * it, and records what the node sent and how it closed the connection. It relays nothing
 * on its own, so a test decides every event and checkpoint the node sees.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/codec.js';
import { PROTOCOL_VERSION, type Frame, type HelloFrame } from '../../protocol/frame.js';
import { newNonce, proof } from '../../protocol/handshake.js';
import { NodeIdentity, newNodeKey, TrustList, type NodeKey } from '../../protocol/node-keys.js';
import { signForPeer } from '../../runtime/peer-identity.js';
import type { Teardownable } from './node-process.js';
import { waitFor } from './wait-for.js';

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

/** How the node closed a fake peer's connection. */
export interface PeerClosed {
  readonly code: number;
  readonly reason: string;
}

/** What a fake peer does in its handshake; by default what an honest node does. */
export interface FakePeerOptions {
  readonly cluster?: string;
  readonly secret: string;
  /**
   * Signs the transcript (whatever node id it claims: a test impersonates with another
   * node's identity); `signature` overrides what it would sign.
   */
  readonly identity: NodeIdentity;
  /** The node id its hello claims. [default identity.node] */
  readonly node?: string;
  /** Sends this signature in `auth` instead of its own (`null`: none). */
  readonly signature?: Uint8Array | null;
}

/** A fake peer linked (or refused) by a real node. */
export class FakePeer {
  readonly frames: Frame[] = [];
  /** The signature it sent in its `auth`. */
  sentSignature: Uint8Array | undefined;
  closed: PeerClosed | undefined;
  private readonly ws: WebSocket;

  private constructor(url: string, options: FakePeerOptions) {
    const cluster = options.cluster ?? 'troupe';
    const node = options.node ?? options.identity.node;
    const nonce = newNonce();
    const hello: HelloFrame = { type: 'hello', cluster, node, protocol: PROTOCOL_VERSION, nonce };
    const helloBytes = Buffer.from(encodeFrame(hello));
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => this.ws.send(helloBytes));
    this.ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(data);
      this.frames.push(frame);
      if (frame.type !== 'hello') return;
      const signature = options.signature === undefined
        ? signForPeer(options.identity, { cluster, me: { id: node, nonce, hello: helloBytes }, peer: { hello: frame, bytes: data } })
        : options.signature ?? undefined;
      this.sentSignature = signature;
      const mac = proof(options.secret, { cluster, fromNode: node, toNode: frame.node, fromNonce: nonce, toNonce: frame.nonce });
      this.send({ type: 'auth', proof: mac, ...(signature === undefined ? {} : { signature }) });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString('utf8') };
    });
  }

  /** Dials `url` (`ws://…`) and runs the handshake as `options` say. */
  static dial(t: Teardownable, url: string, options: FakePeerOptions): FakePeer {
    const peer = new FakePeer(url, options);
    t.teardown(() => peer.ws.terminate());
    return peer;
  }

  /** Resolves once the node linked it (its `want` came: the node sends that only on a link). */
  async linked(timeout = 15_000): Promise<void> {
    await waitFor(() => ({ want: this.frames.some((f) => f.type === 'want'), closed: this.closed }), {
      timeout,
      until: (s) => s.want || s.closed !== undefined,
      message: () => 'the node to link the fake peer',
    });
    if (this.closed !== undefined) throw new Error(`the node refused the fake peer: ${this.closed.code} ${this.closed.reason}`);
  }

  /** Resolves with how the node closed the connection. */
  async closing(timeout = 15_000): Promise<PeerClosed> {
    return waitFor(() => this.closed, { timeout, until: (c) => c !== undefined, message: () => 'the node to close the fake peer' }) as Promise<PeerClosed>;
  }

  /** Sends a frame. */
  send(frame: Frame): void {
    this.ws.send(encodeFrame(frame));
  }
}
