/**
 * XState state values as the inspector reads them. A value is a state name (`'pending'`)
 * or an object naming the active child of each compound or parallel state
 * (`{ payment: 'capturing' }`); the chart names states by their path from the root, so
 * the page turns a value into the set of active paths to find what to highlight.
 */

/**
 * The paths of every active state in `value`, each joined with `.`, outermost first.
 * @example activePaths({ payment: 'capturing' }) // ['payment', 'payment.capturing']
 */
export function activePaths(value: unknown): string[] {
  const paths: string[] = [];
  collect(value, [], paths);
  return paths;
}

function collect(value: unknown, prefix: readonly string[], into: string[]): void {
  if (typeof value === 'string') {
    into.push([...prefix, value].join('.'));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [name, child] of Object.entries(value)) {
    const path = [...prefix, name];
    into.push(path.join('.'));
    collect(child, path, into);
  }
}

/**
 * A state value in one line: `pending`, `payment.capturing`, `{a.x, b.y}` for parallel
 * regions. Anything that is not a state value is shown as JSON.
 * @example formatStateValue({ payment: 'capturing' }) // 'payment.capturing'
 */
export function formatStateValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? String(value);
  const leaves = leafPaths(value, []);
  return leaves.length === 1 ? leaves[0] : `{${leaves.join(', ')}}`;
}

function leafPaths(value: unknown, prefix: readonly string[]): string[] {
  if (typeof value === 'string') return [[...prefix, value].join('.')];
  if (typeof value !== 'object' || value === null) return [prefix.join('.')];
  const entries = Object.entries(value);
  if (entries.length === 0) return [prefix.join('.')];
  return entries.flatMap(([name, child]) => leafPaths(child, [...prefix, name]));
}
