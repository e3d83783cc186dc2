/**
 * Draws `bench/results.svg`: horizontal bars on log scales (the systems differ by orders
 * of magnitude), one panel for throughput and one for latency at each fixed load, and,
 * when the soak ran, its disk bytes over time (lines on linear scales). Plain hand-built
 * SVG: no dependency, readable in any browser and on GitHub.
 */
import type { FigureSet } from './figure.js';
import { formatValue } from './results-report.js';
import { formatCount } from './progress.js';
import { soakWindows } from './soak.js';
import type { SuitePlan } from './suite-plan.js';

type System = 'ceiling' | 'moleculer' | 'troupe';

interface Bar {
  readonly label: string;
  readonly system: System;
  readonly value: number | null;
  /** A second, lighter bar drawn behind (p99 behind p50). */
  readonly behind?: number | null;
}

interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly bars: readonly Bar[];
}

const COLOURS: Record<System, { main: string; light: string }> = {
  ceiling: { main: '#8a8f98', light: '#cdd0d5' },
  moleculer: { main: '#d9822b', light: '#f2c9a0' },
  troupe: { main: '#2b6cb0', light: '#a9c6e8' },
};

const WIDTH = 960;
const LABEL_WIDTH = 300;
const VALUE_WIDTH = 130;
const ROW = 22;
const PANEL_HEADER = 44;
const PANEL_GAP = 24;

/** Text made safe for an SVG element's content. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function drawPanel(panel: Panel, top: number): { svg: string; height: number } {
  const values = panel.bars.flatMap((b) => [b.value, b.behind ?? null]).filter((v): v is number => v !== null && v > 0);
  const height = PANEL_HEADER + panel.bars.length * ROW + 24;
  const parts = [`<text x="12" y="${top + 22}" class="title">${escapeXml(panel.title)}</text>`];
  if (values.length === 0) {
    parts.push(`<text x="${LABEL_WIDTH}" y="${top + 44}" class="label">not measured</text>`);
    return { svg: parts.join('\n'), height };
  }
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values))));
  const plotLeft = LABEL_WIDTH;
  const plotWidth = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const x = (v: number): number => Math.round((plotLeft + ((Math.log10(v) - lo) / (hi - lo)) * plotWidth) * 10) / 10;
  const barsTop = top + PANEL_HEADER;
  const barsBottom = barsTop + panel.bars.length * ROW;
  for (let p = lo; p <= hi; p++) {
    const gx = x(10 ** p);
    parts.push(`<line x1="${gx}" y1="${barsTop - 6}" x2="${gx}" y2="${barsBottom}" class="grid"/>`);
    const tick = p >= 0 ? formatCount(10 ** p) : (10 ** p).toFixed(-p);
    parts.push(`<text x="${gx}" y="${barsBottom + 14}" class="tick">${escapeXml(tick)}</text>`);
  }
  panel.bars.forEach((bar, i) => {
    const y = barsTop + i * ROW;
    const colour = COLOURS[bar.system];
    parts.push(`<text x="${plotLeft - 8}" y="${y + 14}" class="label" text-anchor="end">${escapeXml(bar.label)}</text>`);
    if (bar.behind != null && bar.behind > 0) {
      parts.push(`<rect x="${plotLeft}" y="${y + 3}" width="${Math.max(1, Math.round((x(bar.behind) - plotLeft) * 10) / 10)}" height="${ROW - 6}" fill="${colour.light}"/>`);
    }
    if (bar.value !== null && bar.value > 0) {
      parts.push(`<rect x="${plotLeft}" y="${y + 3}" width="${Math.max(1, Math.round((x(bar.value) - plotLeft) * 10) / 10)}" height="${ROW - 6}" fill="${colour.main}"/>`);
    }
    const text =
      bar.value === null ? 'not measured' : bar.behind != null ? `${formatValue(bar.value, panel.unit)} / ${formatValue(bar.behind, panel.unit)}` : formatValue(bar.value, panel.unit);
    const end = Math.max(bar.value ?? 0, bar.behind ?? 0);
    parts.push(`<text x="${end > 0 ? x(end) + 6 : plotLeft + 6}" y="${y + 14}" class="value">${escapeXml(text)} ${escapeXml(panel.unit)}</text>`);
  });
  return { svg: parts.join('\n'), height };
}

/** One line of a line panel: its points (x, y) in order. */
interface Line {
  readonly label: string;
  readonly colour: string;
  readonly points: readonly (readonly [number, number])[];
}

