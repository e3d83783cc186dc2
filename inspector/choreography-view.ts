/**
 * The Choreography page: the map laid out by `choreography-layout.ts` (services as boxes
 * with the nodes they run on, event types as labelled arrows from emitter to consumer),
 * flagged types drawn dashed in amber, and the same map as a table.
 */
import { layoutChoreography, type ChoreoArrow, type ChoreoBox } from './choreography-layout.js';
import { h, s, svgCanvas } from './dom.js';
import type { ViewContext } from './view-context.js';

/** The Choreography page. */
export function choreographyView(ctx: ViewContext): HTMLElement {
  const app = ctx.model.app;
  if (app === undefined) return h('section', { class: 'page' }, h('p', { class: 'muted' }, 'Waiting for /app …'));
  const map = layoutChoreography(app, ctx.model.revealedEmitters());
  const svg = svgCanvas(map.width, map.height, { class: 'choreography', 'data-testid': 'choreography' });
  for (const arrow of map.arrows) svg.append(arrowPath(arrow));
  for (const box of map.boxes) svg.append(boxMark(box));
  for (const arrow of map.arrows) svg.append(arrowLabel(arrow));
  const rows = map.types.map((t) => h('tr', { 'data-testid': `choreo-type-${t.type}`, 'data-flags': t.flags.join(' ') },
    h('td', {}, h('code', {}, t.type)),
    h('td', {}, t.emittedBy.length > 0 ? t.emittedBy.map((e) => (t.revealedBy.includes(e) ? `${e} (seen in the log)` : e)).join(', ') : h('span', { class: 'muted' }, 'outside')),
    h('td', {}, t.consumedBy.join(', ') || h('span', { class: 'muted' }, 'nobody')),
    h('td', {}, t.flags.map((f) => h('span', { class: 'badge flag' }, f)))));
  return h('section', { class: 'page choreography', 'data-testid': 'page-choreography' },
    h('div', { class: 'card scroll-x' }, svg),
    h('div', { class: 'card' }, h('h3', {}, 'Event types'),
      h('table', { class: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, 'type'), h('th', {}, 'emitted by'), h('th', {}, 'consumed by'), h('th', {}, 'flags'))),
        h('tbody', {}, rows))));
}

function arrowPath(a: ChoreoArrow): SVGPathElement {
  const [x0, y0, x1, y1, x2, y2, x3, y3] = a.curve;
  const flagged = a.flags.length > 0;
  return s('path', {
    d: `M${x0},${y0} C${x1},${y1} ${x2},${y2} ${x3},${y3}`,
    class: `choreo-arrow${flagged ? ' flagged' : ''}${a.revealed ? ' revealed' : ''}`,
    'marker-end': flagged ? 'url(#arrow-warn)' : 'url(#arrow)',
    'data-testid': `choreo-arrow-${a.type}-${a.from}-${a.to}`,
  });
}

function arrowLabel(a: ChoreoArrow): SVGGElement {
  const flagged = a.flags.length > 0;
  const text = `${flagged ? '⚠ ' : ''}${a.type}`;
  const width = text.length * 7 + 10;
  return s('g', { class: `choreo-label${flagged ? ' flagged' : ''}` },
    s('title', {}, `${a.type}: ${a.from} → ${a.to}${flagged ? ` (${a.flags.join(', ')})` : ''}${a.revealed ? ' — emitter seen in the log' : ''}`),
    s('rect', { x: a.labelX - width / 2, y: a.labelY - 9, width, height: 18, rx: 4 }),
    s('text', { x: a.labelX, y: a.labelY, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, text));
}

function boxMark(box: ChoreoBox): SVGGElement {
  const label = box.kind === 'outside' ? 'outside' : box.kind === 'nobody' ? 'no consumer' : box.id;
  const sub = box.kind === 'outside' ? 'POST /events' : box.nodes.length > 0 ? `on ${box.nodes.join(', ')}` : '';
  return s('g', { class: `choreo-box ${box.kind}`, 'data-testid': `choreo-box-${box.id}` },
    s('rect', { x: box.x, y: box.y, width: box.width, height: box.height, rx: 8 }),
    s('text', { x: box.x + box.width / 2, y: box.y + (sub !== '' ? 20 : box.height / 2), 'text-anchor': 'middle', 'dominant-baseline': 'central', class: 'box-label' }, label),
    sub !== '' && s('text', { x: box.x + box.width / 2, y: box.y + 38, 'text-anchor': 'middle', 'dominant-baseline': 'central', class: 'box-nodes' }, sub));
}
