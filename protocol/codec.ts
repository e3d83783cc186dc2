/**
 * The codec: where troupe's data turns into bytes and back. `protocol/PROTOCOL.md` is the
 * grammar and `test/*-codec.test.ts` pin it with golden bytes. Three codecs, one module
 * each, over one configured msgpackr (`packr.ts`, the only module that imports it):
 *
 * - `event-codec.ts`: events, encoded once by their origin, stored and relayed as bytes;
 * - `frame-codec.ts`: the frames linked nodes exchange, a `writeX`/`readX` pair per frame;
 * - `value-codec.ts`: the store's own records.
 *
 * This module gathers their public surface, so that the rest of troupe imports bytes from
 * one place.
 */
export { decodeEvent, encodeEvent, eventHeader, MAX_EVENT_BYTES } from './event-codec.js';
export { decodeFrame, encodeFrame, encodeProof, isProofFrame, MAX_FRAME_BYTES } from './frame-codec.js';
export { decodeValue, encodeValue } from './value-codec.js';
export { MAX_NAME_LENGTH } from './wire-fields.js';
