/**
 * Interest patterns as the wire carries them (a `hello`'s interest): an event type
 * (`alert.dev-1`), a prefix ending in `*` (`alert.*`), or `*` alone for everything.
 * What a node does with them is `runtime/interest.ts`.
 */
import { isName } from './wire-fields.js';

/** Whether `pattern` is a valid interest pattern: a name whose only `*`, if any, ends it. */
export function isPattern(pattern: unknown): pattern is string {
  if (!isName(pattern)) return false;
  const star = pattern.indexOf('*');
  return star < 0 || star === pattern.length - 1;
}
