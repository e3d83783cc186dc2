/**
 * The frame codec: one `writeX`/`readX` pair per frame of `PROTOCOL.md`'s table, the way
 * y-protocols writes `writeSyncStep1`/`readSyncStep1`.
 *
 * A frame is a msgpack array `[type, ...fields]`. Each `writeX` checks every field and
 * returns that array for msgpackr to pack. Each `readX` reads the fields after the type
 * with the strict hand-written reader of `msgpack-reader.ts` rather than msgpackr: a
 * frame is the one input a stranger controls, and a generic decoder would build whatever
 * the bytes describe (millions of empty arrays, extension objects) before validation
 * could reject it. The reader only ever allocates the fields it returns. An `events`
 * frame carries events as msgpack `bin` values that it copies out but does not decode.
 * Every failure is a `TroupeError`; nothing else escapes, whatever the input.
 */
import type { EncodedEvent } from './envelope.js';
import { MAX_EVENT_BYTES, MIN_EVENT_BYTES } from './event-codec.js';
import { PROTOCOL_VERSION, type AckFrame, type AuthFrame, type EventsFrame, type Frame, type FrameType, type HelloFrame, type LinksFrame, type LostFrame, type SkipFrame, type WantFrame } from './frame.js';
import { NONCE_BYTES, PROOF_BYTES } from './handshake.js';
import { WireReader } from './msgpack-reader.js';
import { isPattern } from './interest-pattern.js';
import { SIGNATURE_BYTES } from './node-keys.js';
import type { ProofFrame } from './origin-proof.js';
import { readCover, readProof, writeCover, writeProof } from './proof-codec.js';
import { packr } from './packr.js';
import { TroupeError } from './troupe-error.js';
import { isAdminUrl, isBytes, isCount, isInstanceId, isName, isNodeId, isOriginId, isPlainObject, MAX_ADMIN_URL_LENGTH, MAX_INSTANCE_LENGTH, MAX_NAME_LENGTH, show } from './wire-fields.js';

/**
 * The largest frame, in bytes, that `encodeFrame` produces and `decodeFrame` accepts. The
 * WebSocket layer sets the same `maxPayload` and closes with 1009 above it.
 */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** The longest frame type name. */
const MAX_FRAME_TYPE_BYTES = 16;

function badFrame(message: string): TroupeError {
  return new TroupeError('TROUPE_PROTOCOL_BAD_FRAME', message);
}

function checkClock(vc: unknown): void {
  if (!isPlainObject(vc)) throw badFrame('vc must be a vector clock');
  for (const node of Object.keys(vc)) {
    if (!isOriginId(node) || !isCount(vc[node])) throw badFrame(`vc entry ${show(node)} is invalid`);
  }
}

/** Fails unless a frame other than `hello` has exactly its type and one field. */
function expectTwoFields(r: WireReader, type: FrameType, fields: number): void {
  if (fields !== 2) throw r.error(`${type} frame must have 2 fields`);
}

// ── hello: ["hello", cluster: name, node: node, protocol: count, nonce: bytes(32), admin?: str, instance?: str, interest?: [name, …], relaxed?: bool, folds?: bool]

/** The wire value of a `hello`. */
export function writeHello(frame: HelloFrame): unknown[] {
  if (!isName(frame.cluster)) throw badFrame('hello: cluster must be a string of 1 to 256 characters');
  if (!isNodeId(frame.node)) throw badFrame('hello: node is not a node id');
  if (!isCount(frame.protocol)) throw badFrame('hello: protocol must be a non-negative integer');
  if (!isBytes(frame.nonce, NONCE_BYTES, NONCE_BYTES)) throw badFrame(`hello: nonce must be ${NONCE_BYTES} bytes`);
  if (frame.admin === undefined) {
    if (frame.instance !== undefined) throw badFrame('hello: instance follows admin on the wire: it needs one');
    return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce];
  }
  if (!isAdminUrl(frame.admin)) throw badFrame('hello: admin must be an http(s) URL');
  if (frame.instance === undefined) return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin];
  if (!isInstanceId(frame.instance)) throw badFrame('hello: instance must be 1 to 16 characters of A-Z a-z 0-9 _ -');
  // `relaxed` follows `interest` on the wire: a relaxed node that wants everything says `['*']`;
  // `folds` follows `relaxed`, which is then sent as `false` for a durable node.
  const folds = frame.folds === true;
  const interest = frame.interest ?? (frame.relaxed === true || folds ? ['*'] : undefined);
  if (interest === undefined) return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin, frame.instance];
  if (!isInterest(interest)) throw badFrame(`hello: interest must be 1 to ${MAX_INTEREST_PATTERNS} patterns`);
  if (folds) return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin, frame.instance, interest, frame.relaxed === true, true];
  if (frame.relaxed !== true) return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin, frame.instance, interest];
  return ['hello', frame.cluster, frame.node, frame.protocol, frame.nonce, frame.admin, frame.instance, interest, true];
}

