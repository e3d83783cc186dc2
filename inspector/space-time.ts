/**
 * The Space-time page: the log drawn as ShiViz draws vector-clock logs (layout in
 * `space-time-layout.ts`). A dot is filled once every node holds the event and hollow
 * while it waits, with a tooltip naming where. Dragging across the diagram sets a
 * consistent cut; the panel beside it shows every actor's state as of that cut.
 */
import type { MergedEvent } from './cluster-model.js';
import { actorKey, statesAtCut } from './cut-replay.js';
import { h, s, svgCanvas } from './dom.js';
import { cutFrontier, idsAboveRow, inCut, layoutSpaceTime, type SpaceTimeLayout } from './space-time-layout.js';
import { clockText } from './cluster-view.js';
import { formatStateValue } from './state-value.js';
import type { ViewContext } from './view-context.js';

/** The narrowest lane; a lane widens so that its longest label ends before the next lane. */
const MIN_LANE_W = 170;
/** The widest lane: a longer label runs into the next lane rather than the page growing without end. */
const MAX_LANE_W = 360;
/** About the width of one character of an event label (11.5px type, 10.5px mono id). */
const LABEL_CHAR_W = 6.6;
const ROW_H = 28;
const TOP = 56;
const LEFT = 40;
const DOT_R = 6;

/** The correlation filter, the size of the window and the cut's clear button. */
export function spaceTimeControls(ctx: ViewContext): HTMLElement {
  const correlationOnChange = (event: Event): void => {
    ctx.ui.correlation = (event.target as HTMLInputElement).value.trim();
    ctx.ui.cutRow = undefined;
    ctx.redraw();
  };
  const limitOnChange = (event: Event): void => {
    ctx.ui.limit = Number((event.target as HTMLSelectElement).value);
    ctx.ui.cutRow = undefined;
    ctx.redraw();
  };
  const clearOnClick = (): void => {
    ctx.ui.cutRow = undefined;
    ctx.redraw();
  };
  return h('div', { class: 'controls' },
    h('label', {}, 'correlation id ', h('input', { type: 'search', list: 'correlations', value: ctx.ui.correlation, placeholder: 'all workflows', onchange: correlationOnChange, 'data-testid': 'st-correlation' })),
    h('label', {}, 'newest ', h('select', { onchange: limitOnChange, 'data-testid': 'st-limit' },
      [100, 300, 1000].map((n) => h('option', { value: n, selected: n === ctx.ui.limit }, String(n)))), ' events'),
    h('button', { onclick: clearOnClick, 'data-testid': 'st-clear-cut' }, 'clear cut'),
    h('span', { class: 'muted' }, 'Drag across the diagram to set a consistent cut.'));
}

/** The events the page draws: those of the chosen workflow, the newest `limit` in causal order. */
export function shownEvents(ctx: ViewContext): MergedEvent[] {
  const sum = (m: MergedEvent): number => Object.values(m.event.vc).reduce((a, b) => a + b, 0);
  const chosen = ctx.model.events().filter((m) => ctx.ui.correlation === '' || m.event.correlationId === ctx.ui.correlation);
  return chosen.sort((a, b) => sum(a) - sum(b)).slice(-ctx.ui.limit);
}

/** The Space-time page's body. */
export function spaceTimeView(ctx: ViewContext): HTMLElement {
  const events = shownEvents(ctx);
  const layout = layoutSpaceTime(events.map((m) => m.event), ctx.model.nodeIds());
  const diagram = drawDiagram(ctx, events, layout);
  const options = ctx.model.correlations().slice(0, 200).map((c) => h('option', { value: c.id }, `${c.events} events`));
  return h('section', { class: 'page space-time', 'data-testid': 'page-space-time' },
    h('datalist', { id: 'correlations' }, options),
    h('div', { class: 'row' },
      h('div', { class: 'card scroll-x' }, events.length > 0 ? diagram : h('p', { class: 'muted' }, 'No events yet.')),
      h('div', { class: 'card side' }, cutPanel(ctx, events, layout))));
}

