/**
 * One WebSocket to a peer, dialed or accepted, from the handshake to its close.
 *
 * Both sides send `hello` at once. On the peer's hello each checks protocol version,
 * cluster id and node id, then proves the cluster secret over the peer's fresh nonce
 * (`auth`). Once the peer's proof verifies, the connection becomes a link and is handed
 * to the fabric; from then on frames go to the fabric. Anything that breaks the protocol
 * closes this one connection with a close code and a logged reason and changes nothing.
 * Heartbeats are WebSocket pings: a link that misses a pong for a whole interval is
 * terminated, which is how a silently dead link is noticed. Refusals, either way, are
 * logged and sent by `peer-refusals.ts`.
 */
import type WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../protocol/codec.js';
import { NODE_ID_PATTERN } from '../protocol/envelope.js';
import { originOf } from '../protocol/origin.js';
import { PROTOCOL_VERSION, type Frame, type HelloFrame } from '../protocol/frame.js';
import { CLOSE_CODES, newNonce, proof, verifyProof } from '../protocol/handshake.js';
import { isTroupeError, TroupeError, type TroupeErrorCode } from '../protocol/troupe-error.js';
import type { TimerHandle } from './clock.js';
import type { ConnectionContext } from './connection-context.js';
import { isSecondProcess } from './duplicate-ids.js';
import type { PeerLink } from './fabric.js';
import { replacesLink, type Direction } from './link-tie-break.js';
import { peerIdentityRefusal, signForPeer, type HandshakeSides } from './peer-identity.js';
import { PeerRefusals } from './peer-refusals.js';

export type { ConnectionContext };

/** A WebSocket to a peer going through the handshake, then carrying frames. */
export class PeerConnection implements PeerLink {
  private readonly ws: WebSocket;
  private readonly ctx: ConnectionContext;
  private readonly nonce = newNonce();
  private readonly refusals: PeerRefusals;
  /** Whether this node dialed the connection or accepted it. */
  readonly direction: Direction;
  private state: 'hello' | 'auth' | 'open' | 'closed' = 'hello';
  private peerHello: HelloFrame | undefined;
  /** Both hellos as they went over the wire, which the node signatures cover. */
  private ownHelloBytes: Uint8Array = new Uint8Array(0);
  private peerHelloBytes: Uint8Array = new Uint8Array(0);
  private timer: TimerHandle | undefined;
  private alive = true;
  /** The close code this side closed the connection with: the peer echoes it, and that is no refusal of this node. */
  private sentClose: number | undefined;
  /** Called once the peer is authenticated (used by the dialer to reset its backoff). */
  onOpen: (() => void) | undefined;
  /** Called once the socket is closed, with the close code and reason. */
  onClose: ((code: number, reason: string) => void) | undefined;