/**
 * Reads a `hello` after its type. It may carry fields after the fifth (a later protocol
 * version's); they are not read, so that the version mismatch can be reported as such.
 */
export function readHello(r: WireReader, fields: number): HelloFrame {
  if (fields < 5) throw r.error('hello has 5 fields');
  const cluster = r.str(MAX_NAME_LENGTH * 4);
  if (!isName(cluster)) throw r.error('hello: cluster must be a string of 1 to 256 characters');
  const node = r.nodeId();
  const protocol = r.count();
  const nonce = r.bin(NONCE_BYTES, NONCE_BYTES);
  // A sixth field is this version's admin URL, a seventh its process instance id, an eighth
  // its interest, a ninth whether it runs relaxed, a tenth whether it reads folded clocks;
  // another version's fields are not read, nor any after the tenth.
  if (fields < 6 || protocol !== PROTOCOL_VERSION) return { type: 'hello', cluster, node, protocol, nonce };
  const admin = r.str(MAX_ADMIN_URL_LENGTH);
  if (!isAdminUrl(admin)) throw r.error('hello: admin must be an http(s) URL');
  if (fields < 7) return { type: 'hello', cluster, node, protocol, nonce, admin };
  const instance = r.str(MAX_INSTANCE_LENGTH);
  if (!isInstanceId(instance)) throw r.error('hello: instance must be 1 to 16 characters of A-Z a-z 0-9 _ -');
  if (fields < 8) return { type: 'hello', cluster, node, protocol, nonce, admin, instance };
  const count = r.arrayHeader();
  if (count === 0 || count > MAX_INTEREST_PATTERNS) throw r.error(`hello: interest must be 1 to ${MAX_INTEREST_PATTERNS} patterns`);
  const interest: string[] = [];
  for (let i = 0; i < count; i++) {
    const pattern = r.str(MAX_NAME_LENGTH * 4);
    if (!isPattern(pattern)) throw r.error('hello: an interest pattern is an event type, a prefix ending in *, or *');
    interest.push(pattern);
  }
  if (fields < 9) return { type: 'hello', cluster, node, protocol, nonce, admin, instance, interest };
  const relaxed = readFlag(r, 'relaxed');
  if (fields < 10) return { type: 'hello', cluster, node, protocol, nonce, admin, instance, interest, relaxed };
  return { type: 'hello', cluster, node, protocol, nonce, admin, instance, interest, relaxed, folds: readFlag(r, 'folds') };
}

/** Reads a hello flag, msgpack `true` or `false`. */
function readFlag(r: WireReader, name: string): boolean {
  const flag = r.byte();
  if (flag !== MSGPACK_TRUE && flag !== MSGPACK_FALSE) throw r.error(`hello: ${name} must be true or false`);
  return flag === MSGPACK_TRUE;
}

/** MessagePack's `true` and `false`. */
const MSGPACK_TRUE = 0xc3;
const MSGPACK_FALSE = 0xc2;

/** The most patterns a hello's interest may list. */
export const MAX_INTEREST_PATTERNS = 1024;

/** Whether `interest` is a list of 1 to `MAX_INTEREST_PATTERNS` patterns. */
function isInterest(interest: unknown): interest is string[] {
  return Array.isArray(interest) && interest.length > 0 && interest.length <= MAX_INTEREST_PATTERNS && interest.every(isPattern);
}

// ── auth: ["auth", proof: bytes(32), signature?: bytes(64)]

/** The wire value of an `auth`. */
export function writeAuth(frame: AuthFrame): unknown[] {
  if (!isBytes(frame.proof, PROOF_BYTES, PROOF_BYTES)) throw badFrame(`auth: proof must be ${PROOF_BYTES} bytes`);
  if (frame.signature === undefined) return ['auth', frame.proof];
  if (!isBytes(frame.signature, SIGNATURE_BYTES, SIGNATURE_BYTES)) throw badFrame(`auth: signature must be ${SIGNATURE_BYTES} bytes`);
  return ['auth', frame.proof, frame.signature];
}

