/**
 * The codec: the one module that turns troupe's data into bytes and back, and the only
 * one that imports msgpackr. `protocol/PROTOCOL.md` is the grammar; this file implements
 * it, and `test/codec.test.ts` pins it with golden bytes.
 *
 * Three kinds of bytes:
 *
 * - Events are msgpack arrays `[origin, seq, schema, vc, type, correlationId, causation,
 *   ts, data?]`. Origin and seq come first so a relay can read them with `eventHeader`
 *   (a few bytes, no msgpack decoder) and forward the stored bytes untouched. The clock
 *   leaves out the origin's own entry (it equals seq) and zero entries; the correlation
 *   id is nil when it is the event's own id (the event starts its workflow); a causation
 *   id of the form `node:seq` travels as `seq` (same node as the origin) or `[node, seq]`.
 * - Frames are msgpack arrays `[type, ...fields]`. They are decoded by the strict
 *   hand-written reader in `msgpack-reader.ts` rather than by msgpackr: a frame is the one
 *   input a stranger controls, and a generic decoder would build whatever the bytes
 *   describe (millions of empty arrays, extension objects) before validation could reject
 *   it. The reader only ever allocates the fields it returns. An `events` frame carries
 *   events as msgpack `bin` values that it copies out but does not decode.
 * - Values are the store's own records: plain msgpack through the same msgpackr options.
 *
 * Every failure is a `TroupeError`; nothing else escapes, whatever the input.
 */
import { Packr, type Options } from 'msgpackr';
import { eventId, parseEventId, type EncodedEvent, type Envelope, type VectorClock } from './envelope.js';
import { PROTOCOL_VERSION, type Frame } from './frame.js';
import { NONCE_BYTES, PROOF_BYTES } from './handshake.js';
import { copyOf } from './byte-slabs.js';
import { isCount, isNodeId, show, WireReader } from './msgpack-reader.js';
import { TroupeError } from './troupe-error.js';

/**
 * The largest frame, in bytes, that `encodeFrame` produces and `decodeFrame` accepts. The
 * WebSocket layer sets the same `maxPayload` and closes with 1009 above it.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * The largest encoded event, in bytes. Far below `MAX_FRAME_BYTES` so that any event fits
 * in a frame, with room to batch; a bigger event is refused at publish time, not stuck in
 * an outbox forever.
 */
export const MAX_EVENT_BYTES = 1024 * 1024;

/** The longest event type, correlation id, causation id or cluster id, in UTF-16 units. */
export const MAX_NAME_LENGTH = 256;

/**
 * No valid event encodes to fewer bytes (array, 1-char origin, seq, schema, empty clock,
 * 1-char type and correlation id, nil causation, ts). Refusing shorter `bin`s in an
 * `events` frame bounds how many buffers one frame can make a node allocate.
 */
const MIN_EVENT_BYTES = 12;

/** Longest admin URL a `hello` may carry. */
const MAX_ADMIN_URL_LENGTH = 512;

/** The longest frame type name. */
const MAX_FRAME_TYPE_BYTES = 16;


/** msgpackr 1.12 reads `skipValues`, but its typings do not declare it. */
interface CodecOptions extends Options {
  readonly skipValues: readonly unknown[];
}

/**
 * msgpackr options, chosen so that the bytes are plain msgpack any implementation reads
 * and so that decoding builds nothing a peer could abuse:
 * - `useRecords: false`: maps are msgpack maps, not msgpackr's record extension.
 * - `mapsAsObjects: true`: maps decode as plain objects (msgpackr renames a `__proto__`
 *   key to `__proto_`, so a map can never set a prototype).
 * - `variableMapSize: true`: the smallest map header (fixmap) instead of always map16.
 * - `skipValues: [undefined]` and `encodeUndefinedAsNil: true`: `undefined` behaves as in
 *   JSON (object properties dropped, array slots nil) instead of msgpackr's ext 0.
 * - `moreTypes: false`: Set, Error, RegExp and typed arrays are written as plain arrays
 *   and bin, not as msgpackr extensions. Dates stay msgpack timestamps (ext −1).
 * - `structuredClone: false`: a decoded value can never contain shared or cyclic references.
 * - `int64AsType: 'number'`: 64-bit integers decode as numbers, never bigints, so decoded
 *   data always fits a JSON view (the admin API, the inspector); precision beyond 2⁵³ is lost.
 * - `copyBuffers: true`: decoded `bin` values are copies, never views into the input, so
 *   they can be kept without pinning a larger buffer.
 */
