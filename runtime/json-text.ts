/**
 * JSON text of what a node shows (admin API answers, the inspector's feed). An actor's
 * context or an older event's data may hold a `bigint`, which `JSON.stringify` throws on:
 * it is written as a decimal string, so showing never fails on it.
 */

/** `JSON.stringify(value)`, with each `bigint` as its decimal string. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, bigintAsString);
}

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