/** Reads an `auth` after its type: a proof, and a signature from a node with a key. */
export function readAuth(r: WireReader, fields: number): AuthFrame {
  if (fields !== 2 && fields !== 3) throw r.error('auth frame must have 2 or 3 fields');
  const proof = r.bin(PROOF_BYTES, PROOF_BYTES);
  if (fields === 2) return { type: 'auth', proof };
  return { type: 'auth', proof, signature: r.bin(SIGNATURE_BYTES, SIGNATURE_BYTES) };
}

// ── want: ["want", vc: clock]

/** The wire value of a `want`. */
export function writeWant(frame: WantFrame): unknown[] {
  checkClock(frame.vc);
  return ['want', frame.vc];
}

/** Reads a `want` after its type. */
export function readWant(r: WireReader, fields: number): WantFrame {
  expectTwoFields(r, 'want', fields);
  return { type: 'want', vc: r.clock() };
}

// ── events: ["events", [event, …]]

/** The wire value of an `events` frame: each event as the `bin` it already is. */
export function writeEvents(frame: EventsFrame): unknown[] {
  if (!Array.isArray(frame.events) || !frame.events.every((e) => isBytes(e, MIN_EVENT_BYTES, MAX_EVENT_BYTES))) {
    throw badFrame(`events: every event must be ${MIN_EVENT_BYTES} to ${MAX_EVENT_BYTES} bytes`);
  }
  return ['events', frame.events];
}

/** Reads an `events` frame after its type: each event copied out, checked for length only. */
export function readEvents(r: WireReader, fields: number): EventsFrame {
  expectTwoFields(r, 'events', fields);
  const events: EncodedEvent[] = [];
  for (let i = r.arrayHeader(); i > 0; i--) events.push(r.bin(MIN_EVENT_BYTES, MAX_EVENT_BYTES));
  return { type: 'events', events };
}

// ── skip: ["skip", [[origin, from: seq, to: seq], …]]

/** The wire value of a `skip`. */
export function writeSkip(frame: SkipFrame): unknown[] {
  if (!Array.isArray(frame.ranges)) throw badFrame('skip: ranges must be an array');
  return [
    'skip',
    frame.ranges.map(({ origin, from, to }) => {
      if (!isOriginId(origin) || !isCount(from) || from < 1 || !isCount(to) || to < from) throw badFrame(`skip: range ${show(origin)} ${show(from)}…${show(to)} is invalid`);
      return [origin, from, to];
    }),
  ];
}

/** Reads a `skip` after its type. */
export function readSkip(r: WireReader, fields: number): SkipFrame {
  expectTwoFields(r, 'skip', fields);
  const ranges: { origin: string; from: number; to: number }[] = [];
  for (let i = r.arrayHeader(); i > 0; i--) {
    if (r.arrayHeader() !== 3) throw r.error('skip: a range is [origin, from, to]');
    const origin = r.origin();
    const from = r.count();
    const to = r.count();
    if (from < 1 || to < from) throw r.error(`skip: range ${from}…${to} is invalid`);
    ranges.push({ origin, from, to });
  }
  return { type: 'skip', ranges };
}

// ── lost: ["lost", first: count, [[origin, from: seq, to: seq], …], asked?: [[origin, from, to], …]]

/** The wire value of a `lost`; `asked` only when it names any range. */
export function writeLost(frame: LostFrame): unknown[] {
  if (!isCount(frame.first) || frame.first < 1) throw badFrame(`lost: first ${show(frame.first)} must be a position`);
  const out = ['lost', frame.first, writeSkip({ type: 'skip', ranges: frame.ranges })[1]];
  if (frame.asked !== undefined && frame.asked.length > 0) out.push(writeSkip({ type: 'skip', ranges: frame.asked })[1]);
  return out;
}

/** Reads a `lost` after its type: its ranges, and those asked for, are read as a `skip`'s are. */
export function readLost(r: WireReader, fields: number): LostFrame {
  if (fields !== 3 && fields !== 4) throw r.error('lost frame must have 3 or 4 fields');
  const first = r.count();
  if (first < 1) throw r.error(`lost: first ${first} must be a position`);
  const ranges = readSkip(r, 2).ranges;
  if (fields === 3) return { type: 'lost', first, ranges };
  const asked = readSkip(r, 2).ranges;
  if (asked.length === 0) throw r.error('lost: an asked list names at least one range (leave it out otherwise)');
  return { type: 'lost', first, ranges, asked };
}

// ── ack: ["ack", vc: clock]

/** The wire value of an `ack`. */
export function writeAck(frame: AckFrame): unknown[] {
  checkClock(frame.vc);
  return ['ack', frame.vc];
}

