/**
 * Frames: the messages two linked nodes exchange, one msgpack value per WebSocket
 * binary message. A discriminated union keyed by `type`; `protocol/PROTOCOL.md` is the
 * grammar and `protocol/frame-codec.ts` the only code that turns them into bytes.
 */
import type { EncodedEvent, VectorClock } from './envelope.js';
import type { ProofFrame } from './origin-proof.js';
import type { CoverFrame } from './skip-cover.js';

export type { CoverFrame, ProofFrame };

/** The protocol version this code speaks. */
export const PROTOCOL_VERSION = 5;

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
   * The sender's incarnation (`origin.ts`), fresh at each start: its events' origin is
   * `node~instance`, and it is how a peer tells a reconnect of this process from a second
   * process running under the same node id. It follows
   * `admin` on the wire, so it is sent only with it.
   */
  readonly instance?: string;
  /**
   * The event types the sender wants (`interest.ts`): event types, prefixes ending in `*`,
   * or `['*']` for everything. It follows `instance` on the wire, so it is sent only with
   * it; a hello without it wants everything.
   */
  readonly interest?: readonly string[];
  /**
   * The sender runs `--relaxed`: its acks are not fsync'd, so a peer never removes an
   * event from its log on the strength of them (`runtime/causal-stability.ts`). It follows
   * `interest` on the wire, so a relaxed node that wants everything sends `['*']`.
   */
  readonly relaxed?: boolean;
  /**
   * The sender reads folded `want` and `ack` clocks (`clock-folding.ts`): a peer may leave
   * retired origins out of those it sends it, and the sender leaves them out of its own.
   * It follows `relaxed` on the wire, so a node that says it sends `relaxed` too.
   */
  readonly folds?: boolean;
}

/**
 * Proof of the cluster secret: an HMAC over both nonces and both ids (see `handshake.ts`),
 * and, from a node with a key, its signature of the handshake transcript, which proves its
 * node id (see `handshake-signature.ts`).
 */
export interface AuthFrame {
  readonly type: 'auth';
  readonly proof: Uint8Array;
  readonly signature?: Uint8Array;
}

/**
 * "Send me everything above this clock": sent once the handshake is proved, and again
 * whenever the receiver dropped events (causal-buffer overflow) and wants them re-sent.
 */
export interface WantFrame {
  readonly type: 'want';
  readonly vc: VectorClock;
}

/** The current origins of the nodes the sender is linked to right now; relays skip what a peer gets directly. */
export interface LinksFrame {
  readonly type: 'links';
  readonly links: readonly string[];
}

/** A batch of events, in the sender's delivery order (which is causal). */
export interface EventsFrame {
  readonly type: 'events';
  readonly events: readonly EncodedEvent[];
}

/** One run of events left out of a stream: seqs `from`…`to` of `origin`. */
export interface SkipRange {
  readonly origin: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Events the sender leaves out of its stream because they are outside the receiver's
 * interest, in stream order: the receiver counts them in its clock without holding them.
 */
export interface SkipFrame {
  readonly type: 'skip';
  readonly ranges: readonly SkipRange[];
}

/**
 * The sender's log starts at position `first` (retention removed what was below), and no
 * longer holds these seqs, which the receiver lacks (its `want` said so): the events sent
 * next may depend on them. The receiver gets them from a peer that still holds them, or
 * counts them as lost (`runtime/lost-events.ts`).
 */
export interface LostFrame {
  readonly type: 'lost';
  readonly first: number;
  readonly ranges: readonly SkipRange[];
  /**
   * Of `ranges`, the seqs the sender counted as lost on a claim it could not confirm and
   * still asks for itself (it may get them back): the receiver counts them as it would,
   * but takes them as no proof that they are gone (`runtime/lost-events.ts`). [default none]
   */
  readonly asked?: readonly SkipRange[];
}

/**
 * The sender's committed vector clock: everything at or below it is written there, and
 * durable (fsync'd) unless its hello said `relaxed`.
 */
export interface AckFrame {
  readonly type: 'ack';
  readonly vc: VectorClock;
}

/** Any frame. */
export type Frame = HelloFrame | AuthFrame | WantFrame | LinksFrame | EventsFrame | SkipFrame | AckFrame | ProofFrame | CoverFrame | LostFrame;

/** The `type` of any frame. */
export type FrameType = Frame['type'];
