/**
 * The Workflow page (`#/trace/<correlationId>`): one workflow as the serving node's
 * `/workflow/:correlationId` tells it — its events in causal order with node, clock,
 * cause and the transitions each caused, and what is still pending, in words, with a
 * replay button for a dead letter. It refetches when any feed shows a new event of it.
 */
import { authHeaders } from './admin-token.js';
import { clockText } from './cluster-view.js';
import { h, timeOfDay } from './dom.js';
import { nodeOf } from './event-origin.js';
import type { FeedEvent, PendingItem, Transition, WorkflowView } from './feed.js';
import { formatStateValue } from './state-value.js';
import { act, type ViewContext } from './view-context.js';

/** Fetches `/workflow/:id` and keeps the answer; refetches when the feeds show more of it. */
export class WorkflowLoader {
  id = '';
  view?: WorkflowView;
  error?: string;
  private seen = '';
  private inFlight = false;

  /** Fetches when the id changed or the feeds show more of it: a new event, a copy on another node, a dead letter. */
  refresh(ctx: ViewContext, id: string): void {
    const count = progressMark(ctx, id);
    if (id === this.id && count === this.seen) return;
    if (id !== this.id) {
      this.view = undefined;
      this.error = undefined;
    }
    if (this.inFlight) return;
    this.id = id;
    this.seen = count;
    this.inFlight = true;
    void this.load(ctx, id);
  }

  private async load(ctx: ViewContext, id: string): Promise<void> {
    try {
      const response = await fetch(`/workflow/${encodeURIComponent(id)}`, { headers: authHeaders() });
      const body = (await response.json()) as WorkflowView | { error: { code: string; message: string } };
      if ('error' in body) this.error = `${body.error.code}: ${body.error.message}`;
      else if (id === this.id) [this.view, this.error] = [body, undefined];
    } catch (cause) {
      this.error = `could not fetch /workflow/${id}: ${String(cause)}`;
    } finally {
      this.inFlight = false;
      ctx.redraw();
    }
  }
}

/** What the feeds show of a workflow, as a mark that changes when any of it does. */
function progressMark(ctx: ViewContext, id: string): string {
  let copies = 0;
  for (const m of ctx.model.events()) if (m.event.correlationId === id) copies += m.byNode.size;
  let waiting = 0;
  for (const node of ctx.model.nodeIds()) {
    const n = ctx.model.node(node)!;
    waiting += n.heldBack.filter((e) => e.correlationId === id).length + n.deadLetters.length;
  }
  return `${copies}/${waiting}`;
}

/** The id box and recent workflows; built once per visit. */
export function workflowControls(ctx: ViewContext, current: string): HTMLElement {
  const idOnChange = (event: Event): void => {
    const id = (event.target as HTMLInputElement).value.trim();
    if (id !== '') ctx.navigate(`#/trace/${encodeURIComponent(id)}`);
  };
  return h('div', { class: 'controls' },
    h('label', {}, 'correlation id ', h('input', { type: 'search', list: 'correlations', value: current, placeholder: 'an order id or correlation id', onchange: idOnChange, 'data-testid': 'workflow-id' })));
}

/** The Workflow page's body. */
export function workflowView(ctx: ViewContext, loader: WorkflowLoader, id: string): HTMLElement {
  const recent = ctx.model.correlations().slice(0, 30);
  const datalist = h('datalist', { id: 'correlations' }, ctx.model.correlations().slice(0, 200).map((c) => h('option', { value: c.id })));
  if (id === '') {
    return h('section', { class: 'page workflow', 'data-testid': 'page-workflow' }, datalist,
      h('div', { class: 'card' }, h('h3', {}, 'Recent workflows'),
        recent.length === 0 ? h('p', { class: 'muted' }, 'No events yet.') :
          h('ul', { class: 'list' }, recent.map((c) => h('li', {}, h('a', { href: `#/trace/${encodeURIComponent(c.id)}`, 'data-testid': `workflow-link-${c.id}` }, c.id), h('span', { class: 'muted' }, ` ${c.events} events, last ${timeOfDay(c.last)}`))))));
  }
  loader.refresh(ctx, id);
  const view = loader.id === id ? loader.view : undefined;
  return h('section', { class: 'page workflow', 'data-testid': 'page-workflow' }, datalist,
    h('h2', {}, 'Workflow ', h('code', { 'data-testid': 'workflow-correlation' }, id)),
    loader.error !== undefined && h('p', { class: 'error' }, loader.error),
    view === undefined ? h('p', { class: 'muted' }, 'Loading …') : [
      h('p', { class: 'muted' }, 'nodes asked: ', view.nodes.map((n) => h('span', { class: `badge ${n.reachable ? 'up' : 'down'}` }, n.id))),
      h('div', { class: 'card' }, h('h3', {}, 'Pending'), pendingList(ctx, view.pending)),
      h('div', { class: 'card' }, h('h3', {}, `Events (${view.events.length}, causal order)`), eventTable(ctx, view)),
    ]);
}