const options: CodecOptions = {
  useRecords: false,
  mapsAsObjects: true,
  variableMapSize: true,
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
  moreTypes: false,
  structuredClone: false,
  int64AsType: 'number',
  copyBuffers: true,
};
const packr = new Packr(options);

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------
// Field checks shared by the encoders and decoders, so both accept exactly the same data.
// `isNodeId` and `isCount` live in `msgpack-reader.ts`, which reads frames against them.

/** A UTF-16 code unit with no partner; UTF-8 cannot carry it (it would arrive as U+FFFD). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** An absolute `http:`/`https:` URL of printable ASCII, at most `MAX_ADMIN_URL_LENGTH` long. */
function isAdminUrl(s: unknown): s is string {
  if (typeof s !== 'string' || s.length > MAX_ADMIN_URL_LENGTH || !/^https?:\/\/[\x21-\x7e]+$/.test(s)) return false;
  return URL.canParse(s);
}

/** A non-empty string of at most `MAX_NAME_LENGTH` units that survives UTF-8 unchanged. */
function isName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_NAME_LENGTH && !LONE_SURROGATE.test(s);
}

/** A positive safe integer. */
function isSeq(n: unknown): n is number {
  return isCount(n) && n > 0;
}

function isBytes(b: unknown, min: number, max: number): b is Uint8Array {
  return b instanceof Uint8Array && b.length >= min && b.length <= max;
}

/** Whether `o` is a plain object (what a msgpack map decodes to, what a clock must be). */
function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------
// Events

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

// ---------------------------------------------------------------------------------------
// Frames

function badFrame(message: string): TroupeError {
  return new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', message);
}

function checkClock(vc: unknown): void {
  if (!isPlainObject(vc)) throw badFrame('vc must be a vector clock');
  for (const node of Object.keys(vc)) {
    if (!isNodeId(node) || !isCount(vc[node])) throw badFrame(`vc entry ${show(node)} is invalid`);
  }
}

/** The msgpack value of a frame: `[type, ...fields]`, checked field by field. */
function frameToWire(frame: Frame): unknown[] {
  switch (frame.type) {
    case 'hello':
      if (!isName(frame.cluster)) throw badFrame('hello: cluster must be a string of 1 to 256 characters');
      if (!isNodeId(frame.node)) throw badFrame('hello: node is not a node id');
      if (!isCount(frame.protocol)) throw badFrame('hello: protocol must be a non-negative integer');
      if (!isBytes(frame.nonce, NONCE_BYTES, NONCE_BYTES)) throw badFrame(`hello: nonce must be ${NONCE_BYTES} bytes`);
      if (frame.admin === undefined) return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce];
      if (!isAdminUrl(frame.admin)) throw badFrame('hello: admin must be an http(s) URL');
      return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin];
    case 'auth':
      if (!isBytes(frame.proof, PROOF_BYTES, PROOF_BYTES)) throw badFrame(`auth: proof must be ${PROOF_BYTES} bytes`);
      return ['auth', frame.proof];
    case 'want':
    case 'ack':
      checkClock(frame.vc);
      return [frame.type, frame.vc];
    case 'links':
      if (!Array.isArray(frame.links) || !frame.links.every(isNodeId)) throw badFrame('links: every link must be a node id');
      return ['links', frame.links];
    case 'events':
      if (!Array.isArray(frame.events) || !frame.events.every((e) => isBytes(e, MIN_EVENT_BYTES, MAX_EVENT_BYTES))) {
        throw badFrame(`events: every event must be ${MIN_EVENT_BYTES} to ${MAX_EVENT_BYTES} bytes`);
      }
      return ['events', frame.events];
    default:
      throw badFrame(`unknown frame type ${show((frame as { type?: unknown }).type)}`);
  }
}

/**
 * Encodes a frame after checking every field.
 *
 * The bytes are a view into a chunk msgpackr shares between results (it never writes over
 * bytes it has returned); they are meant to be sent right away, not kept.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_FRAME` for an invalid field,
 *   `TROUPE_PROTOCOL_FRAME_TOO_LARGE` when the frame would exceed `MAX_FRAME_BYTES`
 *   (send fewer events per frame).
 */
