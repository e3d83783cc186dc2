/**
 * The event codec: an event's bytes on the wire and in the log, encoded once by its
 * origin and stored and forwarded unchanged everywhere else.
 *
 * An event is a msgpack array `[origin, seq, schema, vc, type, correlationId, causation,
 * ts, data?, version?]` (the grammar is in `PROTOCOL.md`). Origin and seq come first so a relay can
 * read them with `eventHeader` (a few bytes, no msgpack decoder) and forward the stored
 * bytes untouched. The clock leaves out the origin's own entry (it equals seq) and zero
 * entries; the correlation id is nil when it is the event's own id (the event starts its
 * workflow); the version of the event's type travels only from 2 on (an event without it
 * is version 1, as every event written before versions existed is); a causation id of the form `node:seq` travels as `seq` (same node as the
 * origin) or `[node, seq]`. Events are written by msgpackr and read back by the strict
 * reader (`msgpack-reader.ts`; data by `data-reader.ts`): a peer's bytes never reach a
 * general decoder, and data holds only JSON-like values (`event-data.ts`), checked on both
 * sides.
 * Every failure is a `TroupeError` (`TROUPE_PROTOCOL_BAD_EVENT`); nothing else escapes,
 * whatever the input.
 */
import { copyOf } from './byte-slabs.js';
import { eventId, parseEventId, type EncodedEvent, type Envelope, type VectorClock } from './envelope.js';
import { readData } from './data-reader.js';
import { checkData, MAX_DATA_DEPTH } from './event-data.js';
import { WireReader } from './msgpack-reader.js';
import { describe, packr } from './packr.js';
import { readEventClock, skipEventClock } from './repeated-clocks.js';
import { TroupeError } from './troupe-error.js';
import { isCount, isName, isOriginId, isPlainObject, isSeq, MAX_NAME_LENGTH, show } from './wire-fields.js';

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

/** The most UTF-8 bytes a name of `MAX_NAME_LENGTH` UTF-16 units can take. */
const MAX_NAME_BYTES = MAX_NAME_LENGTH * 3;

/** The most a version of an event type can be: a `uint32`. */
export const MAX_EVENT_VERSION = 0xffff_ffff;

/** The causation field on the wire: nil, a seq of the origin, `[node, seq]`, or any other string. */
type WireCausation = null | number | [string, number] | string;

