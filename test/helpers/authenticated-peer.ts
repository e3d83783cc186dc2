/**
 * A fake peer that knows the cluster secret: it does the real handshake
 * (`protocol/handshake.ts`) and then sends whatever frames or bytes a test gives it, so a
 * test can try what an authenticated but hostile device could. It records every frame the
 * node sends and how the node closed the connection. Given a node key, it also signs the
 * transcript (`handshake-signature.ts`), as a node started with `--trust` requires.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../protocol/codec.js';
import { PROTOCOL_VERSION, type Frame, type HelloFrame } from '../../protocol/frame.js';
import { newNonce, proof } from '../../protocol/handshake.js';
import type { NodeIdentity } from '../../protocol/node-keys.js';
import { signForPeer } from '../../runtime/peer-identity.js';
import { waitFor } from './wait-for.js';

/** Who the fake peer says it is. */
export interface PeerIdentity {
  readonly cluster: string;
  readonly secret: string;
  readonly node: string;
  /** A node key to sign the transcript with, as `node` (a test may sign with another node's key). [default none: the secret alone] */
  readonly key?: NodeIdentity;
  /** Sends this signature in `auth` instead of its own (`null`: none, even with a key). */
  readonly signature?: Uint8Array | null;
  /** The hello's optional fields (`admin`, `instance`, …, `folds`). [default none] */
  readonly hello?: Pick<HelloFrame, 'admin' | 'instance' | 'interest' | 'relaxed' | 'folds'>;
}

/** How the node closed a connection. */
export interface PeerClose {
  readonly code: number;
  readonly reason: string;
}

/** One connection of the fake peer, authenticated once {@link connectAuthenticated} resolves. */
export class AuthenticatedPeer {
  /** Frames the node sent, decoded (those that decode). */
  readonly received: Frame[] = [];
  /** Resolves when the connection closes, however it closes. */
  readonly closed: Promise<PeerClose>;
  /** The node signature its `auth` carried, if any. */
  sentSignature: Uint8Array | undefined;
  private closeInfo: PeerClose | undefined;

  constructor(readonly socket: WebSocket) {
    const peer = this;
    this.closed = new Promise<PeerClose>((resolve) => {
      socket.on('close', function fakePeerOnClose(code, reason) {
        peer.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(peer.closeInfo);
      });
    });
    socket.on('message', function fakePeerOnMessage(data: Buffer) {
      try {
        peer.received.push(decodeFrame(data));
      } catch {
        // the node never sends what does not decode; a test that cares asserts on `received`
      }
    });
    socket.on('error', function fakePeerOnError() {});
  }

  /** Whether the node has closed the connection. */
  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  /** Resolves once the node has linked it (its `want` came: a node sends that only on a link); rejects if it closes first. */
  async linked(timeout = 15_000): Promise<void> {
    await waitFor(() => this.received.some((f) => f.type === 'want') || this.isClosed, { timeout, message: 'the node to link the fake peer' });
    if (this.closeInfo !== undefined) throw new Error(`the node refused the fake peer: ${this.closeInfo.code} ${this.closeInfo.reason}`);
  }

  /** Sends a frame (encoded with the real codec) or raw bytes, if the socket is still open. */
  send(frame: Frame | Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(frame instanceof Uint8Array ? frame : encodeFrame(frame), { binary: true });
  }

  /** Closes the connection from this side and waits for the close. */
  async close(): Promise<PeerClose> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'done');
    else if (this.socket.readyState === WebSocket.CONNECTING) this.socket.terminate();
    return this.closed;
  }
}

/** The hello a fake peer sends, with a fresh nonce. */
export function helloOf(identity: PeerIdentity): HelloFrame {
  return { type: 'hello', cluster: identity.cluster, node: identity.node, protocol: PROTOCOL_VERSION, nonce: newNonce(), ...identity.hello };
}

/**
 * Opens a connection to `url`, sends a hello, answers the node's hello with a valid proof
 * of the secret, and resolves once the node's own proof has arrived (the node accepts
 * ours in the same turn, or closes the connection). Rejects if the node closes first or
 * after `timeout` ms.
 */
export function connectAuthenticated(url: string, identity: PeerIdentity, timeout = 10_000): Promise<AuthenticatedPeer> {
  return new Promise<AuthenticatedPeer>((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    const peer = new AuthenticatedPeer(socket);
    const hello = helloOf(identity);
    // The node signature covers both hellos as they went over the wire.
    const helloBytes = Buffer.from(encodeFrame(hello));
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`${url}: no handshake within ${timeout} ms`));
    }, timeout);
    socket.on('open', function fakePeerOnOpen() {
      peer.send(helloBytes);
    });
    socket.on('message', function fakePeerHandshake(data: Buffer) {
      const nodeHello = peer.received.find((f): f is HelloFrame => f.type === 'hello');
      if (nodeHello === undefined) return;
      if (peer.received.length === 1) peer.send(authOf(identity, hello, helloBytes, nodeHello, data, peer));
      if (peer.received.some((f) => f.type === 'auth')) {
        clearTimeout(timer);
        socket.off('message', fakePeerHandshake);
        resolve(peer);
      }
    });
    void peer.closed.then((info) => {
      clearTimeout(timer);
      reject(new Error(`${url}: the node closed the connection during the handshake (${info.code} ${info.reason})`));
    });
  });
}

/** The fake peer's `auth`: its proof of the secret and, with a key, its signature (recorded on `peer`). */
function authOf(identity: PeerIdentity, hello: HelloFrame, helloBytes: Uint8Array, nodeHello: HelloFrame, nodeHelloBytes: Uint8Array, peer: AuthenticatedPeer): Frame {
  const args = { cluster: identity.cluster, fromNode: identity.node, toNode: nodeHello.node, fromNonce: hello.nonce, toNonce: nodeHello.nonce };
  const sides = { cluster: identity.cluster, me: { id: identity.node, nonce: hello.nonce, hello: helloBytes }, peer: { hello: nodeHello, bytes: nodeHelloBytes } };
  const signature = identity.signature === undefined ? identity.key && signForPeer(identity.key, sides) : (identity.signature ?? undefined);
  peer.sentSignature = signature;
  return { type: 'auth', proof: proof(identity.secret, args), ...(signature === undefined ? {} : { signature }) };
}
