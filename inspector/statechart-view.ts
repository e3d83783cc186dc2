/**
 * Draws a laid-out statechart (`/app`'s {@link Chart}) as SVG: a rounded box per state,
 * compound states around their children with the name on top, final states with a double
 * border, an initial dot beside each initial state, transitions as polylines with
 * arrowheads and their event labels. The active states of a value are highlighted.
 */
import { s, svgCanvas } from './dom.js';
import type { Chart, ChartState } from './feed.js';
import { activePaths } from './state-value.js';

const PAD = 16;

/** A statechart with the states of `value` highlighted; `scale` shrinks it for small cards. */
export function statechartView(chart: Chart, value: unknown, testId: string, scale = 1): SVGSVGElement {
  const active = new Set(activePaths(value));
  const width = chart.width + 2 * PAD;
  const height = chart.height + 2 * PAD;
  const svg = svgCanvas(Math.ceil(width * scale), Math.ceil(height * scale), { class: 'statechart', 'data-testid': testId });
  svg.setAttribute('viewBox', `${-PAD} ${-PAD} ${width} ${height}`);
  const byDepth = [...chart.states].sort((a, b) => a.path.length - b.path.length);
  for (const state of byDepth) if (state.path.length > 0) svg.append(stateBox(state, active.has(state.path.join('.'))));
  for (const t of chart.transitions) {
    if (t.points.length < 2) continue;
    const points = t.points.map((p) => `${p.x},${p.y}`).join(' ');
    svg.append(
      s('g', { class: 'transition', 'data-source': t.source, 'data-target': t.target },
        s('polyline', { points, 'marker-end': 'url(#arrow)' }),
        s('text', { x: t.labelX, y: t.labelY, class: 'transition-label', 'dominant-baseline': 'hanging' }, t.label)),
    );
  }
  for (const state of chart.states) if (state.initial && state.path.length > 0) svg.append(initialMark(state));
  return svg;
}

function stateBox(state: ChartState, active: boolean): SVGGElement {
  const compound = state.type === 'compound' || state.type === 'parallel';
  const cls = ['state', `state-${state.type}`, active ? 'active' : ''].filter(Boolean).join(' ');
  const g = s('g', { class: cls, 'data-testid': `chart-state-${state.path.join('.')}`, 'data-state': state.path.join('.'), 'data-active': active ? 'true' : 'false' });
  if (state.type === 'history') {
    const r = Math.min(state.width, state.height) / 2;
    g.append(s('circle', { cx: state.x + state.width / 2, cy: state.y + state.height / 2, r }),
      s('text', { x: state.x + state.width / 2, y: state.y + state.height / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, 'H'));
    return g;
  }
  g.append(s('rect', { x: state.x, y: state.y, width: state.width, height: state.height, rx: 8 }));
  if (state.type === 'final') g.append(s('rect', { x: state.x + 3, y: state.y + 3, width: state.width - 6, height: state.height - 6, rx: 6, class: 'inner' }));
  if (compound) {
    g.append(s('text', { x: state.x + 8, y: state.y + 15, class: 'state-label' }, state.label));
    if (state.type === 'parallel') g.append(s('text', { x: state.x + state.width - 8, y: state.y + 15, class: 'state-kind', 'text-anchor': 'end' }, 'parallel'));
  } else {
    g.append(s('text', { x: state.x + state.width / 2, y: state.y + state.height / 2, class: 'state-label', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, state.label));
  }
  return g;
}

function initialMark(state: ChartState): SVGGElement {
  const y = state.y + Math.min(state.height / 2, 16);
  return s('g', { class: 'initial' },
    s('circle', { cx: state.x - 22, cy: y, r: 4 }),
    s('line', { x1: state.x - 18, y1: y, x2: state.x - 1, y2: y, 'marker-end': 'url(#arrow)' }));
}
