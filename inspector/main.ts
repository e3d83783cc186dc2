/**
 * The inspector page: finds the cluster, reads every node's feed into one model, and
 * draws the page the hash names.
 *
 * Discovery starts at the node that served the page (same origin): its `/status` and
 * `/app`, then its `/feed`. Every status names peers and, when their handshake told it,
 * their admin URL; the page opens each peer's feed in turn, so it reaches every node
 * some reachable node knows of. It only ever fetches its own origin (no CORS); other
 * nodes are read over their WebSocket feeds. On a cluster with an admin token, every
 * fetch and feed carries it (`admin-token.ts`); without one, the page asks for it.
 */
import { actorsControls, actorsView } from './actors-view.js';
import { authHeaders, loginView, takeTokenFromHash, Unauthorized, withToken } from './admin-token.js';
import { ClusterModel } from './cluster-model.js';
import { choreographyView } from './choreography-view.js';
import { clusterView } from './cluster-view.js';
import { countdown, h } from './dom.js';
import { FeedClient, feedUrl, type FeedAsk } from './feed-client.js';
import type { AppInfo, FeedMessage, FeedReply, NodeStatus } from './feed.js';
import { spaceTimeControls, spaceTimeView } from './space-time.js';
import type { UiState, ViewContext } from './view-context.js';
import { WorkflowLoader, workflowControls, workflowView } from './workflow-view.js';

/** Redraws at most this often (ms) while feeds stream. */
const REDRAW_EVERY_MS = 400;

const model = new ClusterModel();
const feeds = new Map<string, FeedClient>();
const ui: UiState = { actorFilter: '', correlation: '', limit: 300, dragging: false };
const workflow = new WorkflowLoader();
let drawnVersion = -1;
let drawnRoute = '';
let forced = false;
/** A node answered 401: the page shows the login field instead of a view. */
let needsLogin = false;

/** The pages of the left nav: route prefix, label. */
const PAGES = [
  ['#/cluster', 'Cluster'],
  ['#/actors', 'Actors'],
  ['#/space-time', 'Space-time'],
  ['#/choreography', 'Choreography'],
  ['#/workflow', 'Workflow'],
] as const;

function request(node: string, ask: FeedAsk): Promise<FeedReply> {
  const feed = feeds.get(node);
  if (feed === undefined) return Promise.resolve({ kind: 'reply', ref: 0, ok: false, error: { code: 'INSPECTOR_NO_FEED', message: `no feed to ${node}` } });
  return feed.request(ask);
}

function notify(text: string, ok: boolean): void {
  const notice = h('div', { class: `notice ${ok ? 'ok' : 'error'}`, 'data-testid': 'notice' }, text);
  document.getElementById('notices')!.append(notice);
  setTimeout(() => notice.remove(), 6_000);
}

function navigate(hash: string): void {
  location.hash = hash;
}

function redraw(): void {
  forced = true;
}

function context(): ViewContext {
  return { model, ui, now: Date.now(), request, notify, navigate, redraw };
}

/** Opens the feed of `node` at `admin`, once. */
function openFeed(node: string, admin: string): void {
  if (feeds.has(node)) return;
  const feedOnMessage = (message: FeedMessage): void => {
    model.apply(node, message, Date.now());
    if (message.kind === 'hello' || message.kind === 'status') learnPeers(message.status);
  };
  const feedOnReachable = (up: boolean): void => model.setReachable(node, up);
  feeds.set(node, new FeedClient(withToken(feedUrl(admin)), { message: feedOnMessage, reachable: feedOnReachable }));
}

function learnPeers(status: NodeStatus): void {
  for (const peer of status.peers) {
    if (model.learnNode(peer.id, peer.admin) && peer.admin !== undefined) openFeed(peer.id, peer.admin);
  }
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json', ...authHeaders() } });
  if (response.status === 401) throw new Unauthorized(path);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Reads `path` until it answers, waiting longer after each failure (up to 10 s). */
async function fetchUntilOk<T>(path: string): Promise<T> {
  for (let wait = 500; ; wait = Math.min(wait * 2, 10_000)) {
    try {
      return await getJson<T>(path);
    } catch (err) {
      if (err instanceof Unauthorized) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

async function discover(): Promise<void> {
  let status: NodeStatus;
  try {
    status = await fetchUntilOk<NodeStatus>('/status');
  } catch {
    // Only a 401 ends the retries: ask for the token rather than open feeds that would be refused.
    needsLogin = true;
    redraw();
    return;
  }
  const appLoaded = fetchUntilOk<AppInfo>('/app').then((app) => model.setApp(app));
  model.learnNode(status.id, location.origin);
  openFeed(status.id, location.origin);
  learnPeers(status);
  await appLoaded;
}

/** The route: `cluster`, `actors`, `space-time`, `choreography`, or `workflow` with an id. */
function route(): { page: string; id: string } {
  const hash = location.hash;
  const trace = /^#\/trace\/(.+)$/.exec(hash);
  if (trace !== null) return { page: 'workflow', id: decodeURIComponent(trace[1]) };
  const page = PAGES.find(([prefix]) => hash === prefix)?.[0].slice(2) ?? 'cluster';
  return { page, id: '' };
}

function header(): HTMLElement {
  return h('div', { class: 'nodes' }, model.nodeIds().map((id) => {
    const node = model.node(id)!;
    return h('a', { href: '#/cluster', class: `chip ${node.reachable ? 'up' : 'down'}`, 'data-testid': `header-node-${id}`, title: node.reachable ? `${id}: feed open` : `${id}: unreachable` }, id);
  }));
}

function draw(): void {
  const { page, id } = route();
  const routeKey = `${page}/${id}`;
  const ctx = context();
  if (routeKey !== drawnRoute) {
    drawnRoute = routeKey;
    const controls = page === 'actors' ? actorsControls(ctx) : page === 'space-time' ? spaceTimeControls(ctx) : page === 'workflow' ? workflowControls(ctx, id) : null;
    document.getElementById('controls')!.replaceChildren(...(controls ? [controls] : []));
    for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a')) link.classList.toggle('active', link.dataset.page === page);
  }
  document.getElementById('app-name')!.textContent = model.app?.name ?? '';
  document.getElementById('header-nodes')!.replaceChildren(header());
  const body =
    needsLogin ? loginView()
    : page === 'actors' ? actorsView(ctx)
    : page === 'space-time' ? spaceTimeView(ctx)
    : page === 'choreography' ? choreographyView(ctx)
    : page === 'workflow' ? workflowView(ctx, workflow, id)
    : clusterView(ctx);
  document.getElementById('view')!.replaceChildren(body);
  tick();
}

/** Updates every live countdown (`data-due`) without a redraw. */
function tick(): void {
  const now = Date.now();
  for (const el of document.querySelectorAll<HTMLElement>('[data-due]')) el.textContent = countdown(Number(el.dataset.due), now);
}

function loop(): void {
  if (ui.dragging) return;
  if (!forced && model.version === drawnVersion && route().page + '/' + route().id === drawnRoute) return;
  forced = false;
  drawnVersion = model.version;
  draw();
}

function pageOnHashChange(): void {
  forced = true;
  loop();
}

function start(): void {
  takeTokenFromHash();
  document.getElementById('nav')!.replaceChildren(...PAGES.map(([prefix, label]) => h('a', { href: prefix, 'data-page': prefix.slice(2), 'data-testid': `nav-${prefix.slice(2)}` }, label)));
  window.addEventListener('hashchange', pageOnHashChange);
  setInterval(loop, REDRAW_EVERY_MS);
  setInterval(tick, 250);
  draw();
  void discover();
}

start();
