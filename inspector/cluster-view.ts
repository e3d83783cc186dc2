/**
 * The Cluster page: the graph of nodes and links, the link table, the node table (with the
 * second processes refused for using a live node's id, when there are any), each node's
 * causal hold-back queue (every held-back event with the predecessors it waits for) and its
 * dead letters with a replay button.
 */
import { h, timeOfDay } from './dom.js';
import type { NodeView } from './cluster-model.js';
import type { DuplicateIdView } from './feed.js';
import { linkTable, topologyGraph } from './topology-view.js';
import { act, type ViewContext } from './view-context.js';

/** The Cluster page. */
export function clusterView(ctx: ViewContext): HTMLElement {
  const nodes = ctx.model.nodeIds().map((id) => ctx.model.node(id)!);
  const duplicates = ctx.model.duplicates();
  return h('section', { class: 'page cluster', 'data-testid': 'page-cluster' },
    h('h2', {}, 'Cluster'),
    h('div', { class: 'cluster-top' },
      h('div', { class: 'card' }, topologyGraph(ctx), legend()),
      h('div', { class: 'card grow' }, h('h3', {}, 'Links'), linkTable(ctx), h('h3', {}, 'Nodes'), nodeTable(nodes, duplicates),
        duplicates.length > 0 ? duplicateList(duplicates) : null)),
    h('div', { class: 'row' },
      h('div', { class: 'card grow' }, h('h3', {}, 'Causal hold-back queue'), heldBackList(ctx, nodes)),
      h('div', { class: 'card grow' }, h('h3', {}, 'Dead letters'), deadLetterList(ctx, nodes))));
}

function legend(): HTMLElement {
  return h('div', { class: 'legend' },
    h('span', { class: 'badge up' }, 'up'), h('span', { class: 'badge reconnecting' }, 'reconnecting'), h('span', { class: 'badge cut' }, 'cut'),
    h('span', { class: 'muted' }, 'one stroke per direction; numbers are outbox depths'));
}

function nodeTable(nodes: readonly NodeView[], duplicates: readonly DuplicateIdView[]): HTMLTableElement {
  const duplicated = new Set(duplicates.map((d) => d.node));
  return h('table', { class: 'grid' },
    h('thead', {}, h('tr', {}, h('th', {}, 'node'), h('th', {}, 'feed'), h('th', {}, 'services'), h('th', { class: 'num' }, 'log'), h('th', { class: 'num' }, 'held back'), h('th', {}, 'clock'))),
    h('tbody', {}, nodes.map((n) => h('tr', { 'data-testid': `node-row-${n.id}` },
      h('td', {}, h('b', {}, n.id), n.status?.chaos ? h('span', { class: 'tag' }, 'chaos') : null, n.status?.recovering ? h('span', { class: 'tag warn' }, 'recovering') : null,
        duplicated.has(n.id) ? h('span', { class: 'tag warn', 'data-testid': `node-duplicate-${n.id}` }, 'id used twice') : null),
      h('td', {}, h('span', { class: `badge ${n.reachable ? 'up' : 'down'}`, 'data-testid': `node-feed-${n.id}` }, n.reachable ? 'open' : 'unreachable')),
      h('td', {}, n.status?.services.join(', ') ?? ''),
      h('td', { class: 'num' }, n.status?.log.size.toLocaleString() ?? ''),
      h('td', { class: 'num' }, n.status?.log.buffered.toLocaleString() ?? ''),
      h('td', { class: 'mono' }, n.status ? clockText(n.status.vc) : '')))));
}

/** Each refused second process: whose id it used, who refused it, when last. */
function duplicateList(duplicates: readonly DuplicateIdView[]): HTMLElement {
  return h('div', {},
    h('h3', {}, 'Duplicate node ids'),
    h('ul', { class: 'list', 'data-testid': 'duplicate-list' }, duplicates.map((d) => h('li', { 'data-testid': `duplicate-${d.node}-${d.refusedBy}` },
      h('span', { class: 'tag warn' }, d.node), ' a second process with this id was refused by ', h('b', {}, d.refusedBy), ' ',
      h('span', { class: 'muted' }, `last at ${timeOfDay(d.at)}`)))),
    h('p', { class: 'muted' }, 'Two live processes under one id would fork its events: stop one of them, or give it another id.'));
}

/** A clock in one line: `n1:12 n2:4`. */
export function clockText(vc: Record<string, number>): string {
  return Object.keys(vc).sort().map((k) => `${k}:${vc[k]}`).join(' ');
}

function heldBackList(ctx: ViewContext, nodes: readonly NodeView[]): HTMLElement {
  const items = nodes.flatMap((n) => n.heldBack.map((e) => h('li', { 'data-testid': `held-back-${n.id}-${e.origin}:${e.seq}` },
    h('span', { class: 'tag' }, `at ${n.id}`), ' ',
    h('a', { href: `#/trace/${encodeURIComponent(e.correlationId)}` }, h('b', {}, e.type)), ` ${e.origin}:${e.seq} `,
    h('span', { class: 'wait', 'data-testid': 'held-back-waiting' }, `waiting for ${e.waitingFor.join(', ')}`))));
  return items.length > 0 ? h('ul', { class: 'list', 'data-testid': 'held-back-list' }, items) : h('p', { class: 'muted', 'data-testid': 'held-back-list' }, 'Nothing held back: every event that arrived has been delivered.');
}

function deadLetterList(ctx: ViewContext, nodes: readonly NodeView[]): HTMLElement {
  const items = nodes.flatMap((n) => n.deadLetters.map((d) => {
    const replayOnClick = (): void => void act(ctx, n.id, { op: 'replay', service: d.service, eventId: d.eventId }, `${d.eventId} replayed to ${d.service} on ${n.id}`);
    const event = ctx.model.eventById(d.eventId)?.event;
    return h('li', { 'data-testid': `dead-letter-${n.id}-${d.service}-${d.eventId}` },
      h('span', { class: 'tag' }, `at ${n.id}`), ' ', h('b', {}, d.service), d.key !== '' ? `[${d.key}]` : '', ' ',
      event ? h('a', { href: `#/trace/${encodeURIComponent(event.correlationId)}` }, `${event.type} ${d.eventId}`) : d.eventId, ' ',
      h('span', { class: 'error' }, `${d.error.code}: ${d.error.message}`), ' ', h('span', { class: 'muted' }, timeOfDay(d.at)), ' ',
      h('button', { onclick: replayOnClick, 'data-testid': `replay-${n.id}-${d.eventId}` }, 'replay'));
  }));
  return items.length > 0 ? h('ul', { class: 'list' }, items) : h('p', { class: 'muted' }, 'No dead letters.');
}