function packCausation(causationId: string | null, origin: string): WireCausation {
  if (causationId === null) return null;
  const id = parseEventId(causationId);
  if (id === undefined) return causationId;
  return id.origin === origin ? id.seq : [id.origin, id.seq];
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
  if (!isOriginId(origin)) throw badEvent(`origin ${show(origin)} is not an origin`);
  if (!isSeq(seq)) throw badEvent(`seq ${show(seq)} is not a positive integer`);
  if (!isPlainObject(vc)) throw badEvent('vc is not a vector clock');
  const others: VectorClock = {};
  let ownEntry = false;
  for (const node of Object.keys(vc)) {
    const n = vc[node];
    if (!isOriginId(node) || !isCount(n)) throw badEvent(`vc entry ${show(node)} is invalid`);
    if (node === origin) ownEntry = n === seq;
    else if (n > 0) others[node] = n;
  }
  if (!ownEntry) throw badEvent(`vc[${origin}] must equal seq ${seq}`);
  if (!isName(e.type)) throw badEvent('type must be a string of 1 to 256 characters');
  if (!isName(e.correlationId)) throw badEvent('correlationId must be a string of 1 to 256 characters');
  if (e.causationId !== null && !isName(e.causationId)) throw badEvent('causationId must be null or a string of 1 to 256 characters');
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) throw badEvent('ts must be a finite, non-negative number');
  // msgpackr writes integers of 2³² and above as float64, which is not a `uint`.
  if (!isSeq(e.schema) || e.schema > 0xffff_ffff) throw badEvent('schema must be an integer from 1 to 2^32-1');
  if (e.data !== undefined) checkData(e.data);
  const version = e.version ?? 1;
  if (!isSeq(version) || version > MAX_EVENT_VERSION) throw badEvent('version must be an integer from 1 to 2^32-1');

  // A workflow's id is usually the id of the event that started it: then it is implied.
  const correlation = e.correlationId === eventId(origin, seq) ? null : e.correlationId;
  const wire: unknown[] = [origin, seq, e.schema, others, e.type, correlation, packCausation(e.causationId, origin), e.ts];
  // Version 1 is the absence of a version; a later one needs the data slot before it.
  if (version > 1) wire.push(e.data ?? null, version);
  else if (e.data !== undefined) wire.push(e.data);
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
 * Decodes and validates an event with the strict reader, field by field as `PROTOCOL.md`
 * has them: origin a node id, seq a positive integer, schema a positive `uint`, a clock
 * of node ids to counts (no duplicate key, not the origin), type and correlation id names
 * (correlation nil for the event's own id), causation nil, a seq, `[node, seq]` or a
 * name, ts a `uint` or a finite non-negative float64, and data, if present, JSON-like
 * (`event-data.ts`), then a version of 2 or more if present (its data then present too,
 * nil for none). Nothing follows the last field. `id` is derived as `origin:seq`;
 * `version` is set only from 2 on.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` for anything else.
 */
export function decodeEvent(bytes: EncodedEvent): Envelope {
  if (!(bytes instanceof Uint8Array)) throw badEvent('an event must be bytes');
  if (bytes.length > MAX_EVENT_BYTES) throw badEvent(`event is ${bytes.length} bytes, over the ${MAX_EVENT_BYTES}-byte limit`);
  // The same header check relays use, so any stored event can later be relayed.
  const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_EVENT');
  const { fields, origin, seq } = readHeader(r);
  const id = eventId(origin, seq);
  const schema = r.uint();
  if (schema === 0) throw r.error('schema must be a positive integer');
  const vc = readEventClock(r, origin, seq);
  const type = r.str(MAX_NAME_BYTES);
  if (!isName(type)) throw r.error('type must be a string of 1 to 256 characters');
  const correlationId = r.nil() ? id : r.str(MAX_NAME_BYTES);
  if (!isName(correlationId)) throw r.error('correlationId must be a string of 1 to 256 characters');
  const causationId = readCausation(r, origin);
  const ts = r.time();
  const data = fields >= 9 ? readData(r, MAX_DATA_DEPTH) : undefined;
  const version = fields === 10 ? r.uint() : 1;
  if (fields === 10 && (version < 2 || version > MAX_EVENT_VERSION)) throw r.error('a version is from 2 to 2^32-1: version 1 is its absence');
  r.end();
  const envelope: Envelope = { id, type, data, origin, seq, vc, correlationId, causationId, ts, schema };
  return version === 1 ? envelope : { ...envelope, version };
}

/** The causation field: nil, a seq of the origin, `[node, seq]`, or a name. */
function readCausation(r: WireReader, origin: string): string | null {
  if (r.nil()) return null;
  const kind = r.peek();
  if (kind >= 0x90 && kind <= 0x9f) {
    if (r.arrayHeader() !== 2) throw r.error('causation [node, seq] must have 2 elements');
    const node = r.origin();
    const seq = r.count();
    if (seq === 0) throw r.error('causation seq must be positive');
    return eventId(node, seq);
  }
  if ((kind >= 0xa0 && kind <= 0xbf) || (kind >= 0xd9 && kind <= 0xdb)) {
    const name = r.str(MAX_NAME_BYTES);
    if (!isName(name)) throw r.error('causation must be a string of 1 to 256 characters');
    return name;
  }
  const seq = r.count();
  if (seq === 0) throw r.error('causation seq must be positive');
  return eventId(origin, seq);
}

/**
 * Reads only the origin and seq of an encoded event, without decoding the rest: relays
 * call it on every stored event they consider forwarding. Accepts an array header of 8
 * to 10 fields, then a node id (a str) and a positive safe integer (positive fixint,
 * uint8–64, or an integral float64, which is how msgpackr writes integers of 2³² and
 * above). Validates nothing after seq.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` on anything else.
 */
export function eventHeader(bytes: EncodedEvent): { origin: string; seq: number } {
  const { origin, seq } = readHeader(new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_EVENT'));
  return { origin, seq };
}

function readHeader(r: WireReader): { fields: number; origin: string; seq: number } {
  const fields = r.arrayHeader();
  if (fields < 8 || fields > 10) throw r.error('an event is an array of 8 to 10 fields');
  const origin = r.origin();
  const seq = r.count();
  if (seq === 0) throw r.error('seq must be positive');
  return { fields, origin, seq };
}

/**
 * Reads the origin, seq and type of an encoded event without decoding its clock,
 * correlation, causation, time or data: a sender calls it on every stored event it
 * considers sending a peer with a narrower interest, and in a large cluster the clock,
 * which names every origin, is most of the header. Validates only what it reads.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` on a malformed header.
 */
export function eventHeaderAndType(bytes: EncodedEvent): { origin: string; seq: number; type: string } {
  const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_EVENT');
  const { origin, seq } = readHeader(r);
  r.uint();
  skipEventClock(r, origin);
  return { origin, seq, type: r.str(MAX_NAME_BYTES) };
}
