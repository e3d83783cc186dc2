/**
 * The checks of a chaos run: what every node's log, clock and actors must be once the
 * cluster has healed and gone quiet, held against the operation history. Pure: it reads
 * snapshots the run took through the admin API and recomputes everything itself (vector
 * clock order included) rather than trusting the runtime's own code.
 *
 * Events are named by (origin, seq) and compared by content (type, data, correlationId,
 * vc), never by id alone: after a lost disk a node may stamp a seq the cluster already
 * holds, and only the content shows the fork. Where the node matters rather than the
 * origin (a service's emits), `nodeOf(origin)` names it, so the checks read the same
 * whether origins are node ids or `node~incarnation`.
 */
import { nodeOf } from '../../protocol/origin.js';
import type { Operation } from './history.js';
import type { ActorView, Clock, LogEvent, StatusView } from './node-admin.js';

/** What a node showed after the run. */
export interface NodeSnapshot {
  readonly node: string;
  readonly status: StatusView;
  readonly log: readonly LogEvent[];
  /** `GET /actors`, read on the nodes that host a checked service. */
  readonly actors?: readonly ActorView[];
}

/** The kinds of violation, each a broken promise of the runtime. */
export const VIOLATION_KINDS = [
  'missing-ack', // an acknowledged event is not in some node's log
  'ack-mismatch', // a node holds the acknowledged (origin, seq) with other content than was published
  'fork', // one (origin, seq), two different events on two nodes
  'duplicate-event', // one (origin, seq) twice in one log
  'handled-twice', // a service emitted twice for one event
  'causal-order', // a log lists an event before one it depends on, or skips a seq
  'session-order', // a client session's later event before its earlier one
  'not-converged', // clocks differ, or an outbox or causal buffer is not empty
  'order-unfinished', // an order neither completed nor cancelled on its host
  'duplicate-id-accepted', // a second process with a live node's id was not refused
  'crash', // a node process exited on its own
] as const;

/** One kind of violation. */
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

/** One violation, in words. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  readonly node?: string;
  /** The (origin, seq) concerned, as `origin:seq`. */
  readonly event?: string;
}

/** What the checks read. */
export interface CheckInput {
  readonly operations: readonly Operation[];
  readonly snapshots: readonly NodeSnapshot[];
  /** Acknowledged events lost with a disk before any other node held them: not held against anyone. */
  readonly lost: ReadonlySet<string>;
  /** Check the orders example's orders on the nodes hosting `order`. */
  readonly orderHosts: readonly string[];
}

/** The states an order may end in. */
export const FINAL_ORDER_STATES: readonly string[] = ['completed', 'cancelled'];

/** `origin:seq`. */
export function eventKey(origin: string, seq: number): string {
  return `${origin}:${seq}`;
}

/** JSON with sorted keys: equal values render equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** A clock without zero entries, keys sorted. */
function normalClock(vc: Clock): Record<string, number> {
  return Object.fromEntries(Object.entries(vc).filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)));
}

/** What makes an event that event: the content two nodes must agree on. */
export function eventContent(e: { type: string; data: unknown; correlationId: string; vc: Clock }): string {
  return canonical({ type: e.type, data: e.data ?? null, correlationId: e.correlationId, vc: normalClock(e.vc) });
}

/** Duplicates, causal order and double handling within each node's log. */
export function checkLogs(snapshots: readonly NodeSnapshot[]): Violation[] {
  const violations: Violation[] = [];
  for (const { node, log } of snapshots) {
    const seen = new Set<string>();
    const delivered: Record<string, number> = {};
    const effects = new Map<string, string>();
    for (const e of log) {
      const key = eventKey(e.origin, e.seq);
      if (seen.has(key)) {
        violations.push({ kind: 'duplicate-event', node, event: key, message: `${node} lists ${key} (${e.type}) twice, again at pos ${e.pos}` });
        continue;
      }
      seen.add(key);
      const have = delivered[e.origin] ?? 0;
      if (e.seq !== have + 1) {
        violations.push({ kind: 'causal-order', node, event: key, message: `${node} pos ${e.pos}: ${key} follows ${e.origin}:${have} (a gap or a reorder)` });
      }
      if ((e.vc[e.origin] ?? 0) !== e.seq) {
        violations.push({ kind: 'causal-order', node, event: key, message: `${node} pos ${e.pos}: ${key} has vc[${e.origin}] = ${e.vc[e.origin] ?? 0}, not its seq` });
      }
      const missing = Object.entries(e.vc).filter(([origin, n]) => origin !== e.origin && n > (delivered[origin] ?? 0));
      if (missing.length > 0) {
        const needs = missing.map(([origin, n]) => `${origin}:${n}`).join(', ');
        violations.push({ kind: 'causal-order', node, event: key, message: `${node} pos ${e.pos}: ${key} is listed before ${needs}, which it depends on` });
      }
      delivered[e.origin] = Math.max(have, e.seq);
      if (e.causationId !== null) {
        const effect = `${e.causationId}|${e.type}|${nodeOf(e.origin)}`;
        const first = effects.get(effect);
        if (first !== undefined) {
          violations.push({ kind: 'handled-twice', node, event: key, message: `${node}: ${nodeOf(e.origin)} emitted ${e.type} for ${e.causationId} twice (${first} and ${key})` });
        } else effects.set(effect, key);
      }
    }
  }
  return violations;
}