const LINE_PANEL_HEIGHT = 200;

/** A panel of lines on linear scales from 0, with a legend under it. */
function drawLines(title: string, xUnit: string, yUnit: string, lines: readonly Line[], top: number): { svg: string; height: number } {
  const points = lines.flatMap((l) => l.points);
  const height = PANEL_HEADER + LINE_PANEL_HEIGHT + 40;
  const parts = [`<text x="12" y="${top + 22}" class="title">${escapeXml(title)}</text>`];
  if (points.length === 0) return { svg: parts.join('\n'), height };
  const xMax = Math.max(...points.map(([x]) => x)) || 1;
  const yMax = Math.max(...points.map(([, y]) => y)) * 1.1 || 1;
  const left = 80;
  const right = WIDTH - 40;
  const plotTop = top + PANEL_HEADER;
  const bottom = plotTop + LINE_PANEL_HEIGHT;
  const x = (v: number): number => Math.round((left + (v / xMax) * (right - left)) * 10) / 10;
  const y = (v: number): number => Math.round((bottom - (v / yMax) * LINE_PANEL_HEIGHT) * 10) / 10;
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${right}" y2="${y(v)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" class="tick" text-anchor="end">${escapeXml(formatValue(v, yUnit))}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const v = (xMax * i) / 4;
    parts.push(`<text x="${x(v)}" y="${bottom + 14}" class="tick">${escapeXml(v.toFixed(0))} ${escapeXml(xUnit)}</text>`);
  }
  lines.forEach((line, i) => {
    const path = line.points.map(([px, py]) => `${x(px)},${y(py)}`).join(' ');
    parts.push(`<polyline points="${path}" fill="none" stroke="${line.colour}" stroke-width="2"/>`);
    const lx = left + i * 240;
    parts.push(`<rect x="${lx}" y="${bottom + 24}" width="14" height="4" fill="${line.colour}"/>`);
    parts.push(`<text x="${lx + 20}" y="${bottom + 30}" class="label">${escapeXml(line.label)}</text>`);
  });
  return { svg: parts.join('\n'), height };
}

/** The soak's disk over time, one line per node, from the start of its first window. */
function soakLines(soak: FigureSet): Line[] {
  const windows = soak['soak.windows']?.value;
  if (windows == null) return [];
  const ids = soakWindows(windows);
  const series = (node: string): [number, number][] => [
    [0, 0],
    ...ids.flatMap((id): [number, number][] => {
      const at = soak[`soak.${id}.at`]?.value;
      const mb = soak[`soak.${id}.${node}Mb`]?.value;
      return at == null || mb == null ? [] : [[at, mb]];
    }),
  ];
  return [
    { label: 'n1 (publishes)', colour: COLOURS.troupe.main, points: series('n1') },
    { label: 'rx (replica, sink)', colour: COLOURS.moleculer.main, points: series('rx') },
  ];
}

