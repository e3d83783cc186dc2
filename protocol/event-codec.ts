/**
 * The event codec: an event's bytes on the wire and in the log, encoded once by its
 * origin and stored and forwarded unchanged everywhere else.
 *
 * An event is a msgpack array `[origin, seq, schema, vc, type, correlationId, causation,
 * ts, data?]` (the grammar is in `PROTOCOL.md`). Origin and seq come first so a relay can
 * read them with `eventHeader` (a few bytes, no msgpack decoder) and forward the stored
 * bytes untouched. The clock leaves out the origin's own entry (it equals seq) and zero
 * entries; the correlation id is nil when it is the event's own id (the event starts its
 * workflow); a causation id of the form `node:seq` travels as `seq` (same node as the
 * origin) or `[node, seq]`. Every failure is a `TroupeError`
 * (`TROUPE_PROTOCOL_BAD_EVENT`); nothing else escapes, whatever the input.
 */
import { copyOf } from './byte-slabs.js';
import { eventId, parseEventId, type EncodedEvent, type Envelope, type VectorClock } from './envelope.js';
import { isCount, isNodeId, show, WireReader } from './msgpack-reader.js';
import { describe, packr } from './packr.js';
import { TroupeError } from './troupe-error.js';
import { isName, isPlainObject, isSeq } from './wire-fields.js';

/**
 * The largest encoded event, in bytes. Far below `MAX_FRAME_BYTES` so that any event fits
 * in a frame, with room to batch; a bigger event is refused at publish time, not stuck in
 * an outbox forever.
 */
export const MAX_EVENT_BYTES = 1024 * 1024;

/**
 * No valid event encodes to fewer bytes (array, 1-char origin, seq, schema, empty clock,
 * 1-char type and correlation id, nil causation, ts). Refusing shorter `bin`s in an
 * `events` frame bounds how many buffers one frame can make a node allocate.
 */
export const MIN_EVENT_BYTES = 12;

/** The causation field on the wire: nil, a seq of the origin, `[node, seq]`, or any other string. */
type WireCausation = null | number | [string, number] | string;

function packCausation(causationId: string | null, origin: string): WireCausation {
  if (causationId === null) return null;
  const id = parseEventId(causationId);
  if (id === undefined) return causationId;
  return id.origin === origin ? id.seq : [id.origin, id.seq];
}

function unpackCausation(wire: unknown, origin: string): string | null | undefined {
  if (wire === null) return null;
  if (isSeq(wire)) return eventId(origin, wire);
  if (Array.isArray(wire) && wire.length === 2 && isNodeId(wire[0]) && isSeq(wire[1])) return eventId(wire[0], wire[1]);
  if (isName(wire)) return wire;
  return undefined;
}

function badEvent(message: string, cause?: unknown): TroupeError {
  return new TroupeError('TROUPE_PROTOCOL_BAD_EVENT', message, cause === undefined ? undefined : { cause });
}

/**
 * Encodes an event for the wire and the log. Validates every field first, so that no node
 * ever publishes what its peers would refuse.
 *
 * @returns msgpack bytes in a buffer of their own, at most `MAX_EVENT_BYTES` long.
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` for an invalid field, data msgpack
 *   cannot hold (a symbol, a cycle), or an encoding over `MAX_EVENT_BYTES`.
 */
export function encodeEvent(e: Omit<Envelope, 'id'>): EncodedEvent {
  const { origin, seq, vc } = e;
  if (!isNodeId(origin)) throw badEvent(`origin ${show(origin)} is not a node id`);
  if (!isSeq(seq)) throw badEvent(`seq ${show(seq)} is not a positive integer`);
  if (!isPlainObject(vc)) throw badEvent('vc is not a vector clock');
  const others: VectorClock = {};
  let ownEntry = false;
  for (const node of Object.keys(vc)) {
    const n = vc[node];
    if (!isNodeId(node) || !isCount(n)) throw badEvent(`vc entry ${show(node)} is invalid`);
    if (node === origin) ownEntry = n === seq;
    else if (n > 0) others[node] = n;
  }
  if (!ownEntry) throw badEvent(`vc[${origin}] must equal seq ${seq}`);
  if (!isName(e.type)) throw badEvent('type must be a string of 1 to 256 characters');
  if (!isName(e.correlationId)) throw badEvent('correlationId must be a string of 1 to 256 characters');
  if (e.causationId !== null && !isName(e.causationId)) throw badEvent('causationId must be null or a string of 1 to 256 characters');
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts)) throw badEvent('ts must be a finite number');
  if (!isSeq(e.schema)) throw badEvent('schema must be a positive integer');

  // A workflow's id is usually the id of the event that started it: then it is implied.
  const correlation = e.correlationId === eventId(origin, seq) ? null : e.correlationId;
  const wire: unknown[] = [origin, seq, e.schema, others, e.type, correlation, packCausation(e.causationId, origin), e.ts];
  if (e.data !== undefined) wire.push(e.data);
  let packed: Uint8Array;
  try {
    packed = packr.pack(wire);
  } catch (err) {
    throw badEvent(`event data cannot be encoded: ${describe(err)}`, err);
  }
  if (packed.length > MAX_EVENT_BYTES) throw badEvent(`event is ${packed.length} bytes, over the ${MAX_EVENT_BYTES}-byte limit`);
  return copyOf(packed);
}

