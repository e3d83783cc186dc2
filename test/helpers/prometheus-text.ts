/**
 * A reader of the Prometheus text format (what `GET /metrics` answers), enough for tests:
 * `# TYPE` lines and samples with labels. It throws on a line it cannot read, so a node
 * that writes a malformed exposition fails the test that scrapes it.
 */

/** One sample line: `name{labels} value`. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition. */
export interface Exposition {
  readonly samples: readonly Sample[];
  /** Metric family name → its `# TYPE` (counter, gauge, histogram…). */
  readonly types: ReadonlyMap<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/** Parses Prometheus text; throws on a line that is neither a comment nor a sample. */
export function parsePrometheus(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample line: ${line}`);
    const value = Number(match[3]!.replace(/^\+Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity'));
    samples.push({ name: match[1]!, labels: parseLabels(match[2] ?? '', line), value });
  }
  return { samples, types };
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(text);
    if (match === null || LABEL.lastIndex === start) throw new Error(`cannot read the labels of: ${line}`);
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The value of the sample `name` whose labels are exactly `labels`, or `undefined`. */
export function valueOf(exposition: Exposition, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const wanted = Object.entries(labels);
  const found = exposition.samples.find((s) => s.name === name
    && Object.keys(s.labels).length === wanted.length
    && wanted.every(([k, v]) => s.labels[k] === v));
  return found?.value;
}

/** Every sample of `name`, as `label value → sample value` keyed by the one label `by`. */
export function byLabel(exposition: Exposition, name: string, by: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of exposition.samples) if (s.name === name && s.labels[by] !== undefined) out[s.labels[by]!] = s.value;
  return out;
}
