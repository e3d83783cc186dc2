/**
 * Plain-text tables for the CLI's reports (`troupe status`, `troupe trace`): columns
 * padded to their widest cell, two spaces apart, no trailing blanks.
 */

/**
 * The rows under a header, as lines.
 * @example textTable(['node', 'log'], [['n1', '12']]) // ['node  log', 'n1    12']
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => (row[col] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
