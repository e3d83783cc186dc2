/**
 * The choreography map: which service emits each event type and which consume it. What a
 * service consumes is its `on` list. What it emits is read from its machine where that can
 * be read — the `emit(...)` actions of its implementations and of its states' entry, exit
 * and transition actions: an event object gives its `type`, and an expression
 * (`emit(({ context }) => ({ type: 'OrderCreated', ... }))`) gives the `type: '…'`
 * literals of its source — and is completed by what the node saw the service emit.
 * A type emitted and consumed by nobody, or consumed and emitted by nobody (it may come
 * from outside, as `OrderPlaced` does), is flagged.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { EventTypeInfo } from '../inspector/feed.js';

/** A service as the map needs it. */
export interface ServiceFlow {
  readonly name: string;
  readonly on: readonly string[];
  readonly emits: readonly string[];
}

/** XState's `emit(...)` action creator returns a function marked so, holding the event or its expression. */
interface EmitAction {
  readonly type: 'xstate.emit';
  readonly event: unknown;
}

/** The literal `type: 'X'` (or `"X"`, or a backquoted string without `${`) in an expression's source. */
const TYPE_LITERAL = /\btype\s*:\s*(?:'([^'\\]+)'|"([^"\\]+)"|`([^`\\$]+)`)/g;

/**
 * The event types `machine`'s `emit` actions name, sorted: read from the event object or
 * from the expression's source. An expression that builds its type at run time names none.
 */
export function machineEmits(machine: AnyStateMachine): string[] {
  const types = new Set<string>();
  const visit = (action: unknown): void => {
    if (!isEmitAction(action)) return;
    const event = action.event;
    if (typeof event === 'function') {
      for (const match of String(event).matchAll(TYPE_LITERAL)) types.add(match[1] ?? match[2] ?? match[3]);
    } else if (typeof event === 'object' && event !== null && typeof (event as { type?: unknown }).type === 'string') {
      types.add((event as { type: string }).type);
    }
  };
  for (const action of Object.values(machine.implementations.actions)) visit(action);
  walk(machine.root, (stateNode) => {
    for (const action of [...stateNode.entry, ...stateNode.exit]) visit(action);
    for (const list of stateNode.transitions.values()) for (const t of list) for (const action of t.actions) visit(action);
    for (const t of stateNode.always ?? []) for (const action of t.actions) visit(action);
  });
  return [...types].sort();
}

/** Every event type the services emit or consume, sorted, with who does which and the flags. */
export function choreographyMap(services: readonly ServiceFlow[]): EventTypeInfo[] {
  const types = new Map<string, { emittedBy: string[]; consumedBy: string[] }>();
  const entry = (type: string): { emittedBy: string[]; consumedBy: string[] } => {
    let info = types.get(type);
    if (info === undefined) {
      info = { emittedBy: [], consumedBy: [] };
      types.set(type, info);
    }
    return info;
  };
  for (const service of services) {
    for (const type of new Set(service.emits)) entry(type).emittedBy.push(service.name);
    for (const type of new Set(service.on)) entry(type).consumedBy.push(service.name);
  }
  return [...types.keys()].sort().map((type) => {
    const { emittedBy, consumedBy } = entry(type);
    const flags: ('no-consumer' | 'no-emitter')[] = [];
    if (consumedBy.length === 0) flags.push('no-consumer');
    if (emittedBy.length === 0) flags.push('no-emitter');
    return { type, emittedBy, consumedBy, flags };
  });
}

function isEmitAction(action: unknown): action is EmitAction {
  return typeof action === 'function' && (action as { type?: unknown }).type === 'xstate.emit';
}

function walk(stateNode: AnyStateNode, visit: (stateNode: AnyStateNode) => void): void {
  visit(stateNode);
  for (const child of Object.values(stateNode.states)) walk(child as AnyStateNode, visit);
}
