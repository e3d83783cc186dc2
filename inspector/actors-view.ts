/**
 * The Actors page: every actor on every node, each with its statechart (the service's
 * chart from `/app`) and its current state highlighted, its context, its pending `after`
 * timers with a live countdown, and, while it is not finished, what would unblock it: the
 * event types it accepts and which services on which nodes emit them.
 */
import { h, pretty } from './dom.js';
import type { ActorDetail, AppInfo } from './feed.js';
import { formatStateValue } from './state-value.js';
import { statechartView } from './statechart-view.js';
import { unblockers } from './unblock.js';
import { mergeEventTypes } from './choreography-layout.js';
import type { ViewContext } from './view-context.js';

/** Actors drawn at once; a filter narrows the rest. */
const MAX_SHOWN = 60;
/** Width a chart is shrunk to fit in a card. */
const CHART_WIDTH = 520;

/** The filter box; built once per visit so typing survives redraws. */
export function actorsControls(ctx: ViewContext): HTMLElement {
  const filterOnInput = (event: Event): void => {
    ctx.ui.actorFilter = (event.target as HTMLInputElement).value;
    ctx.redraw();
  };
  return h('div', { class: 'controls' },
    h('input', { type: 'search', placeholder: 'filter: node, service, key or state', value: ctx.ui.actorFilter, oninput: filterOnInput, 'data-testid': 'actor-filter' }));
}

/** The Actors page's body. */
export function actorsView(ctx: ViewContext): HTMLElement {
  const app = ctx.model.app;
  const emitters = new Map(app ? mergeEventTypes(app, ctx.model.revealedEmitters()).map((t) => [t.type, t.emittedBy]) : []);
  const filter = ctx.ui.actorFilter.trim().toLowerCase();
  const all = ctx.model.nodeIds().flatMap((node) => (ctx.model.node(node)?.actors ?? []).map((actor) => ({ node, actor })));
  const shown = all.filter(({ node, actor }) => filter === '' || `${node} ${actor.service} ${actor.key ?? ''} ${formatStateValue(actor.state)}`.toLowerCase().includes(filter));
  return h('section', { class: 'page actors', 'data-testid': 'page-actors' },
    h('p', { class: 'muted' }, `${shown.length} of ${all.length} actors`, shown.length > MAX_SHOWN ? `; showing the first ${MAX_SHOWN}` : ''),
    h('div', { class: 'cards' }, shown.slice(0, MAX_SHOWN).map(({ node, actor }) => actorCard(ctx, app, emitters, node, actor))));
}

function actorCard(ctx: ViewContext, app: AppInfo | undefined, emitters: ReadonlyMap<string, readonly string[]>, node: string, actor: ActorDetail): HTMLElement {
  const id = `${node}-${actor.service}-${actor.key ?? ''}`;
  const chart = app?.services.find((s) => s.name === actor.service)?.chart;
  const scale = chart === undefined ? 1 : Math.min(1, CHART_WIDTH / (chart.width + 32));
  const unblock = app === undefined ? [] : unblockers(actor, app, emitters);
  return h('article', { class: `card actor status-${actor.status}`, 'data-testid': `actor-${id}` },
    h('header', {},
      h('span', { class: 'tag' }, node), ' ', h('b', {}, actor.service), actor.key !== null ? h('span', { class: 'key' }, `[${actor.key}]`) : null,
      h('span', { class: 'state-value', 'data-testid': `actor-state-${id}` }, formatStateValue(actor.state)),
      h('span', { class: `badge ${actor.status === 'active' ? 'up' : actor.status === 'done' ? 'done' : 'cut'}` }, actor.status)),
    chart !== undefined ? statechartView(chart, actor.state, `chart-${id}`, scale) : h('p', { class: 'muted' }, 'No chart for this service in /app.'),
    actor.timers.length > 0 && h('div', { class: 'timers' }, h('h4', {}, 'Pending timers'),
      h('ul', {}, actor.timers.map((t) => h('li', { 'data-testid': `timer-${id}-${t.event}` }, h('code', {}, t.event), ' fires in ', h('span', { class: 'countdown', 'data-due': t.due }, ''))))),
    unblock.length > 0 && h('div', { class: 'unblock', 'data-testid': `unblock-${id}` }, h('h4', {}, 'Would move on'),
      h('ul', {}, unblock.map((u) => h('li', {}, h('code', {}, u.type), ' ',
        u.emitters.length > 0
          ? h('span', { class: 'muted' }, 'emitted by ', u.emitters.map((e) => `${e.service} (${e.nodes.join(', ') || 'no node'})`).join(', '))
          : h('span', { class: 'muted' }, 'emitted by no service: it comes from outside (POST /events)'))))),
    h('div', { class: 'context' }, h('h4', {}, 'Context'), h('pre', { 'data-testid': `actor-context-${id}` }, pretty(actor.context))));
}
