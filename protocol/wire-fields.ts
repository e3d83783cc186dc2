/**
 * The field rules of the wire, shared by the encoders and decoders (so both accept
 * exactly the same data) and by the runtime's one check of a publish, and `show`, how a
 * bad value appears in their error messages.
 */
import { NODE_ID_PATTERN } from './envelope.js';
import { isOrigin } from './origin.js';

/** The longest event type, correlation id, causation id or cluster id, in UTF-16 units. */
export const MAX_NAME_LENGTH = 256;

/** Longest admin URL a `hello` may carry. */
export const MAX_ADMIN_URL_LENGTH = 512;

/** Longest process instance id a `hello` may carry: it is the sender's incarnation (`origin.ts`). */
export const MAX_INSTANCE_LENGTH = 16;

/** A short, never-throwing rendering of a bad value for an error message. */
export function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
}

/** A node id: `NODE_ID_PATTERN`, and not `__proto__`, which no plain-object clock can hold. */
export function isNodeId(s: unknown): s is string {
  return typeof s === 'string' && NODE_ID_PATTERN.test(s) && s !== '__proto__';
}

/** An origin (`n1` or `n1~V1StGX`, see `origin.ts`), the key of a clock entry; not `__proto__`. */
export function isOriginId(s: unknown): s is string {
  return typeof s === 'string' && isOrigin(s) && s !== '__proto__';
}

/** A non-negative safe integer. */
export function isCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
}

/**
 * Whether `s` survives UTF-8 unchanged: it has no UTF-16 code unit without its partner
 * (one would arrive as U+FFFD). ES2024's `String.prototype.isWellFormed`, native in Node
 * 20: for the one-byte strings most names are it answers without a scan, where a regex
 * ran on every publish.
 */
export function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/** A non-empty string of at most `MAX_NAME_LENGTH` units that survives UTF-8 unchanged. */
export function isName(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_NAME_LENGTH && isWellFormed(s);
}

/** An absolute `http:`/`https:` URL of printable ASCII, at most `MAX_ADMIN_URL_LENGTH` long. */
export function isAdminUrl(s: unknown): s is string {
  if (typeof s !== 'string' || s.length > MAX_ADMIN_URL_LENGTH || !/^https?:\/\/[\x21-\x7e]+$/.test(s)) return false;
  return URL.canParse(s);
}

/** A process instance id: 1 to `MAX_INSTANCE_LENGTH` characters of `A-Z a-z 0-9 _ -`. */
export function isInstanceId(s: unknown): s is string {
  return typeof s === 'string' && s.length > 0 && s.length <= MAX_INSTANCE_LENGTH && /^[A-Za-z0-9_-]+$/.test(s);
}

/** A positive safe integer. */
export function isSeq(n: unknown): n is number {
  return isCount(n) && n > 0;
}

/** A byte array of `min` to `max` bytes. */
export function isBytes(b: unknown, min: number, max: number): b is Uint8Array {
  return b instanceof Uint8Array && b.length >= min && b.length <= max;
}

/** Whether `o` is a plain object (what a msgpack map decodes to, what a clock must be). */
export function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null) return false;
  const proto = Object.getPrototypeOf(o);
  return proto === Object.prototype || proto === null;
}