/** The chart for one run's figures; `soak` adds its disk-over-time panel. */
export function renderChart(plan: SuitePlan, sets: { readonly ceiling: FigureSet; readonly moleculer: FigureSet; readonly troupe: FigureSet }, soak: FigureSet = {}): string {
  const { ceiling: c, moleculer: m, troupe: t } = sets;
  const v = (set: FigureSet, id: string): number | null => set[id]?.value ?? null;
  const panels: Panel[] = [
    {
      title: 'Throughput: events/s handled (log scale, higher is better)',
      unit: 'events/s',
      bars: [
        { label: 'ceiling: ws + msgpackr, batched', system: 'ceiling', value: v(c, 'batch.throughput') },
        { label: 'ceiling: ws + msgpackr, 1 per message', system: 'ceiling', value: v(c, 'frame.throughput') },
        { label: 'ceiling: HTTP POST per event', system: 'ceiling', value: v(c, 'post.throughput') },
        { label: 'Moleculer emit, 2 processes', system: 'moleculer', value: v(m, 'emit.throughput') },
        { label: 'troupe 1 node durable, in-process', system: 'troupe', value: v(t, '1.durable.embedded.throughput') },
        { label: 'troupe 2 nodes durable, in-process', system: 'troupe', value: v(t, '2.durable.embedded.throughput') },
        { label: 'troupe 2 nodes relaxed, in-process', system: 'troupe', value: v(t, '2.relaxed.embedded.throughput') },
        { label: 'troupe 2 nodes durable, HTTP POST', system: 'troupe', value: v(t, '2.durable.http.throughput') },
        ...plan.clusterSizes.map((n): Bar => ({ label: `troupe ${n} nodes durable, in-process`, system: 'troupe', value: v(t, `${n}.throughput`) })),
      ],
    },
    ...plan.latencyRates.map(
      (rate): Panel => ({
        title: `Publish-to-handler latency at ${formatCount(rate)} events/s offered: p50 (dark) / p99 (light), log scale, lower is better`,
        unit: 'ms',
        bars: [
          { label: 'ceiling: ws + msgpackr, 1 per message', system: 'ceiling', value: v(c, `frame.latency.${rate}.p50`), behind: v(c, `frame.latency.${rate}.p99`) },
          { label: 'Moleculer emit', system: 'moleculer', value: v(m, `emit.latency.${rate}.p50`), behind: v(m, `emit.latency.${rate}.p99`) },
          { label: 'ceiling: HTTP POST per event', system: 'ceiling', value: v(c, `post.latency.${rate}.p50`), behind: v(c, `post.latency.${rate}.p99`) },
          { label: 'troupe 2 nodes durable, in-process', system: 'troupe', value: v(t, `2.durable.embedded.latency.${rate}.p50`), behind: v(t, `2.durable.embedded.latency.${rate}.p99`) },
          { label: 'troupe 2 nodes relaxed, in-process', system: 'troupe', value: v(t, `2.relaxed.embedded.latency.${rate}.p50`), behind: v(t, `2.relaxed.embedded.latency.${rate}.p99`) },
          { label: 'troupe 2 nodes durable, HTTP POST', system: 'troupe', value: v(t, `2.durable.http.latency.${rate}.p50`), behind: v(t, `2.durable.http.latency.${rate}.p99`) },
        ],
      }),
    ),
  ];
  let top = 8;
  const body: string[] = [];
  for (const panel of panels) {
    const drawn = drawPanel(panel, top);
    body.push(drawn.svg);
    top += drawn.height + PANEL_GAP;
  }
  const disk = soakLines(soak);
  if (disk.length > 0) {
    const policy = formatCount(soak['soak.retainEvents']?.value ?? 0);
    const drawn = drawLines(`Soak, 2 nodes with --retain-events ${policy}: disk (MB) over time, to 10× the policy`, 's', 'MB', disk, top);
    body.push(drawn.svg);
    top += drawn.height + PANEL_GAP;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
.title { font-size: 14px; font-weight: 600; fill: #1a202c; }
.label { font-size: 12px; fill: #2d3748; }
.value { font-size: 11px; fill: #2d3748; }
.tick { font-size: 10px; fill: #718096; text-anchor: middle; }
.grid { stroke: #e2e8f0; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
${body.join('\n')}
</svg>
`;
}