function drawDiagram(ctx: ViewContext, events: readonly MergedEvent[], layout: SpaceTimeLayout): SVGSVGElement {
  const laneW = laneWidth(events);
  const width = LEFT + layout.lanes.length * laneW;
  const height = TOP + Math.max(layout.rows, 1) * ROW_H + 20;
  const byStamp = new Map(events.map((m) => [m.stamp, m]));
  const place = new Map(layout.dots.map((d) => [d.id, { x: LEFT + d.lane * laneW + 20, y: TOP + d.row * ROW_H + ROW_H / 2 }]));
  const frontier = ctx.ui.cutRow === undefined ? undefined : cutFrontier(events.filter((m) => idsAboveRow(layout, ctx.ui.cutRow!).has(m.stamp)).map((m) => m.event));
  const svg = svgCanvas(width, height, { class: 'space-time', 'data-testid': 'space-time' });
  layout.lanes.forEach((lane, i) => {
    const x = LEFT + i * laneW + 20;
    svg.append(
      s('text', { x, y: 24, class: 'lane-label', 'text-anchor': 'middle', 'data-testid': `st-lane-${lane}` }, lane),
      s('line', { x1: x, y1: 34, x2: x, y2: height - 8, class: 'lane' }));
  });
  if (frontier !== undefined) {
    const cutY = TOP + ctx.ui.cutRow! * ROW_H;
    svg.append(s('rect', { x: 0, y: 0, width, height: cutY, class: 'cut-region' }));
  }
  for (const arrow of layout.arrows) {
    const a = place.get(arrow.from)!;
    const b = place.get(arrow.to)!;
    const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
    const shorten = (DOT_R + 2) / len;
    svg.append(s('line', {
      x1: a.x + (b.x - a.x) * shorten, y1: a.y + (b.y - a.y) * shorten, x2: b.x - (b.x - a.x) * shorten, y2: b.y - (b.y - a.y) * shorten,
      class: 'causal', 'marker-end': 'url(#arrow-cause)', 'data-testid': `st-arrow-${arrow.from}-${arrow.to}`, 'data-from': arrow.from, 'data-to': arrow.to,
    }));
  }
  for (const dot of layout.dots) {
    const merged = byStamp.get(dot.id)!;
    const { x, y } = place.get(dot.id)!;
    const presence = ctx.model.presence(merged);
    const e = merged.event;
    const inside = frontier !== undefined && inCut(e, frontier);
    const tip = [`${e.type} ${dot.id}`, `clock ${clockText(e.vc)}`, `workflow ${e.correlationId}`, ...(presence.landed ? ['held by every node'] : presence.waits)].join('\n');
    const eventOnClick = (): void => ctx.navigate(`#/trace/${encodeURIComponent(e.correlationId)}`);
    svg.append(s('g', { class: `event ${presence.landed ? 'landed' : 'waiting'}${inside ? ' in-cut' : ''}`, 'data-testid': `st-event-${dot.id}`, 'data-landed': presence.landed ? 'true' : 'false', 'data-type': e.type, onclick: eventOnClick },
      s('title', {}, tip),
      s('circle', { cx: x, cy: y, r: DOT_R }),
      s('text', { x: x + 11, y, class: 'event-label', 'dominant-baseline': 'central' }, `${e.type} `, s('tspan', { class: 'muted' }, dot.id))));
  }
  if (ctx.ui.cutRow !== undefined) {
    const cutY = TOP + ctx.ui.cutRow * ROW_H;
    svg.append(s('line', { x1: 0, y1: cutY, x2: width, y2: cutY, class: 'cut-line', 'data-testid': 'st-cut-line' }));
  }
  enableCutDrag(ctx, svg, width, layout.rows);
  return svg;
}

/** Dragging sets the cut: a line follows the pointer, and on release it snaps between rows. */
/** A lane wide enough for its longest label (type and origin:seq), since origins carry an incarnation. */
function laneWidth(events: readonly MergedEvent[]): number {
  const longest = events.reduce((most, m) => Math.max(most, m.event.type.length + m.stamp.length + 1), 0);
  return Math.min(MAX_LANE_W, Math.max(MIN_LANE_W, Math.ceil(longest * LABEL_CHAR_W) + 40));
}

