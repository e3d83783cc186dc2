/**
 * The client codec: the bytes of the `/client` WebSocket (`client-message.ts`; the
 * grammar is `PROTOCOL.md`, "Client protocol"). Every message is a msgpack array
 * `[type, ...fields]`.
 *
 * Requests come from outside the cluster, so the node reads them as it reads a peer's
 * frames: with the strict reader of `msgpack-reader.ts`, which allocates only the fields
 * it returns. An event's `data` travels as its own msgpack `bin` (at most 1 MiB), decoded
 * by the general decoder within that bound, as a peer's event data is. Replies come from
 * the node the client chose to trust and are decoded by msgpackr, with their shape checked.
 * Every failure is a `TroupeError` (`TROUPE_PROTOCOL_BAD_FRAME`, or
 * `TROUPE_PROTOCOL_BAD_EVENT` for data that cannot be encoded).
 */
import {
  type ClientLogEntry,
  type ClientPublishInput,
  type ClientReply,
  type ClientRequest,
  type PublishAck,
  type PublishAnswer,
} from './client-message.js';
import type { VectorClock } from './envelope.js';
import { MAX_EVENT_BYTES } from './event-codec.js';
import { MAX_FRAME_BYTES } from './frame-codec.js';
import { WireReader } from './msgpack-reader.js';
import { describe, packr } from './packr.js';
import { TroupeError } from './troupe-error.js';
import { isCount, MAX_NAME_LENGTH, show } from './wire-fields.js';

/** The largest client message either side sends or accepts: the peer frame limit. */
export const MAX_CLIENT_MESSAGE_BYTES = MAX_FRAME_BYTES;

/** Subscription filters name at most this many types. */
export const MAX_SUBSCRIBE_TYPES = 1024;

const MAX_TYPE_BYTES = 16;

function badFrame(message: string): TroupeError {
  return new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', message);
}

/**
 * The msgpack bytes of one event's data, to publish: `null` for `undefined` (no data).
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` for data msgpack cannot hold or over 1 MiB.
 */
export function encodeData(data: unknown): Uint8Array | null {
  if (data === undefined) return null;
  let bytes: Uint8Array;
  try {
    bytes = packr.pack(data);
  } catch (cause) {
    throw new TroupeError('TROUPE_PROTOCOL_BAD_EVENT', `data cannot be encoded: ${describe(cause)}`, { cause });
  }
  if (bytes.length > MAX_EVENT_BYTES) throw new TroupeError('TROUPE_PROTOCOL_BAD_EVENT', `data is ${bytes.length} bytes, over the ${MAX_EVENT_BYTES}-byte limit`);
  return bytes;
}

/** One event of a `publish` as it goes on the wire: `[type, correlationId | nil, data | nil, version?]`. */
export type WirePublish =
  | readonly [type: string, correlationId: string | null, data: Uint8Array | null]
  | readonly [type: string, correlationId: string | null, data: Uint8Array | null, version: number];

/**
 * One event ready for a `publish` message (its data encoded now, so that a bad event fails
 * its own publish, not the batch it would have joined).
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` (see {@link encodeData}).
 */
export function wirePublish(input: ClientPublishInput): WirePublish {
  const wire = [input.type, input.correlationId ?? null, encodeData(input.data)] as const;
  return input.version === undefined ? wire : [...wire, input.version];
}

/** A `publish` message of events already made ready by {@link wirePublish}. */
export function encodePublish(ref: number, events: readonly WirePublish[]): Uint8Array {
  return packr.pack(['publish', ref, events]);
}

/** Encodes a `subscribe`, `credit` or `unsubscribe` request. */
export function encodeControl(request: Exclude<ClientRequest, { type: 'publish' }>): Uint8Array {
  switch (request.type) {
    case 'subscribe':
      return packr.pack(['subscribe', request.sub, request.from, request.types, request.correlationId, request.credit]);
    case 'credit':
      return packr.pack(['credit', request.sub, request.n]);
    case 'unsubscribe':
      return packr.pack(['unsubscribe', request.sub]);
  }
}

/**
 * Reads a request from a client. Field rules beyond the shape (a type's length, say) are
 * the publish check's: a bad event gets its own error answer, not a closed connection.
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_FRAME` for bytes that are not a valid request.
 */
