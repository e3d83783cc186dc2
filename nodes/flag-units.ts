/**
 * Durations and byte sizes as `troupe node` flags take them: `300ms`, `30s`, `5m`, `1h`,
 * `2d` or plain milliseconds; `512KiB`, `64MiB`, `2GiB` (or `KB`, `MB`, `GB`, powers of
 * 1000) or plain bytes.
 */

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** A duration flag in ms, or `undefined` if it is not one (a positive number with an optional unit). */
export function parseDuration(text: string): number | undefined {
  return parseUnit(text, DURATION_UNITS, '');
}

/** A byte size flag in bytes, or `undefined` if it is not one (a positive number with an optional unit). */
export function parseBytes(text: string): number | undefined {
  const bytes = parseUnit(text.toLowerCase(), BYTE_UNITS, 'b');
  return bytes === undefined ? undefined : Math.floor(bytes);
}

function parseUnit(text: string, units: Record<string, number>, plain: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  if (match === null) return undefined;
  const unit = units[match[2] === '' ? plain || 'ms' : match[2]];
  const n = Number(match[1]) * (unit ?? NaN);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