function enableCutDrag(ctx: ViewContext, svg: SVGSVGElement, width: number, rows: number): void {
  let line: SVGLineElement | undefined;
  const rowAt = (event: PointerEvent): number => {
    const y = event.clientY - svg.getBoundingClientRect().top;
    return Math.max(0, Math.min(rows, Math.round((y - TOP) / ROW_H)));
  };
  const follow = (event: PointerEvent): void => {
    const y = TOP + rowAt(event) * ROW_H;
    line?.setAttribute('y1', String(y));
    line?.setAttribute('y2', String(y));
  };
  const svgOnPointerDown = (event: PointerEvent): void => {
    if ((event.target as Element).closest('.event') !== null) return;
    ctx.ui.dragging = true;
    svg.setPointerCapture(event.pointerId);
    line = s('line', { x1: 0, x2: width, class: 'cut-line dragging' });
    svg.append(line);
    follow(event);
  };
  const svgOnPointerMove = (event: PointerEvent): void => {
    if (line !== undefined) follow(event);
  };
  const svgOnPointerUp = (event: PointerEvent): void => {
    if (line === undefined) return;
    ctx.ui.cutRow = rowAt(event);
    ctx.ui.dragging = false;
    line = undefined;
    ctx.redraw();
  };
  svg.addEventListener('pointerdown', svgOnPointerDown);
  svg.addEventListener('pointermove', svgOnPointerMove);
  svg.addEventListener('pointerup', svgOnPointerUp);
}

function cutPanel(ctx: ViewContext, events: readonly MergedEvent[], layout: SpaceTimeLayout): HTMLElement {
  if (ctx.ui.cutRow === undefined) {
    return h('div', { 'data-testid': 'cut-panel' }, h('h3', {}, 'Consistent cut'),
      h('p', { class: 'muted' }, 'Drag a horizontal line across the diagram. The cut holds every event above it and their causal past; here you then see every actor as it was at that cut.'),
      legend());
  }
  const above = idsAboveRow(layout, ctx.ui.cutRow);
  const frontier = cutFrontier(events.filter((m) => above.has(m.stamp)).map((m) => m.event));
  const states = statesAtCut(ctx.model.feeds(), ctx.model.actors(), frontier);
  return h('div', { 'data-testid': 'cut-panel' }, h('h3', {}, 'Consistent cut'),
    h('p', {}, 'frontier ', h('code', { 'data-testid': 'cut-frontier' }, clockText(frontier) || '(empty)')),
    h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'actor'), h('th', {}, 'state at cut'), h('th', {}, 'now'))),
      h('tbody', {}, states.map((a) => {
        const now = ctx.model.node(a.node)?.actors.find((x) => x.service === a.service && x.key === a.key)?.state;
        const id = actorKey(a.node, a.service, a.key);
        return h('tr', { 'data-testid': `cut-actor-${id}` },
          h('td', {}, h('span', { class: 'tag' }, a.node), ` ${a.service}${a.key !== null ? `[${a.key}]` : ''}`),
          h('td', { class: a.source === 'replayed' ? '' : 'muted', title: a.by ? `last moved by ${a.by}` : a.source === 'before' ? 'not yet moved at the cut' : 'no transition in the feeds' }, formatStateValue(a.state)),
          h('td', { class: 'muted' }, now === undefined ? '' : formatStateValue(now)));
      }))));
}

function legend(): HTMLElement {
  return h('ul', { class: 'legend-list' },
    h('li', {}, h('span', { class: 'dot landed' }), ' held by every node'),
    h('li', {}, h('span', { class: 'dot waiting' }), ' not yet everywhere (hover: where it waits)'),
    h('li', {}, h('span', { class: 'arrow-sample' }), ' happened before (from a direct predecessor on another node)'));
}
