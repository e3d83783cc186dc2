/**
 * What an event's `data` may hold: JSON's values, plus byte arrays. nil, booleans,
 * numbers, strings, `bin`, arrays, and maps with string keys, nested at most
 * `MAX_DATA_DEPTH` deep (`PROTOCOL.md`, "Event data"). The decoder reads data with
 * `readData` (`data-reader.ts`), which refuses anything else; `checkData` holds what a node
 * publishes to the same rule, so that no node stores an event its peers would refuse or
 * that its own JSON views (`/log`, the inspector) could not show.
 */
import { TroupeError } from './troupe-error.js';
import { isWellFormed } from './wire-fields.js';

/** The deepest nesting of arrays and maps in event data. */
export const MAX_DATA_DEPTH = 64;

/**
 * Checks that `data` can travel as event data. `undefined` is allowed where JSON allows
 * it (an object property, left out; an array slot, sent as nil).
 *
 * @throws TroupeError `TROUPE_PROTOCOL_BAD_EVENT` naming where the first value that
 *   cannot is (`data.items[2].at is a Date, …`): a bigint, a symbol or function, a Date,
 *   Map, Set or any other class instance, a typed array other than a Uint8Array, a string
 *   with a lone surrogate, an own key `__proto__`, or nesting deeper than
 *   `MAX_DATA_DEPTH` (a cycle, say).
 */
export function checkData(data: unknown): void {
  const refusal = check(data, 0);
  if (refusal === undefined) return;
  const path = `data${refusal.steps.reverse().join('')}`;
  const where = path.length > 120 ? `${path.slice(0, 117)}...` : path;
  throw new TroupeError('TROUPE_PROTOCOL_BAD_EVENT', `${where} is ${refusal.what}, which event data cannot hold (JSON values and byte arrays only)`);
}

/**
 * What a value cannot be, and the steps (`.key`, `[i]`) to it, innermost first. The path
 * is built only for a refusal: every publish is checked, and data that passes (almost all
 * of it) should cost no strings.
 */
interface Refusal {
  readonly what: string;
  readonly steps: string[];
}

function check(value: unknown, depth: number): Refusal | undefined {
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'number':
      return undefined;
    case 'string':
      return isWellFormed(value) ? undefined : refusal('a string with a lone UTF-16 surrogate');
    case 'object':
      break;
    default:
      return refusal(`a ${typeof value}`);
  }
  if (value === null || value instanceof Uint8Array) return undefined;
  if (depth >= MAX_DATA_DEPTH) return refusal(`nested deeper than ${MAX_DATA_DEPTH} levels (a cycle?)`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = check(value[i], depth + 1);
      if (inner !== undefined) return step(inner, `[${i}]`);
    }
    return undefined;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return refusal(`a ${typeof name === 'string' && name !== '' ? name : 'class instance'}`);
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return refusal('an object with an own key __proto__');
    const inner = check((value as Record<string, unknown>)[key], depth + 1);
    if (inner !== undefined) return step(inner, `.${key}`);
  }
  return undefined;
}

function refusal(what: string): Refusal {
  return { what, steps: [] };
}

function step(inner: Refusal, to: string): Refusal {
  inner.steps.push(to);
  return inner;
}
