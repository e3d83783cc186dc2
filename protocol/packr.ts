/**
 * The one configured msgpackr instance, shared by the event, frame and value codecs. This
 * is the only module that imports msgpackr: every byte troupe writes with it goes through
 * the options below. It decodes only the store's own records (`value-codec.ts`): frames
 * and events, which peers send, are read by the strict `msgpack-reader.ts`.
 */
import { Packr, type Options } from 'msgpackr';

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

/** The msgpackr encoder/decoder every codec uses. */
export const packr = new Packr(options);

/** The message of whatever msgpackr threw, for a TroupeError's message. */
export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