/** Reads an `ack` after its type. */
export function readAck(r: WireReader, fields: number): AckFrame {
  expectTwoFields(r, 'ack', fields);
  return { type: 'ack', vc: r.clock() };
}

// ── links: ["links", [origin, …]]

/** The wire value of a `links`. */
export function writeLinks(frame: LinksFrame): unknown[] {
  if (!Array.isArray(frame.links) || !frame.links.every(isOriginId)) throw badFrame('links: every link must be an origin');
  return ['links', frame.links];
}

/** Reads a `links` after its type. */
export function readLinks(r: WireReader, fields: number): LinksFrame {
  expectTwoFields(r, 'links', fields);
  const links: string[] = [];
  for (let i = r.arrayHeader(); i > 0; i--) links.push(r.origin());
  return { type: 'links', links };
}

// ── every frame

type Writer<T extends FrameType> = (frame: Extract<Frame, { type: T }>) => unknown[];
type Reader<T extends FrameType> = (r: WireReader, fields: number) => Extract<Frame, { type: T }>;

const writers: { readonly [T in FrameType]: Writer<T> } = {
  hello: writeHello,
  auth: writeAuth,
  want: writeWant,
  events: writeEvents,
  skip: writeSkip,
  ack: writeAck,
  links: writeLinks,
  proof: writeProof,
  cover: writeCover,
  lost: writeLost,
};

const readers: { readonly [T in FrameType]: Reader<T> } = {
  hello: readHello,
  auth: readAuth,
  want: readWant,
  events: readEvents,
  skip: readSkip,
  ack: readAck,
  links: readLinks,
  proof: readProof,
  cover: readCover,
  lost: readLost,
};

function isFrameType(type: unknown): type is FrameType {
  return typeof type === 'string' && Object.hasOwn(writers, type);
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
  if (frame.type === 'proof') return encodeProof(frame);
  const type: unknown = frame.type;
  if (!isFrameType(type)) throw badFrame(`unknown frame type ${show(type)}`);
  // Every field is checked, so msgpackr has nothing it cannot encode.
  const bytes = packr.pack((writers[type] as Writer<FrameType>)(frame as never));
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new TroupeError('TROUPE_PROTOCOL_FRAME_TOO_LARGE', `${type} frame is ${bytes.length} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
  }
  return bytes;
}

/**
 * The bytes of each `proof` frame encoded here, kept for as long as the frame object
 * lives. A checkpoint is sent on every link exactly as it is, so it is encoded once per
 * frame object. A decoded frame keeps none of the bytes it was decoded from: most are
 * stored compact (`runtime/stored-checkpoint.ts`) and never encoded, and bytes kept from
 * a socket's read would have to be copied first (they may be a view into a larger buffer).
 * A frame's fields are never changed in place.
 */
const proofBytes = new WeakMap<ProofFrame, Uint8Array>();

/**
 * The bytes of a `proof` frame: as {@link encodeFrame}, but bytes of their own that may
 * be kept (stored); the same bytes each time for one frame object.
 * @throws TroupeError as {@link encodeFrame}
 */
export function encodeProof(frame: ProofFrame): Uint8Array {
  const kept = proofBytes.get(frame);
  if (kept !== undefined) return kept;
  const bytes = Buffer.from(packr.pack(writeProof(frame)));
  if (bytes.length > MAX_FRAME_BYTES) {
    throw new TroupeError('TROUPE_PROTOCOL_FRAME_TOO_LARGE', `proof frame is ${bytes.length} bytes, over the ${MAX_FRAME_BYTES}-byte limit`);
  }
  proofBytes.set(frame, bytes);
  return bytes;
}

/**
 * Decodes a frame and checks every field. Events in an `events` frame are copied out as
 * they are, not decoded: the runtime decodes each with `decodeEvent`, and relays store and
 * forward the same bytes.
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
  if (!isFrameType(type)) throw r.error(`unknown frame type ${show(type)}`);
  const frame = readers[type](r, fields);
  // A hello may end in a later version's fields, unread; every other frame ends here.
  if (type !== 'hello') r.end();
  return frame;
}

/**
 * Whether `bytes` start as a `proof` frame (an array whose first item is the string
 * `proof`), read no further: so that a record that holds either a frame or something else
 * (a stored checkpoint) is decoded once.
 */
export function isProofFrame(bytes: Uint8Array): boolean {
  try {
    const r = new WireReader(bytes, 'TROUPE_PROTOCOL_BAD_FRAME');
    return r.arrayHeader() > 0 && r.str(MAX_FRAME_TYPE_BYTES) === 'proof';
  } catch {
    return false; // not an array starting with a short string: no frame
  }
}