export function encodeFrame(frame: Frame): Uint8Array {
  // Every field is checked, so msgpackr has nothing it cannot encode.
  const bytes = packr.pack(frameToWire(frame));
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new TroupeError('TROUPE_PROTOCOL_FRAME_TOO_LARGE', `${frame.type} frame is ${bytes.length} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
  }
  return bytes;
}

/**
 * Decodes a frame and checks every field. Events in an `events` frame are copied out as
 * they are, not decoded: the runtime decodes each with `decodeEvent`, and relays store and
 * forward the same bytes. A `hello` may carry fields after the fifth (a later protocol
 * version's); they are ignored so that the version mismatch can be reported as such.
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_FRAME` for bytes that are not a valid frame,
 *   `TROUPE_PROTOCOL_FRAME_TOO_LARGE` for more than `MAX_FRAME_BYTES`.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (!(bytes instanceof Uint8Array)) throw badFrame('a frame must be bytes');
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new TroupeError('TROUPE_PROTOCOL_FRAME_TOO_LARGE', `frame is ${bytes.length} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
  }
  const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_FRAME');
  const fields = r.arrayHeader();
  if (fields === 0) throw r.error('a frame is a non-empty array');
  const type = r.str(MAX_FRAME_TYPE_BYTES);
  /** Reads the one field of a two-field frame, which must end the bytes. */
  const single = <F extends Frame>(read: () => F): F => {
    if (fields !== 2) throw r.error(`${type} frame must have 2 fields`);
    const frame = read();
    r.end();
    return frame;
  };
  switch (type) {
    case 'hello': {
      if (fields < 5) throw r.error('hello has 5 fields');
      const cluster = r.str(MAX_NAME_LENGTH * 4);
      if (!isName(cluster)) throw r.error('hello: cluster must be a string of 1 to 256 characters');
      const node = r.nodeId();
      const protocol = r.count();
      const nonce = r.bin(NONCE_BYTES, NONCE_BYTES);
      // A sixth field is this version's admin URL; another version's fields are not read.
      if (fields < 6 || protocol !== PROTOCOL_VERSION) return { type, cluster, node, protocol, nonce };
      const admin = r.str(MAX_ADMIN_URL_LENGTH);
      if (!isAdminUrl(admin)) throw r.error('hello: admin must be an http(s) URL');
      return { type, cluster, node, protocol, nonce, admin };
    }
    case 'auth':
      return single(() => ({ type, proof: r.bin(PROOF_BYTES, PROOF_BYTES) }));
    case 'want':
    case 'ack':
      return single(() => ({ type, vc: r.clock() }));
    case 'links':
      return single(() => {
        const links: string[] = [];
        for (let i = r.arrayHeader(); i > 0; i--) links.push(r.nodeId());
        return { type, links };
      });
    case 'events':
      return single(() => {
        const events: Uint8Array[] = [];
        for (let i = r.arrayHeader(); i > 0; i--) events.push(r.bin(MIN_EVENT_BYTES, MAX_EVENT_BYTES));
        return { type, events };
      });
    default:
      throw r.error(`unknown frame type ${show(type)}`);
  }
}

// ---------------------------------------------------------------------------------------
// Values

/**
 * Encodes one of the store's own records (snapshots, acknowledged clocks, DLQ entries) as
 * plain msgpack. `undefined` properties are dropped and `undefined` array slots become nil,
 * as in JSON.
 *
 * @returns bytes in a buffer of their own.
 * @throws TroupeError `TROUPE_STORE_FAILED` for a value msgpack cannot hold (a symbol, a cycle).
 */
export function encodeValue(value: unknown): Uint8Array {
  try {
    return copyOf(packr.pack(value));
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_FAILED', `value cannot be encoded: ${describe(err)}`, { cause: err });
  }
}

/**
 * Decodes what `encodeValue` wrote. Maps decode as plain objects, `bin` as byte arrays
 * that own their memory.
 *
 * @throws TroupeError `TROUPE_STORE_FAILED` for bytes that are not one msgpack value.
 */
export function decodeValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new TroupeError('TROUPE_STORE_FAILED', `stored value cannot be decoded: ${describe(err)}`, { cause: err });
  }
}