/** One (origin, seq), one event: the content of each is the same on every node. */
export function checkForks(snapshots: readonly NodeSnapshot[]): Violation[] {
  const first = new Map<string, { node: string; content: string }>();
  const forked = new Set<string>();
  const violations: Violation[] = [];
  for (const { node, log } of snapshots) {
    for (const e of log) {
      const key = eventKey(e.origin, e.seq);
      const content = eventContent(e);
      const earlier = first.get(key);
      if (earlier === undefined) first.set(key, { node, content });
      else if (earlier.content !== content && !forked.has(key)) {
        forked.add(key);
        violations.push({ kind: 'fork', node, event: key, message: `${key} is ${earlier.content} on ${earlier.node} but ${content} on ${node}` });
      }
    }
  }
  return violations;
}

/** Every acknowledged event is on every node, as it was published; and every session's order holds. */
export function checkHistory(operations: readonly Operation[], snapshots: readonly NodeSnapshot[], lost: ReadonlySet<string>): Violation[] {
  const violations: Violation[] = [];
  const byN = new Map(operations.map((op) => [op.n, op]));
  for (const { node, log } of snapshots) {
    const positions = new Map<string, LogEvent>();
    for (const e of log) if (!positions.has(eventKey(e.origin, e.seq))) positions.set(eventKey(e.origin, e.seq), e);
    for (const op of operations) {
      if (op.ack === undefined) continue;
      const key = eventKey(op.ack.origin, op.ack.seq);
      const held = positions.get(key);
      if (held === undefined) {
        if (!lost.has(key)) violations.push({ kind: 'missing-ack', node, event: key, message: `${node} lacks ${key} (${op.type} ${op.correlationId}), acknowledged by ${op.node}` });
        continue;
      }
      const published = eventContent({ type: op.type, data: op.data, correlationId: op.correlationId, vc: op.ack.vc });
      if (eventContent(held) !== published) {
        violations.push({ kind: 'ack-mismatch', node, event: key, message: `${node} holds ${key} as ${eventContent(held)}; ${op.node} acknowledged ${published}` });
      }
      const before = op.after === undefined ? undefined : byN.get(op.after);
      if (before?.ack === undefined) continue;
      const beforeKey = eventKey(before.ack.origin, before.ack.seq);
      const earlier = positions.get(beforeKey);
      if (earlier === undefined ? !lost.has(beforeKey) : earlier.pos > held.pos) {
        violations.push({
          kind: 'session-order', node, event: key,
          message: `${node} has ${op.session}'s ${key} (on ${op.node}) ${earlier === undefined ? 'without' : 'before'} ${beforeKey} (on ${before.node}), acknowledged first`,
        });
      }
    }
  }
  return violations;
}

/** One clock everywhere, nothing waiting in an outbox or a causal buffer. */
export function checkConvergence(snapshots: readonly NodeSnapshot[]): Violation[] {
  const violations: Violation[] = [];
  const clocks = new Map(snapshots.map((s) => [s.node, canonical(normalClock(s.status.vc))]));
  if (new Set(clocks.values()).size > 1) {
    violations.push({ kind: 'not-converged', message: `clocks differ: ${[...clocks].map(([node, vc]) => `${node} ${vc}`).join('; ')}` });
  }
  for (const { node, status } of snapshots) {
    const waiting = status.peers.filter((p) => p.outbox > 0).map((p) => `${p.outbox} for ${p.id}`);
    if (waiting.length > 0) violations.push({ kind: 'not-converged', node, message: `${node}'s outboxes hold ${waiting.join(', ')}` });
    if ((status.log.buffered ?? 0) > 0) violations.push({ kind: 'not-converged', node, message: `${node}'s causal buffer holds ${status.log.buffered}` });
  }
  return violations;
}

/** The order ids placed: acknowledged (and not lost), or in any log. */
function placedOrders(operations: readonly Operation[], snapshots: readonly NodeSnapshot[], lost: ReadonlySet<string>): Set<string> {
  const ids = new Set<string>();
  for (const op of operations) {
    if (op.kind === 'order' && op.ack !== undefined && !lost.has(eventKey(op.ack.origin, op.ack.seq))) ids.add(op.correlationId);
  }
  for (const { log } of snapshots) {
    for (const e of log) {
      const orderId = (e.data as { orderId?: unknown } | null)?.orderId;
      if (e.type === 'OrderPlaced' && typeof orderId === 'string') ids.add(orderId);
    }
  }
  return ids;
}

/** Every order ends `completed` or `cancelled` on each node that hosts the order service. */
export function checkOrders(input: CheckInput): Violation[] {
  if (input.orderHosts.length === 0) return [];
  const violations: Violation[] = [];
  const orders = placedOrders(input.operations, input.snapshots, input.lost);
  for (const host of input.orderHosts) {
    const actors = input.snapshots.find((s) => s.node === host)?.actors ?? [];
    const states = new Map(actors.filter((a) => a.service === 'order').map((a) => [a.key, a.state]));
    for (const orderId of orders) {
      const state = states.get(orderId);
      if (typeof state !== 'string' || !FINAL_ORDER_STATES.includes(state)) {
        violations.push({ kind: 'order-unfinished', node: host, message: `order ${orderId} is ${state === undefined ? 'unknown' : JSON.stringify(state)} on ${host}` });
      }
    }
  }
  return violations;
}

/** Every check of the history against the snapshots. */
export function check(input: CheckInput): Violation[] {
  return [
    ...checkHistory(input.operations, input.snapshots, input.lost),
    ...checkForks(input.snapshots),
    ...checkLogs(input.snapshots),
    ...checkConvergence(input.snapshots),
    ...checkOrders(input),
  ];
}