export function decodeRequest(bytes: Uint8Array): ClientRequest {
  if (bytes.length > MAX_CLIENT_MESSAGE_BYTES) throw badFrame(`message is ${bytes.length} bytes, over the ${MAX_CLIENT_MESSAGE_BYTES}-byte limit`);
  const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_FRAME');
  const fields = r.arrayHeader();
  if (fields === 0) throw r.error('a request is a non-empty array');
  const type = r.str(MAX_TYPE_BYTES);
  const request = readRequest(r, type, fields);
  r.end();
  return request;
}

function readRequest(r: WireReader, type: string, fields: number): ClientRequest {
  const expect = (n: number): void => {
    if (fields !== n) throw r.error(`${type} has ${n} fields`);
  };
  switch (type) {
    case 'publish': {
      expect(3);
      const ref = r.count();
      const events: ClientPublishInput[] = [];
      for (let i = r.arrayHeader(); i > 0; i--) events.push(readPublishInput(r));
      return { type, ref, events };
    }
    case 'subscribe': {
      expect(6);
      const sub = r.count();
      const from = r.count();
      const count = r.arrayHeader();
      if (count > MAX_SUBSCRIBE_TYPES) throw r.error(`subscribe names more than ${MAX_SUBSCRIBE_TYPES} types`);
      const types: string[] = [];
      for (let i = count; i > 0; i--) types.push(r.str(MAX_NAME_LENGTH * 4));
      const correlationId = r.nil() ? null : r.str(MAX_NAME_LENGTH * 4);
      return { type, sub, from, types, correlationId, credit: r.count() };
    }
    case 'credit':
      expect(3);
      return { type, sub: r.count(), n: r.count() };
    case 'unsubscribe':
      expect(2);
      return { type, sub: r.count() };
    default:
      throw r.error(`unknown request ${show(type)}`);
  }
}

function readPublishInput(r: WireReader): ClientPublishInput {
  const fields = r.arrayHeader();
  if (fields !== 3 && fields !== 4) throw r.error('a published event is [type, correlationId, data, version?]');
  const type = r.str(MAX_NAME_LENGTH * 4);
  const correlationId = r.nil() ? undefined : r.str(MAX_NAME_LENGTH * 4);
  const data = readPublishedData(r);
  // The version's range is the publish check's, like the other fields' rules.
  const version = fields === 4 ? r.count() : undefined;
  return {
    type,
    ...(data === undefined ? {} : { data }),
    ...(correlationId === undefined ? {} : { correlationId }),
    ...(version === undefined ? {} : { version }),
  };
}

