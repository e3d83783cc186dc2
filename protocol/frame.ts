/**
 * Frames: the messages two linked nodes exchange, one msgpack value per WebSocket
 * binary message. A discriminated union keyed by `type`; `protocol/PROTOCOL.md` is the
 * grammar and `protocol/frame-codec.ts` the only code that turns them into bytes.
 */
import type { EncodedEvent, VectorClock } from './envelope.js';

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 3;

/** First frame from each side: who I am, and a fresh nonce for the peer to prove the secret on. */
export interface HelloFrame {
  readonly type: 'hello';
  readonly cluster: string;
  readonly node: string;
  readonly protocol: number;
  readonly nonce: Uint8Array;
  /**
   * Where the sender serves its admin API (`http://127.0.0.1:7401`), if it says: how an
   * inspector or a CLI that reached one node finds the others.
   */
  readonly admin?: string;
  /**
   * A random id of the sending process, fresh at each start: how a peer tells a reconnect
   * of this process from a second process running under the same node id. It follows
   * `admin` on the wire, so it is sent only with it.
   */
  readonly instance?: string;
}

/** Proof of the cluster secret: an HMAC over both nonces and both ids (see `handshake.ts`). */
export interface AuthFrame {
  readonly type: 'auth';
  readonly proof: Uint8Array;
}

/**
 * "Send me everything above this clock": sent once the handshake is proved, and again
 * whenever the receiver dropped events (causal-buffer overflow) and wants them re-sent.
 */
export interface WantFrame {
  readonly type: 'want';
  readonly vc: VectorClock;
}

/** The ids of the nodes the sender is linked to right now; relays skip what a peer gets directly. */
export interface LinksFrame {
  readonly type: 'links';
  readonly links: readonly string[];
}

/** A batch of events, in the sender's delivery order (which is causal). */
export interface EventsFrame {
  readonly type: 'events';
  readonly events: readonly EncodedEvent[];
}

/** The sender's committed vector clock: everything at or below it is durable there. */
export interface AckFrame {
  readonly type: 'ack';
  readonly vc: VectorClock;
}

/** Any frame. */
export type Frame = HelloFrame | AuthFrame | WantFrame | LinksFrame | EventsFrame | AckFrame;

/** The `type` of any frame. */
export type FrameType = Frame['type'];