  constructor(ws: WebSocket, ctx: ConnectionContext, direction: Direction) {
    this.ws = ws;
    this.ctx = ctx;
    this.direction = direction;
    this.refusals = new PeerRefusals(ctx, this);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.socketOnMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => this.socketOnClose(code, reason.toString()));
    ws.on('error', (err) => this.socketOnError(err));
    ws.on('pong', () => this.socketOnPong());
    this.timer = ctx.clock.setTimeout(() => this.handshakeTimedOut(), ctx.handshakeMs);
  }

  /** The peer's node id once its hello arrived ('' before). */
  get peer(): string {
    return this.peerHello?.node ?? '';
  }

  /** Where the peer serves its admin API, if its hello said. */
  get admin(): string | undefined {
    return this.peerHello?.admin;
  }

  /** The peer process's instance id, if its hello said: the incarnation it stamps under. */
  get instance(): string | undefined {
    return this.peerHello?.instance;
  }

  /** The origin the peer stamps under now, as its hello told (its node id if it did not say). */
  get origin(): string {
    const instance = this.instance;
    return instance === undefined ? this.peer : originOf(this.peer, instance);
  }

  /** What the peer wants, if its hello said (absent: everything). */
  get interest(): readonly string[] | undefined {
    return this.peerHello?.interest;
  }

  /** Whether the peer's hello said it runs `--relaxed` (its acks are not durable). */
  get relaxed(): boolean {
    return this.peerHello?.relaxed === true;
  }

  /** Whether the peer's hello said it reads folded `want` and `ack` clocks. */
  get folds(): boolean {
    return this.peerHello?.folds === true;
  }

  /** Whether this connection is a link (authenticated, handed to the fabric, not closed). */
  get linked(): boolean {
    return this.state === 'open';
  }

  /** Bytes queued in the socket. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends our hello; called once the socket is open. */
  begin(): void {
    const { cluster, id, admin, instance } = this.ctx;
    // Every node of this version reads folded clocks (`clock-folding.ts`); it says so after `relaxed`.
    const interest = { ...(this.ctx.interest === undefined ? {} : { interest: this.ctx.interest }), ...(this.ctx.relaxed === true ? { relaxed: true } : {}), folds: true };
    const hello: HelloFrame = { type: 'hello', cluster, node: id, protocol: PROTOCOL_VERSION, nonce: this.nonce, ...(admin === undefined ? {} : { admin, instance, ...interest }) };
    this.ownHelloBytes = Buffer.from(encodeFrame(hello));
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(this.ownHelloBytes);
  }

  /** Sends a frame if the socket is open. */
  send(frame: Frame): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeFrame(frame));
  }

  /**
   * Closes the connection with a code and reason. The reason goes out as printable ASCII
   * within the 123 bytes a close frame allows: it may echo text from the peer.
   */
  close(code: number, reason: string): void {
    if (this.ws.readyState !== this.ws.OPEN && this.ws.readyState !== this.ws.CONNECTING) return;
    this.sentClose = code;
    try {
      this.ws.close(code, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 123));
    } catch {
      this.ws.terminate();
    }
  }

  /** Stops reading frames; TCP flow control then holds the peer back. */
  pause(): void {
    this.ws.pause();
  }

  /** Reads frames again after `pause`. */
  resume(): void {
    this.ws.resume();
  }

  /** Terminates the socket without a closing handshake. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Logs the refusal of the peer and closes the connection (`peer-refusals.ts`). */
  private refuse(code: TroupeErrorCode, closeCode: number, reason: string): void {
    this.refusals.refuse(code, closeCode, reason);
  }

  /** Closes the connection because this node holds the link to its peer cut. */
  refuseCut(): void {
    this.refusals.cut();
  }

  private socketOnMessage(data: Buffer, isBinary: boolean): void {
    // Once this side has closed (a refusal, a cut, a timeout), frames still in flight or
    // in the same read are not handled: a refused connection says nothing more here.
    if (this.state === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    try {
      if (!isBinary) throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', 'text message; frames are binary msgpack');
      const frame = decodeFrame(data);
      if (this.state === 'hello') {
        this.peerHelloBytes = data;
        this.onHello(frame);
      } else if (this.state === 'auth') this.onAuth(frame);
      else this.ctx.fabric.receive(this, frame);
    } catch (err) {
      if (isTroupeError(err)) return this.refuse(err.code, err.code === 'TROUPE_PEER_FORGED_EVENT' ? CLOSE_CODES.forgedEvent : CLOSE_CODES.protocolError, err.message);
      // A bug of ours, not the peer's: drop this link rather than the node.
      this.ctx.log.error({ err, peer: this.peer || undefined }, 'internal error while handling a frame');
      this.close(1011, 'internal error');
    }
  }

  private onHello(frame: Frame): void {
    if (frame.type !== 'hello') throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `expected hello, got ${frame.type}`);
    if (frame.protocol !== PROTOCOL_VERSION) {
      return this.refuse('TROUPE_PROTOCOL_VERSION_MISMATCH', CLOSE_CODES.versionMismatch, `protocol ${frame.protocol}, this node speaks ${PROTOCOL_VERSION}`);
    }
    if (frame.cluster !== this.ctx.cluster) {
      return this.refuse('TROUPE_PEER_WRONG_CLUSTER', CLOSE_CODES.wrongCluster, `cluster ${frame.cluster}, this node is in ${this.ctx.cluster}`);
    }
    if (!NODE_ID_PATTERN.test(frame.node)) throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', 'invalid node id');
    if (frame.node === this.ctx.id) return this.refuse('TROUPE_PEER_SELF_LINK', CLOSE_CODES.selfLink, 'a node cannot link to itself');
    if (this.ctx.isCut(frame.node)) {
      // Known, so that the dialer learns who is at its URL; nothing more is read from it.
      this.peerHello = frame;
      this.refuseCut();
      this.state = 'closed';
      return;
    }
    this.peerHello = frame;
    this.state = 'auth';
    const identity = this.ctx.identity;
    this.send({
      type: 'auth',
      proof: proof(this.ctx.secret, { cluster: this.ctx.cluster, fromNode: this.ctx.id, toNode: frame.node, fromNonce: this.nonce, toNonce: frame.nonce }),
      ...(identity === undefined ? {} : { signature: signForPeer(identity, this.sides(frame)) }),
    });
  }

  private onAuth(frame: Frame): void {
    if (frame.type !== 'auth') throw new TroupeError('TROUPE_PROTOCOL_UNEXPECTED_FRAME', `expected auth, got ${frame.type}`);
    const hello = this.peerHello as HelloFrame;
    const ok = verifyProof(
      this.ctx.secret,
      { cluster: this.ctx.cluster, fromNode: hello.node, toNode: this.ctx.id, fromNonce: hello.nonce, toNonce: this.nonce },
      frame.proof,
    );
    if (!ok) return this.refuse('TROUPE_PEER_AUTH_FAILED', CLOSE_CODES.authFailed, `${hello.node} failed to prove the cluster secret`);
    const refusal = this.ctx.identity && peerIdentityRefusal(this.ctx.identity, this.sides(hello), frame.signature);
    if (refusal !== undefined) return this.refuse('TROUPE_PEER_KEY_REJECTED', CLOSE_CODES.keyRejected, refusal);
    // Cut while its proof was on the way: the closing handshake is under way already.
    if (this.ctx.isCut(hello.node)) return this.refuseCut();
    if (this.ctx.isRetired?.(hello.node) === true) return this.refusals.retired(hello.node);
    this.ctx.clock.clearTimeout(this.timer);
    const held = this.ctx.linkTo(hello.node);
    if (held !== undefined && isSecondProcess(held.instance, hello.instance)) return this.refusals.duplicateId(held.instance as string);
    if (held !== undefined) {
      if (!replacesLink(this.ctx.id, hello.node, this.direction, held.direction)) {
        return this.refuse('TROUPE_PEER_DUPLICATE_LINK', CLOSE_CODES.duplicateLink, `already linked to ${hello.node} by the connection the tie-break keeps`);
      }
      held.supersede();
    }
    if (!this.ctx.fabric.linkUp(this)) {
      return this.refuse('TROUPE_PEER_DUPLICATE_LINK', CLOSE_CODES.duplicateLink, `already linked to ${hello.node}`);
    }
    this.state = 'open';
    this.ctx.log.info({ peer: hello.node, direction: this.direction }, 'link up');
    this.onOpen?.();
    this.heartbeat();
  }

  /** Both sides of this handshake, for the node signatures. */
  private sides(hello: HelloFrame): HandshakeSides {
    return {
      cluster: this.ctx.cluster,
      me: { id: this.ctx.id, nonce: this.nonce, hello: this.ownHelloBytes },
      peer: { hello, bytes: this.peerHelloBytes },
    };
  }

  /**
   * Gives this link up to a connection to the same peer that the tie-break keeps
   * (`link-tie-break.ts`): the fabric drops it at once, so the other can take its place,
   * and the socket closes with `duplicateLink`.
   */
  supersede(): void {
    if (this.state !== 'open') return;
    this.state = 'closed';
    this.ctx.clock.clearTimeout(this.timer);
    this.ctx.fabric.linkDown(this);
    this.ctx.log.info({ peer: this.peer, direction: this.direction, code: 'TROUPE_PEER_DUPLICATE_LINK' }, 'link down: the tie-break keeps the other connection to this peer');
    this.close(CLOSE_CODES.duplicateLink, `replaced by the link ${this.peer < this.ctx.id ? this.peer : this.ctx.id} dialed`);
  }

  private heartbeat(): void {
    this.timer = this.ctx.clock.setTimeout(() => {
      if (this.state !== 'open') return;
      if (!this.alive) {
        this.ctx.log.warn({ peer: this.peer, code: 'TROUPE_PEER_TIMEOUT' }, 'no heartbeat from peer: dropping the link');
        this.ws.terminate();
        return;
      }
      this.alive = false;
      this.ws.ping();
      this.heartbeat();
    }, this.ctx.heartbeatMs);
  }

  private socketOnPong(): void {
    this.alive = true;
  }

  private handshakeTimedOut(): void {
    if (this.state === 'hello' || this.state === 'auth') {
      this.refuse('TROUPE_PEER_TIMEOUT', CLOSE_CODES.timeout, 'handshake did not complete in time');
      this.ws.terminate();
    }
  }

  private socketOnError(err: Error): void {
    // ws reports over-size frames and broken sockets here, then closes: log only. A peer
    // that is not up yet refuses every redial, which is expected and logged quietly.
    const level = this.state === 'open' ? 'warn' : 'debug';
    this.ctx.log[level]({ peer: this.peer || undefined, err: err.message, code: (err as { code?: string }).code }, 'peer socket error');
  }

  private socketOnClose(code: number, reason: string): void {
    if (code !== this.sentClose) this.refusals.closedByPeer(code, reason);
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.ctx.clock.clearTimeout(this.timer);
    if (wasOpen) {
      this.ctx.fabric.linkDown(this);
      this.ctx.log.info({ peer: this.peer, code, reason }, 'link down');
    }
    this.onClose?.(code, reason);
  }
}
