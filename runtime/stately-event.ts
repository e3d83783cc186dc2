/**
 * The `@statelyai/inspect` wire format, built by troupe itself.
 *
 * The Stately inspector takes three kinds of JSON events: `@xstate.actor` (an actor
 * appears, with its machine config as a JSON string and its snapshot), `@xstate.event`
 * (an event reaches an actor, `sourceId` naming who sent it) and `@xstate.snapshot` (its
 * new state). Every event carries `_version`, `sessionId`, `rootId`, `createdAt` (ms as a
 * string) and `id: null`.
 *
 * `@statelyai/inspect`'s own converter is not used: it defers each event with a timer
 * (the snapshot it then reads may be a later one), drops fields and mangles `rootId`.
 * These builders run synchronously, while XState reports the event.
 *
 * XState numbers actors `x:0`, `x:1`, … per process, so every id gets the node's id in
 * front (`n1/x:0`): the ids of a whole cluster can then meet in one inspector.
 */
import type { AnyActorRef, AnyEventObject } from 'xstate';

/**
 * The `@statelyai/inspect` version whose format these events follow (`_version`). The
 * inspector only checks that it is a string; the test compares it with the installed package.
 */
export const STATELY_FORMAT_VERSION = '0.7.2';

/** Fields every Stately inspection event carries. */
interface StatelyBase {
  readonly _version: string;
  readonly sessionId: string;
  readonly rootId: string;
  /** `Date.now()` as a decimal string. */
  readonly createdAt: string;
  readonly id: null;
}

/** An actor appears. */
export interface StatelyActorEvent extends StatelyBase {
  readonly type: '@xstate.actor';
  readonly name: string;
  /** The machine config as a JSON string. */
  readonly definition: string;
  readonly parentId: string | undefined;
  readonly snapshot: unknown;
}

/** An event reaches an actor. */
export interface StatelyEventEvent extends StatelyBase {
  readonly type: '@xstate.event';
  readonly event: AnyEventObject;
  /** Who sent it; absent when it came from outside the node's actors. */
  readonly sourceId: string | undefined;
}

/** An actor's new state, and the event that led to it. */
export interface StatelySnapshotEvent extends StatelyBase {
  readonly type: '@xstate.snapshot';
  readonly event: AnyEventObject;
  readonly snapshot: unknown;
}

/** One Stately inspection event. */
export type StatelyEvent = StatelyActorEvent | StatelyEventEvent | StatelySnapshotEvent;

/** What every builder needs: the node whose ids these are, and the time. */
export interface StatelyContext {
  readonly node: string;
  readonly now: number;
}

/** The cluster-wide id of an XState session id: `n1/x:4`. */
export function nodeScoped(node: string, sessionId: string): string {
  return `${node}/${sessionId}`;
}

function base(ctx: StatelyContext, actor: AnyActorRef): StatelyBase {
  return {
    _version: STATELY_FORMAT_VERSION,
    sessionId: nodeScoped(ctx.node, actor.sessionId),
    rootId: nodeScoped(ctx.node, rootOf(actor).sessionId),
    createdAt: String(ctx.now),
    id: null,
  };
}

/** The actor's system root: itself for every actor the host creates, its ancestor for a child. */
function rootOf(actor: AnyActorRef): AnyActorRef {
  let root = actor;
  while (root._parent !== undefined) root = root._parent;
  return root;
}

/** `@xstate.actor` for `actor` as it is now, named `name`. */
export function statelyActor(ctx: StatelyContext, actor: AnyActorRef, name: string): StatelyActorEvent {
  return {
    type: '@xstate.actor',
    ...base(ctx, actor),
    name,
    definition: definitionOf(actor, name),
    parentId: actor._parent === undefined ? undefined : nodeScoped(ctx.node, actor._parent.sessionId),
    snapshot: actor.getSnapshot(),
  };
}

/** `@xstate.event`: `event` reached `actor`, sent by the actor `sourceId` names (already node-scoped). */
export function statelyEventEvent(
  ctx: StatelyContext,
  actor: AnyActorRef,
  event: AnyEventObject,
  sourceId: string | undefined,
): StatelyEventEvent {
  return { type: '@xstate.event', ...base(ctx, actor), event, sourceId };
}

/** `@xstate.snapshot`: `actor` is now in `snapshot` after `event`. */
export function statelySnapshot(ctx: StatelyContext, actor: AnyActorRef, event: AnyEventObject, snapshot: unknown): StatelySnapshotEvent {
  return { type: '@xstate.snapshot', ...base(ctx, actor), event, snapshot };
}

/** Machine configs are static: each is stringified once. */
const definitions = new WeakMap<object, string>();

/**
 * The actor's machine config as JSON, which is what the Stately inspector draws. Inline
 * functions (guards, actions) become `{ type: name }` as `@statelyai/inspect` writes them;
 * logic without a config (a promise, a callback) or a config that cannot be written is
 * just `{ id: name }`.
 */
function definitionOf(actor: AnyActorRef, name: string): string {
  const config: unknown = (actor as { logic?: { config?: unknown } }).logic?.config;
  if (typeof config !== 'object' || config === null) return JSON.stringify({ id: name });
  let definition = definitions.get(config);
  if (definition === undefined) {
    try {
      definition = JSON.stringify(config, functionsAsTypes);
    } catch {
      return JSON.stringify({ id: name }); // a cycle or a BigInt in the config
    }
    definitions.set(config, definition);
  }
  return definition;
}

function functionsAsTypes(_key: string, value: unknown): unknown {
  return typeof value === 'function' ? { type: value.name } : value;
}