/**
 * msgpackr caches a DataView on every array it decodes (`source.dataView`): on an
 * event's bytes that is one more object per event, kept as long as the event is (10,000
 * of them in the recent log). Decoding through one array over the whole underlying
 * buffer (events sit side by side in slabs) gives msgpackr one DataView per buffer.
 */
let viewedBuffer: ArrayBufferLike | undefined;
let bufferView: Uint8Array = new Uint8Array(0);
function unpackView(bytes: Uint8Array): unknown {
  if (bytes.buffer !== viewedBuffer) {
    viewedBuffer = bytes.buffer;
    bufferView = new Uint8Array(bytes.buffer);
  }
  return packr.unpack(bufferView, { start: bytes.byteOffset, end: bytes.byteOffset + bytes.byteLength });
}

/**
 * Decodes and validates an event: origin a node id, seq a positive integer, a clock of
 * node ids to non-negative integers (with `vc[origin] === seq`), type and correlation id
 * non-empty strings of at most 256 characters, causation id null or such a string, ts a
 * finite number, schema a positive integer. `id` is derived as `origin:seq`.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` for anything else.
 */
export function decodeEvent(bytes: EncodedEvent): Envelope {
  if (!(bytes instanceof Uint8Array)) throw badEvent('an event must be bytes');
  if (bytes.length > MAX_EVENT_BYTES) throw badEvent(`event is ${bytes.length} bytes, over the ${MAX_EVENT_BYTES}-byte limit`);
  // The same header check relays use, so any stored event can later be relayed.
  const { origin, seq } = eventHeader(bytes);
  let wire: unknown;
  try {
    wire = unpackView(bytes);
  } catch (err) {
    throw badEvent(`undecodable event: ${describe(err)}`, err);
  }
  if (!Array.isArray(wire) || (wire.length !== 8 && wire.length !== 9)) throw badEvent('an event is an array of 8 or 9 fields');
  const [, , schema, vc, type, wireCorrelation, wireCausation, ts, data] = wire as unknown[];
  const id = eventId(origin, seq);
  const correlationId = wireCorrelation === null ? id : wireCorrelation;
  if (!isSeq(schema)) throw badEvent('schema must be a positive integer');
  if (!isPlainObject(vc)) throw badEvent('vc must be a map');
  for (const node of Object.keys(vc)) {
    if (!isNodeId(node) || node === origin || !isCount(vc[node])) throw badEvent(`vc entry ${show(node)} is invalid`);
  }
  // The decoder built this object for us alone: completing it in place is safe.
  (vc as VectorClock)[origin] = seq;
  if (!isName(type)) throw badEvent('type must be a string of 1 to 256 characters');
  if (!isName(correlationId)) throw badEvent('correlationId must be a string of 1 to 256 characters');
  const causationId = unpackCausation(wireCausation, origin);
  if (causationId === undefined) throw badEvent('causation is invalid');
  if (typeof ts !== 'number' || !Number.isFinite(ts)) throw badEvent('ts must be a finite number');
  return { id, type, data, origin, seq, vc: vc as VectorClock, correlationId, causationId, ts, schema };
}

/**
 * Reads only the origin and seq of an encoded event, without decoding the rest: relays
 * call it on every stored event they consider forwarding. Accepts an array header of 8 or
 * 9 fields, then a node id (a str) and a positive safe integer (positive fixint,
 * uint8–64, or an integral float64, which is how msgpackr writes integers of 2³² and
 * above). Validates nothing after seq.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` on anything else.
 */
export function eventHeader(bytes: EncodedEvent): { origin: string; seq: number } {
  const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_EVENT');
  const fields = r.arrayHeader();
  if (fields !== 8 && fields !== 9) throw r.error('an event is an array of 8 or 9 fields');
  const origin = r.nodeId();
  const seq = r.count();
  if (seq === 0) throw r.error('seq must be positive');
  return { origin, seq };
}
