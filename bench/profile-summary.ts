/**
 * What a V8 CPU profile (`.cpuprofile`) says at a glance: the busy time, its split over the
 * parts of the stack (XState, msgpackr, LevelDB, ws, troupe's own code, GC, native), and
 * the functions with the most self time: the table that goes into a note or a README,
 * beside the flame graph (`flame-graph.ts`).
 */
import type { Profiler, Runtime } from 'node:inspector';
import { basename } from 'node:path';

/** Time spent in one area or one function. */
export interface ProfileShare {
  readonly name: string;
  readonly ms: number;
  /** Of the busy time, 0..1. */
  readonly share: number;
}

/** A function with self time, where it is and which area it belongs to. */
export interface FunctionShare extends ProfileShare {
  readonly where: string;
  readonly area: string;
}

/** The profile in figures. */
export interface ProfileSummary {
  /** From the profile's start to its end. */
  readonly spanMs: number;
  /** Sampled time not idle. */
  readonly busyMs: number;
  /** Areas by self time, largest first. */
  readonly areas: readonly ProfileShare[];
  /** Functions by self time, largest first. */
  readonly functions: readonly FunctionShare[];
}

/** V8's frame for time the thread had nothing to do. */
export const IDLE = '(idle)';

/** npm packages shown under one name: a library and the helpers it brings. */
const PACKAGE_AREAS: Readonly<Record<string, string>> = {
  xstate: 'XState',
  msgpackr: 'msgpackr',
  'classic-level': 'LevelDB (classic-level)',
  'abstract-level': 'LevelDB (classic-level)',
  'level-transcoder': 'LevelDB (classic-level)',
  'module-error': 'LevelDB (classic-level)',
  'maybe-combine-errors': 'LevelDB (classic-level)',
  ws: 'ws',
  pino: 'pino (logging)',
  'sonic-boom': 'pino (logging)',
  'prom-client': 'prom-client',
};

/** troupe's own folders, named after what they hold. */
const OWN_AREAS: Readonly<Record<string, string>> = {
  runtime: 'troupe runtime',
  protocol: 'troupe protocol (codec, clocks)',
  nodes: 'troupe nodes',
  machines: 'machines',
  bench: 'benchmark app and publisher',
  examples: 'examples',
};

/**
 * The area of one frame, or `null` for a native function without a script (its time
 * belongs to the JavaScript that called it: classic-level's binding to LevelDB, say).
 */
export function areaOf(frame: Runtime.CallFrame): string | null {
  if (frame.functionName === '(garbage collector)') return 'GC';
  if (frame.functionName === '(program)') return 'native outside JavaScript (V8, libuv)';
  if (frame.functionName === IDLE) return IDLE;
  const url = frame.url;
  if (url === '') return null;
  if (url.startsWith('node:')) return 'Node.js core';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return PACKAGE_AREAS[pkg[1]] ?? pkg[1];
  const own = /\/(runtime|protocol|nodes|machines|bench|examples)\/[^/]*(?:\/[^/]*)?$/.exec(url);
  if (own) return OWN_AREAS[own[1]];
  return 'other';
}

/** Self time (µs) per profile node id; each sample counts the time up to the next one. */
export function selfTimes(profile: Profiler.Profile): Map<number, number> {
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    at += deltas[i] ?? 0;
    const next = i + 1 < samples.length ? at + (deltas[i + 1] ?? 0) : profile.endTime;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + Math.max(0, next - at));
  }
  return selfUs;
}

/** Sums self time per area and per function. */
export function summarizeProfile(profile: Profiler.Profile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const selfUs = selfTimes(profile);

  // A native function without a script counts to the nearest caller that has one.
  const ownerOf = (id: number): { frame: Runtime.CallFrame; area: string } | null => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      const area = frame ? areaOf(frame) : null;
      if (frame && area !== null) return { frame, area };
    }
    return null;
  };
  const areaUs = new Map<string, number>();
  const functionUs = new Map<string, { name: string; where: string; area: string; us: number }>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    const owner = ownerOf(id);
    if (!frame || owner?.area === IDLE) continue;
    const area = owner?.area ?? 'native';
    busyUs += us;
    areaUs.set(area, (areaUs.get(area) ?? 0) + us);
    const native = owner !== null && owner.frame !== frame;
    const name = frame.functionName || (native ? '(native)' : '(anonymous)');
    const where = native ? `in ${owner.frame.functionName || '(anonymous)'} ${placeOf(owner.frame)}` : placeOf(frame);
    const key = `${name}@${where}`;
    const entry = functionUs.get(key) ?? { name, where, area, us: 0 };
    entry.us += us;
    functionUs.set(key, entry);
  }
  const share = (us: number): number => (busyUs > 0 ? us / busyUs : 0);
  return {
    spanMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    areas: [...areaUs]
      .map(([name, us]) => ({ name, ms: us / 1000, share: share(us) }))
      .sort((a, b) => b.ms - a.ms),
    functions: [...functionUs.values()]
      .map((f) => ({ name: f.name, where: f.where, area: f.area, ms: f.us / 1000, share: share(f.us) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

/** `file.js:12` for a frame with a script, `''` for one without. */
export function placeOf(frame: Runtime.CallFrame): string {
  return frame.url === '' ? '' : `${basename(frame.url)}:${frame.lineNumber + 1}`;
}

/** Areas below this share of the busy time are left out of the rendered table. */
const MIN_AREA_SHARE = 0.001;

const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

/** The summary as Markdown: a heading, the busy time, the areas and the top functions. */
export function renderProfileSummary(title: string, summary: ProfileSummary): string {
  const lines = [
    `### ${title}`,
    '',
    `Busy ${summary.busyMs.toFixed(0)} ms of ${summary.spanMs.toFixed(0)} ms profiled (${percent(summary.spanMs > 0 ? summary.busyMs / summary.spanMs : 0)} of one core on the main thread).`,
    '',
    '| area | self time | share |',
    '| --- | ---: | ---: |',
    // Packages loaded at start-up show up with a sample or two: noise in this table.
    ...summary.areas.filter((a) => a.share >= MIN_AREA_SHARE).map((a) => `| ${a.name} | ${a.ms.toFixed(0)} ms | ${percent(a.share)} |`),
    '',
    '| function | where | area | self time | share |',
    '| --- | --- | --- | ---: | ---: |',
    ...summary.functions.map((f) => `| \`${f.name}\` | ${f.where} | ${f.area} | ${f.ms.toFixed(0)} ms | ${percent(f.share)} |`),
  ];
  return lines.join('\n') + '\n';
}
