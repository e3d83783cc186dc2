/**
 * Client messages: what an application outside the cluster (`troupe/client`) and a node
 * exchange on the node's `/client` WebSocket, one msgpack value per binary message. Two
 * discriminated unions keyed by `type`, one per direction; `protocol/PROTOCOL.md`
 * ("Client protocol") is the grammar and `protocol/client-codec.ts` the only code that
 * turns them into bytes.
 */
import type { VectorClock } from './envelope.js';
import type { TroupeErrorCode } from './troupe-error.js';

/** The client protocol version this code speaks (told in the node's `hello`). */
export const CLIENT_PROTOCOL_VERSION = 2;

/** One event to publish. `data` travels as its own msgpack bytes (see the codec). */
export interface ClientPublishInput {
  readonly type: string;
  readonly data?: unknown;
  readonly correlationId?: string;
  /** The version of the type the data has (see `runtime/upcasters.ts`). [default 1] */
  readonly version?: number;
}

/** Publish a batch: answered once by one `published` with an answer per event, in order. */
export interface PublishRequest {
  readonly type: 'publish';
  readonly ref: number;
  readonly events: readonly ClientPublishInput[];
}

/**
 * Follow the node's log from position `from` (0: from its end, only new events), only the
 * given types (empty: every type) and workflow. The node sends at most `credit` events
 * until the client grants more.
 */
export interface SubscribeRequest {
  readonly type: 'subscribe';
  readonly sub: number;
  readonly from: number;
  readonly types: readonly string[];
  readonly correlationId: string | null;
  readonly credit: number;
}

/** The client has room for `n` more events of subscription `sub`. */
export interface CreditRequest {
  readonly type: 'credit';
  readonly sub: number;
  readonly n: number;
}

/** Stop subscription `sub`. */
export interface UnsubscribeRequest {
  readonly type: 'unsubscribe';
  readonly sub: number;
}

/** Any message from a client to a node. */
export type ClientRequest = PublishRequest | SubscribeRequest | CreditRequest | UnsubscribeRequest;

/** An error as the admin API shows it. */
export interface ClientError {
  readonly code: TroupeErrorCode;
  readonly message: string;
}

/** A committed publish, as `POST /events` answers it. */
export interface PublishAck {
  readonly id: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
  readonly correlationId: string;
}

/** One event's answer in a `published`: its acknowledgement, or why it was not published. */
export type PublishAnswer = PublishAck | { readonly error: ClientError };

/** A committed event as a subscriber sees it: `GET /log`'s entry. */
export interface ClientLogEntry {
  readonly pos: number;
  readonly id: string;
  readonly type: string;
  readonly origin: string;
  readonly seq: number;
  readonly vc: VectorClock;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly ts: number;
  readonly data: unknown;
  /** The version of the type the data has, as published (absent for version 1; see `runtime/upcasters.ts`). */
  readonly version?: number;
}

/** The node's first message: who it is and which client protocol it speaks. */
export interface HelloReply {
  readonly type: 'hello';
  readonly node: string;
  readonly protocol: number;
}

/** The answers to one `publish`, in the order of its events. */
export interface PublishedReply {
  readonly type: 'published';
  readonly ref: number;
  readonly answers: readonly PublishAnswer[];
}

/** A subscription started at log position `from` (the end of the log resolved). */
export interface SubscribedReply {
  readonly type: 'subscribed';
  readonly sub: number;
  readonly from: number;
}

/**
 * Events of subscription `sub` in the node's delivery order, and `next`: the position to
 * resume from, past every event the node has looked at for it (also those the filters
 * left out). `events` may be empty: the node then only tells how far it has read.
 */
export interface EventsReply {
  readonly type: 'events';
  readonly sub: number;
  readonly next: number;
  readonly events: readonly ClientLogEntry[];
}

/** A request refused (`ref`: the publish ref or subscription it names, null for none). */
export interface ErrorReply {
  readonly type: 'error';
  readonly ref: number | null;
  readonly error: ClientError;
}

/** Any message from a node to a client. */
export type ClientReply = HelloReply | PublishedReply | SubscribedReply | EventsReply | ErrorReply;