/** A published event's data: nil for none, else its own msgpack bytes. */
function readPublishedData(r: WireReader): unknown {
  if (r.nil()) return undefined;
  const bytes = r.bin(1, MAX_EVENT_BYTES);
  try {
    return packr.unpack(bytes);
  } catch (cause) {
    throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', `an event's data is not msgpack: ${describe(cause)}`, { cause });
  }
}

/** Encodes a reply from the node. */
export function encodeReply(reply: ClientReply): Uint8Array {
  switch (reply.type) {
    case 'hello':
      return packr.pack(['hello', reply.node, reply.protocol]);
    case 'published':
      return packr.pack(['published', reply.ref, writeAnswers(reply.answers)]);
    case 'subscribed':
      return packr.pack(['subscribed', reply.sub, reply.from]);
    case 'events':
      return packr.pack(['events', reply.sub, reply.next, reply.events]);
    case 'error':
      return packr.pack(['error', reply.ref, reply.error]);
  }
}

/**
 * Reads a reply from the node.
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_FRAME` for bytes that are not a valid reply.
 */
export function decodeReply(bytes: Uint8Array): ClientReply {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (cause) {
    throw new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', `a reply is not msgpack: ${describe(cause)}`, { cause });
  }
  if (!Array.isArray(value) || value.length === 0) throw badFrame('a reply is a non-empty array');
  const [type, a, b, c] = value as unknown[];
  const fields = value.length;
  if (type === 'hello' && fields === 3 && typeof a === 'string' && isCount(b)) return { type, node: a, protocol: b };
  if (type === 'published' && fields === 3 && isCount(a) && Array.isArray(b)) return { type, ref: a, answers: readAnswers(b) };
  if (type === 'subscribed' && fields === 3 && isCount(a) && isCount(b)) return { type, sub: a, from: b };
  if (type === 'events' && fields === 4 && isCount(a) && isCount(b) && Array.isArray(c)) return { type, sub: a, next: b, events: c as ClientLogEntry[] };
  if (type === 'error' && fields === 3 && (a === null || isCount(a)) && isClientError(b)) return { type, ref: a, error: b };
  throw badFrame(`unexpected reply ${show(type)}`);
}

/**
 * A `published` reply's answers on the wire: an acknowledgement is the array
 * `[id, seq, correlationId | nil, origin | nil, vc | nil]`, where nil says "as before":
 * the correlation id is the event's id, the origin the previous acknowledgement's, and the
 * clock the previous acknowledgement's with the origin's entry set to `seq`. The events
 * of one publish are stamped together by one node, so that after the first of them each
 * costs its id and seq; a refusal stays the map `{ error }`.
 */
function writeAnswers(answers: readonly PublishAnswer[]): unknown[] {
  const out: unknown[] = new Array(answers.length);
  let previous: PublishAck | undefined;
  for (let i = 0; i < answers.length; i++) {
    const answer = answers[i];
    if ('error' in answer) {
      out[i] = answer;
      continue;
    }
    const sameOrigin = previous !== undefined && previous.origin === answer.origin;
    const nextClock = previous !== undefined && clockFollows(previous.vc, answer.vc, answer.origin, answer.seq);
    out[i] = [answer.id, answer.seq, answer.correlationId === answer.id ? null : answer.correlationId, sameOrigin ? null : answer.origin, nextClock ? null : answer.vc];
    previous = answer;
  }
  return out;
}

/** Whether `vc` is `previous` with `origin`'s entry set to `seq` and no other change. */
function clockFollows(previous: VectorClock, vc: VectorClock, origin: string, seq: number): boolean {
  if (vc[origin] !== seq) return false;
  let size = 0;
  for (const node in vc) {
    size++;
    if (node !== origin && vc[node] !== previous[node]) return false;
  }
  // Every other entry of `vc` is in `previous`: then the sizes tell whether `previous` has more.
  let previousSize = 0;
  for (const _ in previous) previousSize++;
  return previousSize === (Object.hasOwn(previous, origin) ? size : size - 1);
}

/** The answers of a `published` reply (see {@link writeAnswers}), each checked for its shape. */
function readAnswers(raw: readonly unknown[]): PublishAnswer[] {
  const answers: PublishAnswer[] = new Array(raw.length);
  let previous: PublishAck | undefined;
  for (let i = 0; i < raw.length; i++) {
    const answer = raw[i];
    if (!Array.isArray(answer)) {
      if (!isRefusal(answer)) throw badFrame(`answer ${i} is neither an acknowledgement nor an error`);
      answers[i] = answer;
      continue;
    }
    const [id, seq, correlationId, origin, vc] = answer as unknown[];
    if (answer.length !== 5 || typeof id !== 'string' || !isCount(seq) || (correlationId !== null && typeof correlationId !== 'string')) {
      throw badFrame(`answer ${i} is not [id, seq, correlationId, origin, vc]`);
    }
    const from = origin ?? previous?.origin;
    if (typeof from !== 'string') throw badFrame(`answer ${i} has no origin`);
    let clock: VectorClock;
    if (vc !== null) {
      if (typeof vc !== 'object' || Array.isArray(vc)) throw badFrame(`answer ${i} has a clock that is not a map`);
      clock = vc as VectorClock;
    } else {
      if (previous === undefined) throw badFrame(`answer ${i} has no clock`);
      clock = { ...previous.vc, [from]: seq };
    }
    previous = { id, origin: from, seq, vc: clock, correlationId: correlationId ?? id };
    answers[i] = previous;
  }
  return answers;
}

function isRefusal(answer: unknown): answer is { error: { code: TroupeError['code']; message: string } } {
  return typeof answer === 'object' && answer !== null && isClientError((answer as { error?: unknown }).error);
}

function isClientError(e: unknown): e is { code: TroupeError['code']; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && typeof (e as { message?: unknown }).message === 'string';
}
