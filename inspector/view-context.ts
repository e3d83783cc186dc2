/**
 * What every view is given: the merged model, the time it draws at, and the page's
 * actions (requests on a node's feed, a notice to the person, navigation).
 */
import type { ClusterModel } from './cluster-model.js';
import type { FeedAsk } from './feed-client.js';
import type { FeedReply } from './feed.js';

/** What the person chose on the page; it outlives redraws. */
export interface UiState {
  /** Actors page: text a shown actor's node, service, key or state contains. */
  actorFilter: string;
  /** Space-time page: the correlation id to show, or '' for all. */
  correlation: string;
  /** Space-time page: how many of the newest events to draw. */
  limit: number;
  /** Space-time page: the cut line, as the row it lies above; `undefined` when no cut. */
  cutRow?: number;
  /** A drag is under way: redraws wait for it. */
  dragging: boolean;
}

/** A view's inputs and the page's actions. */
export interface ViewContext {
  readonly model: ClusterModel;
  readonly ui: UiState;
  /** When the view is drawn (ms since the epoch). */
  readonly now: number;
  /** Sends a request on `node`'s feed. */
  request(node: string, ask: FeedAsk): Promise<FeedReply>;
  /** Shows a short notice; `ok: false` for a failure. */
  notify(text: string, ok: boolean): void;
  /** Goes to a route (`#/trace/<id>`). */
  navigate(hash: string): void;
  /** Asks for a redraw (after a view changed its own state). */
  redraw(): void;
}

/** Sends a request and tells the person how it went. */
export async function act(ctx: ViewContext, node: string, ask: FeedAsk, done: string): Promise<void> {
  const reply = await ctx.request(node, ask);
  if (reply.ok) ctx.notify(done, true);
  else ctx.notify(`${reply.error.code}: ${reply.error.message}`, false);
}