function pendingList(ctx: ViewContext, pending: readonly PendingItem[]): HTMLElement {
  if (pending.length === 0) return h('p', { class: 'ok', 'data-testid': 'workflow-pending-none' }, 'Nothing pending: every event of this workflow is everywhere it must be.');
  return h('ul', { class: 'list', 'data-testid': 'workflow-pending' }, pending.map((item) => {
    const replayOnClick = (): void => void act(ctx, item.node, { op: 'replay', service: item.service!, eventId: item.eventId! }, `${item.eventId} replayed to ${item.service} on ${item.node}`);
    const replayable = item.kind === 'dead-letter' && item.service !== undefined && item.eventId !== undefined;
    return h('li', { 'data-testid': `pending-${item.kind}`, 'data-node': item.node },
      h('span', { class: `badge ${item.kind}` }, item.kind), ' ', h('span', { 'data-testid': 'pending-text' }, item.text), ' ',
      replayable && h('button', { onclick: replayOnClick, 'data-testid': `workflow-replay-${item.eventId}` }, `replay on ${item.node}`));
  }));
}

function eventTable(ctx: ViewContext, view: WorkflowView): HTMLTableElement {
  const typeOf = new Map(view.events.map((e) => [e.id, `${e.type} ${e.origin}:${e.seq}`]));
  return h('table', { class: 'grid workflow-events' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'event'), h('th', {}, 'node'), h('th', {}, 'clock'), h('th', {}, 'cause'), h('th', {}, 'held by'), h('th', {}, 'transitions'))),
    h('tbody', {}, view.events.map((e, i) => h('tr', { 'data-testid': `workflow-event-${e.origin}:${e.seq}` },
      h('td', { class: 'num muted' }, i + 1),
      h('td', {}, h('b', {}, e.type), h('div', { class: 'muted mono' }, `${e.origin}:${e.seq}`), h('div', { class: 'muted' }, timeOfDay(e.ts))),
      h('td', {}, nodeOf(e.origin)),
      h('td', { class: 'mono' }, clockText(e.vc)),
      h('td', {}, e.causationId === null ? h('span', { class: 'muted' }, 'outside') : typeOf.get(e.causationId) ?? e.causationId),
      h('td', {}, e.heldBy.join(', ')),
      h('td', {}, transitionList(ctx, e))))));
}

/** The transitions the event caused: per node from the feeds where they showed it, else as `/workflow` told. */
function transitionList(ctx: ViewContext, e: FeedEvent): HTMLElement {
  const byNode = ctx.model.eventById(e.id)?.byNode;
  const rows: [string | null, Transition][] = [];
  if (byNode !== undefined) for (const [node, copy] of byNode) for (const t of copy.transitions) rows.push([node, t]);
  if (rows.length === 0) for (const t of e.transitions) rows.push([null, t]);
  return h('ul', { class: 'transitions' }, rows.map(([node, t]) => h('li', {},
    node !== null && h('span', { class: 'tag' }, node), ' ', `${t.service}${t.key !== null ? `[${t.key}]` : ''}: `,
    h('span', { class: 'muted' }, formatStateValue(t.from)), ' → ', h('b', {}, formatStateValue(t.to)))));
}
