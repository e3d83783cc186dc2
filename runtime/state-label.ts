/**
 * An actor's state value as one short string, as metrics label it and `/actors` counts
 * and filters by it.
 */

/**
 * An actor's state value as one label: `'idle'`, `'a.b'` for a nested state, and its
 * active paths joined by commas for parallel regions (`'p.left.on,p.right.off'`).
 */
export function stateLabel(value: unknown): string {
  return statePaths(value).join(',');
}

function statePaths(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return [String(value)];
  return Object.entries(value).flatMap(([key, inner]: [string, unknown]) => {
    const below = inner === null || inner === undefined ? [] : statePaths(inner);
    return below.length === 0 ? [key] : below.map((path) => `${key}.${path}`);
  });
}
