/**
 * The cluster page's graph and link table: nodes on a circle, each link drawn as two
 * strokes (one per direction, as each end sees it) coloured by state: up green,
 * reconnecting amber, cut red. The table lists each direction with its outbox depth,
 * its catch-up progress, and, on a `--chaos` node, buttons to cut and heal it.
 */
import type { LinkView, NodeView } from './cluster-model.js';
import { h, s, svgCanvas, timeOfDay } from './dom.js';
import type { OutboxProgress } from './outbox-progress.js';
import { act, type ViewContext } from './view-context.js';

const SIZE = 400;
const RADIUS = 135;
const NODE_R = 38;

/** Catch-up progress in words: `1,200 left · 400/s · ~3 s`. */
export function progressText(p: OutboxProgress): string {
  if (p.left === 0) return 'empty';
  const parts = [`${p.left.toLocaleString()} left`];
  if (p.rate !== undefined) parts.push(`${Math.round(p.rate).toLocaleString()}/s`);
  if (p.etaMs !== undefined) parts.push(`~${p.etaMs < 60_000 ? `${Math.ceil(p.etaMs / 1000)} s` : `${Math.ceil(p.etaMs / 60_000)} min`}`);
  return parts.join(' · ');
}

/** The graph of nodes and links. */
export function topologyGraph(ctx: ViewContext): SVGSVGElement {
  const ids = ctx.model.nodeIds();
  const centre = SIZE / 2;
  const at = new Map(ids.map((id, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / Math.max(ids.length, 1);
    return [id, ids.length === 1 ? { x: centre, y: centre } : { x: centre + RADIUS * Math.cos(angle), y: centre + RADIUS * Math.sin(angle) }];
  }));
  const svg = svgCanvas(SIZE, SIZE, { class: 'topology', 'data-testid': 'topology' });
  for (const link of ctx.model.links()) {
    const a = at.get(link.from);
    const b = at.get(link.to);
    if (a === undefined || b === undefined) continue;
    svg.append(linkStroke(link, a, b));
  }
  for (const id of ids) svg.append(nodeMark(ctx.model.node(id)!, at.get(id)!));
  return svg;
}

function linkStroke(link: LinkView, a: { x: number; y: number }, b: { x: number; y: number }): SVGGElement {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  // Each direction sits 5 px to its own right, so a→b and b→a are two strokes side by side.
  const ox = (-dy / len) * 5;
  const oy = (dx / len) * 5;
  const x1 = a.x + (dx / len) * NODE_R + ox;
  const y1 = a.y + (dy / len) * NODE_R + oy;
  const x2 = b.x - (dx / len) * NODE_R + ox;
  const y2 = b.y - (dy / len) * NODE_R + oy;
  const lx = a.x + dx * 0.3 + ox * 4;
  const ly = a.y + dy * 0.3 + oy * 4;
  const label = link.progress.left > 0 ? String(link.progress.left) : '';
  return s('g', { class: `link link-${link.state}`, 'data-testid': `topology-link-${link.from}-${link.to}`, 'data-state': link.state },
    s('title', {}, `${link.from} → ${link.to}: ${link.state}, outbox ${progressText(link.progress)}`),
    s('line', { x1, y1, x2, y2 }),
    label !== '' && s('text', { x: lx, y: ly, class: 'link-outbox', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, label));
}

function nodeMark(node: NodeView, p: { x: number; y: number }): SVGGElement {
  const services = node.status?.services.join(', ') ?? '';
  const cls = `node ${node.reachable ? 'reachable' : 'unreachable'}${node.status?.recovering ? ' recovering' : ''}`;
  return s('g', { class: cls, 'data-testid': `topology-node-${node.id}`, 'data-node': node.id },
    s('title', {}, `${node.id}${node.admin ? ` at ${node.admin}` : ''}: ${node.reachable ? 'feed open' : 'unreachable'}`),
    s('circle', { cx: p.x, cy: p.y, r: NODE_R }),
    s('text', { x: p.x, y: p.y - 6, class: 'node-id', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, node.id),
    s('text', { x: p.x, y: p.y + 12, class: 'node-sub', 'text-anchor': 'middle', 'dominant-baseline': 'central' },
      node.status ? `log ${node.status.log.size.toLocaleString()}` : node.reachable ? '' : 'unreachable'),
    services !== '' && s('text', { x: p.x, y: p.y + NODE_R + 14, class: 'node-services', 'text-anchor': 'middle' }, services));
}

/** The table of link directions, with cut and heal buttons where the node allows them. */
export function linkTable(ctx: ViewContext): HTMLTableElement {
  const rows = ctx.model.links().map((link) => {
    const id = `${link.from}-${link.to}`;
    return h('tr', { 'data-testid': `link-row-${id}` },
      h('td', {}, h('b', {}, link.from), ' → ', h('b', {}, link.to)),
      h('td', {}, h('span', { class: `badge ${link.state}`, 'data-testid': `link-state-${id}` }, link.state),
        link.since > 0 && h('span', { class: 'muted small' }, ` since ${timeOfDay(link.since)}`)),
      h('td', { class: 'num', 'data-testid': `link-outbox-${id}` }, link.progress.left.toLocaleString()),
      h('td', { 'data-testid': `link-progress-${id}` }, link.state === 'up' && link.progress.left > 0 ? `catching up: ${progressText(link.progress)}` : link.progress.left > 0 ? 'waiting for the link' : ''),
      h('td', { class: 'actions' }, link.chaos && chaosButtons(ctx, link, id)));
  });
  return h('table', { class: 'grid links', 'data-testid': 'link-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'link'), h('th', {}, 'state'), h('th', { class: 'num' }, 'outbox'), h('th', {}, 'catch-up'), h('th', {}, ''))),
    h('tbody', {}, rows.length > 0 ? rows : h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'No links reported yet.'))));
}

function chaosButtons(ctx: ViewContext, link: LinkView, id: string): HTMLElement[] {
  const cutOnClick = (): void => void act(ctx, link.from, { op: 'cut', peer: link.to }, `${link.from} cut its link to ${link.to}`);
  const healOnClick = (): void => void act(ctx, link.from, { op: 'heal', peer: link.to }, `${link.from} healed its link to ${link.to}`);
  return [
    h('button', { class: 'danger', 'data-testid': `link-cut-${id}`, disabled: link.state === 'cut', onclick: cutOnClick, title: `${link.from} cuts its link to ${link.to}` }, 'cut'),
    h('button', { 'data-testid': `link-heal-${id}`, disabled: link.state !== 'cut', onclick: healOnClick, title: `${link.from} heals its link to ${link.to}` }, 'heal'),
  ];
}
